import { randomUUID } from 'node:crypto';
import request from 'supertest';
import type { RealServices } from './real-services.ts';
import type { ReceivedMail } from './smtp-sink.ts';
import type { UsersHost } from './users-host-app.ts';

export const JSON_ACCEPT = { Accept: 'application/json' };
type Agent = ReturnType<typeof request.agent>;

/** The address-change steps a test walks through, against one users host (integer ids) and the real services. */
export function changeFlow(services: RealServices, host: UsersHost) {
  const mailsTo = (to: string) => services.sink.messages.filter((m) => m.to === to);
  async function nthMail(to: string, n: number): Promise<ReceivedMail> {
    await host.vg.drain();
    await services.sink.waitFor(() => mailsTo(to).length >= n);
    return mailsTo(to)[n - 1];
  }
  function tokenIn(mail: ReceivedMail, path: string): string {
    const match = new RegExp(`${path.replace(/\//g, '\\/')}\\?token=([A-Za-z0-9_-]{43})`).exec(mail.text);
    if (!match) throw new Error(`no ${path} link in: ${mail.text}`);
    return match[1];
  }
  const codeIn = (mail: ReceivedMail) => /code[^:]*: ([A-Z2-9]{4}-[A-Z2-9]{4})/.exec(mail.text)![1];
  /** A browser signed in as `id`; `loggedInAt` (ms) is what the host's recentLogin reads. */
  async function signedIn(id: number, loggedInAt?: number): Promise<Agent> {
    const agent = request.agent(host.app);
    await agent.post('/test/login').send({ id, loggedInAt }).expect(200);
    return agent;
  }
  const csrf = async (agent: Agent): Promise<string> => (await agent.get('/verify/email').set(JSON_ACCEPT).expect(200)).body.csrfToken;
  /** POST /verify/email as a JSON client, expecting `status` (202 by default). */
  async function requestChange(agent: Agent, email: string, password?: string, status = 202) {
    return agent.post('/verify/email').set(JSON_ACCEPT).set('X-CSRF-Token', await csrf(agent)).send({ email, password }).expect(status);
  }
  /** A user with a verified address, through the real link. */
  async function verifiedUser(label = 'owner'): Promise<{ id: number; email: string }> {
    const email = fresh(label);
    const id = await host.createUser(email);
    await host.vg.sendVerification({ id, email });
    const result = await host.vg.confirm(tokenIn(await nthMail(email, 1), '/confirm'));
    if (result.status !== 'VERIFIED') throw new Error(`expected VERIFIED, got ${result.status}`);
    return { id, email };
  }
  const rows = async (sql: string, params: unknown[]) => services.db.orm.em.fork().execute(sql, params);
  return { mailsTo, nthMail, tokenIn, codeIn, signedIn, csrf, requestChange, verifiedUser, rows };
}

/** A fresh address; every one has the same length, so pages showing them compare byte for byte once normalised. */
export const fresh = (label = 'u') => `${label}-${randomUUID().slice(0, 8)}@example.com`;
