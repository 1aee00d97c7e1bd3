import { randomUUID } from 'node:crypto';
import request from 'supertest';
import type { Express } from 'express';
import type { EmailVerification } from '../../plugin/index.ts';
import { tokenFrom, type SmtpSink } from './smtp-sink.ts';

export type Agent = ReturnType<typeof request.agent>;

export function newUser() {
  return { id: randomUUID(), email: `user-${randomUUID().slice(0, 8)}@example.com` };
}

/** A browser session signed in as `user` through the host's stand-in login. */
export async function signedIn(app: Express, user: { id: string; email: string }): Promise<Agent> {
  const agent = request.agent(app);
  await agent.post('/test/login').send(user).expect(200);
  return agent;
}

/** Sends a verification email through the real outbox and SMTP, and returns the token it carried. */
export async function mailedToken(vg: EmailVerification, sink: SmtpSink, user: { id: string; email: string }): Promise<string> {
  const before = sink.messages.filter((m) => m.to === user.email).length;
  const result = await vg.sendVerification(user);
  if (result.status !== 'SENT') throw new Error(`expected SENT, got ${result.status}`);
  await vg.drain();
  const mails = await waitForCount(sink, user.email, before + 1);
  return tokenFrom(mails.at(-1)!);
}

async function waitForCount(sink: SmtpSink, to: string, count: number) {
  await sink.waitFor(() => sink.messages.filter((m) => m.to === to).length >= count);
  return sink.messages.filter((m) => m.to === to);
}

/** The CSRF token a page embeds for its session-bound form. */
export function csrfFrom(html: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!match) throw new Error('no _csrf field in page');
  return match[1];
}
