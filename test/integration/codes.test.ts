import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { csrfFrom, mailedToken, newUser, signedIn, type Agent } from '../helpers/flow.ts';
import { createHostApp, type HostApp } from '../helpers/host-app.ts';
import { startRealServices, type RealServices } from '../helpers/real-services.ts';
import { resultUrl } from '../helpers/result-url.ts';

const JSON_ACCEPT = { Accept: 'application/json' };
let services: RealServices;
let host: HostApp;

beforeAll(async () => {
  services = await startRealServices();
  host = createHostApp({ db: services.db, redis: services.redis, smtpUrl: services.sink.url });
});
afterAll(async () => {
  await host.vg.close();
  await services.close();
});

/** Sends a verification and returns the code printed in its mail (text part). */
async function mailedCode(user: { id: string; email: string }): Promise<string> {
  await mailedToken(host.vg, services.sink, user);
  const mail = services.sink.messages.filter((m) => m.to === user.email).at(-1)!;
  const match = /code[^:]*: ([A-Z2-9]{4}-[A-Z2-9]{4})/.exec(mail.text);
  if (!match) throw new Error(`no code in: ${mail.text}`);
  expect(mail.html).toContain(match[1]);
  return match[1];
}

const csrfTokens = new WeakMap<Agent, string>();

/** Posts a code as a JSON client, with the CSRF token the pending page gave this browser. */
async function submitCode(agent: Agent, code: string) {
  if (!csrfTokens.has(agent)) csrfTokens.set(agent, (await agent.get('/verify/pending').set(JSON_ACCEPT).expect(200)).body.csrfToken);
  return agent.post('/verify/code').set(JSON_ACCEPT).set('X-CSRF-Token', csrfTokens.get(agent)!).send({ code });
}

const wrongOf = (code: string) => (code[0] === 'A' ? 'B' : 'A') + code.slice(1);

describe('a code beside the link', () => {
  it('verifies the signed-in user, forgiving case and spacing, and stores only its hash', async () => {
    const user = newUser();
    const agent = await signedIn(host.app, user);
    const code = await mailedCode(user);
    const [row] = await services.db.orm.em.fork().execute('select code_hash from verigate_token where user_id = ?', [user.id]);
    expect(row.code_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(row)).not.toContain(code.replace('-', ''));

    const wrong = await submitCode(agent, wrongOf(code)).then((r) => r);
    expect(wrong.status).toBe(400);
    expect(wrong.body.error).toMatchObject({ code: 'CODE_INVALID', attemptsLeft: 4 });
    await agent.get('/dashboard').expect(302);
    const right = await submitCode(agent, ` ${code.toLowerCase().replace('-', ' ')} `);
    expect(right.status).toBe(200);
    expect(right.body).toEqual({ status: 'VERIFIED' });
    await agent.get('/dashboard').expect(200);
  });

  it('works through the page form and shows a refusal on the page', async () => {
    const user = newUser();
    const agent = await signedIn(host.app, user);
    const code = await mailedCode(user);
    const page = await agent.get('/verify/pending').expect(200);
    expect(page.text).toContain('Or enter the code from the email');
    const refused = await agent.post('/verify/code').type('form').send({ _csrf: csrfFrom(page.text), code: 'NOT-ACODE', for: 'verify' }).expect(400);
    expect(refused.text).toContain('Codes are 8 letters and digits');
    await agent.post('/verify/code').type('form').send({ _csrf: csrfFrom(refused.text), code, for: 'verify' })
      .expect(303).expect('Location', resultUrl('verified'));
  });

  it('dies after 5 wrong tries, even when they arrive at once; the link still works', async () => {
    const user = newUser();
    const agent = await signedIn(host.app, user);
    const code = await mailedCode(user);
    const token = /token=([A-Za-z0-9_-]{43})/.exec(services.sink.messages.filter((m) => m.to === user.email).at(-1)!.text)![1];
    const csrfToken = (await agent.get('/verify/pending').set(JSON_ACCEPT)).body.csrfToken;
    const bare = code.replace('-', '');
    const guesses = await Promise.all(Array.from({ length: 12 }, (_, i) =>
      agent.post('/verify/code').set(JSON_ACCEPT).set('X-CSRF-Token', csrfToken).send({ code: bare.slice(0, 7) + 'XYZW23456789'.replace(bare[7], '')[i % 11] })));
    expect(guesses.filter((g) => g.body.error?.code === 'CODE_INVALID').length).toBeLessThanOrEqual(5);
    const [row] = await services.db.orm.em.fork().execute('select code_attempts, used_at from verigate_token where user_id = ?', [user.id]);
    expect(row.code_attempts).toBe(5);
    expect(row.used_at).toBeNull();
    expect((await submitCode(agent, code)).body.error.code).toBe('CODE_LOCKED');
    await request(host.app).post('/verify/confirm').set(JSON_ACCEPT).send({ token }).expect(200, { status: 'VERIFIED' });
  });

  it('dies with its token: a resend replaces it, and a used link leaves no code open', async () => {
    const user = newUser();
    const agent = await signedIn(host.app, user);
    const first = await mailedCode(user);
    const second = await mailedCode(user);
    expect((await submitCode(agent, first)).body.error.code).toBe('CODE_INVALID');
    expect(second).not.toBe(first);
    await host.vg.confirm(await mailedToken(host.vg, services.sink, user));
    const late = await submitCode(agent, second);
    expect(late.status).toBe(410);
    expect(late.body.error.code).toBe('CODE_EXPIRED');
  });

  it('only counts for the signed-in user it was sent to', async () => {
    const owner = newUser();
    const code = await mailedCode(owner);
    const stranger = await signedIn(host.app, newUser());
    expect((await submitCode(stranger, code)).body.error.code).toBe('CODE_EXPIRED');
    await request(host.app).post('/verify/code').set(JSON_ACCEPT).send({ code }).expect(401);
  });
});
