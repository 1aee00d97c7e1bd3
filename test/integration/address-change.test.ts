import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { startRealServices, type RealServices } from '../helpers/real-services.ts';
import type { ReceivedMail } from '../helpers/smtp-sink.ts';
import { createUsersHost, RIGHT_PASSWORD, type UsersHost } from '../helpers/users-host-app.ts';

const JSON_ACCEPT = { Accept: 'application/json' };
let services: RealServices;
let host: UsersHost;
const events: Array<{ hook: string; event: unknown }> = [];

beforeAll(async () => {
  services = await startRealServices();
  const record = (hook: string) => (event: unknown) => { events.push({ hook, event }); };
  host = await createUsersHost(services, {
    hooks: { onEmailChanged: record('onEmailChanged'), onEmailChangeReverted: record('onEmailChangeReverted'), onVerified: record('onVerified') },
  });
  await host.vg.ready();
});
afterAll(async () => {
  await host.vg.close();
  await services.close();
});

const fresh = (label = 'u') => `${label}-${randomUUID().slice(0, 8)}@example.com`;
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
async function signedIn(id: number) {
  const agent = request.agent(host.app);
  await agent.post('/test/login').send({ id }).expect(200);
  return agent;
}
async function csrf(agent: ReturnType<typeof request.agent>): Promise<string> {
  return (await agent.get('/verify/email').set(JSON_ACCEPT).expect(200)).body.csrfToken;
}
/** POST /verify/email as a JSON client, expecting `status` (202 by default). */
async function requestChange(agent: ReturnType<typeof request.agent>, email: string, password?: string, status = 202) {
  return agent.post('/verify/email').set(JSON_ACCEPT).set('X-CSRF-Token', await csrf(agent)).send({ email, password }).expect(status);
}
/** A user with a verified address, through the real link. */
async function verifiedUser(): Promise<{ id: number; email: string }> {
  const email = fresh('owner');
  const id = await host.createUser(email);
  await host.vg.sendVerification({ id, email });
  expect((await host.vg.confirm(tokenIn(await nthMail(email, 1), '/confirm'))).status).toBe('VERIFIED');
  return { id, email };
}
const rowsFor = async (table: string, where: string, params: unknown[]) =>
  services.db.orm.em.fork().execute(`select * from ${table} where ${where}`, params);

describe('adding a first address (account without one)', () => {
  it('asks for an address at the gate, mails a link, switches through the host in the same transaction and opens the gate', async () => {
    const id = await host.createUser(null);
    const agent = await signedIn(id);
    await agent.get('/dashboard').expect(302).expect('Location', '/verify/pending?returnTo=%2Fdashboard');
    const gate = await agent.get('/dashboard').set(JSON_ACCEPT).expect(403);
    expect(gate.body.error).toMatchObject({ code: 'EMAIL_REQUIRED', addEmailUrl: '/verify/email' });
    await agent.get('/verify/pending').expect(303).expect('Location', '/verify/email');

    const email = fresh('first');
    // No password asked for a first address.
    expect((await agent.get('/verify/email').set(JSON_ACCEPT)).body).toMatchObject({ email: null, pendingEmail: null, passwordRequired: false });
    expect((await requestChange(agent, email)).body).toEqual({ status: 'SENT' });
    expect((await agent.get('/verify/pending').set(JSON_ACCEPT).expect(200)).body).toMatchObject({ status: 'PENDING', email: null, pendingEmail: email });
    expect(await host.emailOf(id)).toBeNull();

    const token = tokenIn(await nthMail(email, 1), '/email/confirm');
    const page = await agent.get(`/verify/email/confirm?token=${token}`).expect(200);
    expect(page.text).toContain('Confirm new address');
    expect(await host.emailOf(id)).toBeNull();
    await agent.post('/verify/email/confirm').set(JSON_ACCEPT).send({ token }).expect(200, { status: 'CHANGED' });
    expect(await host.emailOf(id)).toBe(email);
    await agent.get('/dashboard').set(JSON_ACCEPT).expect(200);
    // Hooks get the integer id back as a number.
    expect(events).toContainEqual({ hook: 'onEmailChanged', event: { userId: id, previousEmail: null, email } });
  });

  it('leaves everything as it was when the host refuses the switch (its unique index, a stale change)', async () => {
    const id = await host.createUser(null);
    const agent = await signedIn(id);
    const email = fresh('stale');
    await requestChange(agent, email);
    const token = tokenIn(await nthMail(email, 1), '/email/confirm');
    await host.setEmailDirectly(id, fresh('elsewhere'));
    const answer = await request(host.app).post('/verify/email/confirm').set(JSON_ACCEPT).send({ token }).expect(409);
    expect(answer.body.error.code).toBe('CHANGE_STALE');
    expect(await host.emailOf(id)).not.toBe(email);
  });
});

describe('changing an address', () => {
  it('re-authenticates first: a wrong or missing password sends and stores nothing', async () => {
    const { id } = await verifiedUser();
    const agent = await signedIn(id);
    expect((await agent.get('/verify/email').set(JSON_ACCEPT)).body.passwordRequired).toBe(true);
    const target = fresh('target');
    const before = (await rowsFor('verigate_token', 'user_id = ?', [String(id)])).length;
    expect((await requestChange(agent, target, 'wrong', 401)).body.error.code).toBe('WRONG_PASSWORD');
    expect((await requestChange(agent, target, undefined, 401)).body.error.code).toBe('REAUTH_REQUIRED');
    expect(await rowsFor('verigate_token', 'user_id = ?', [String(id)])).toHaveLength(before);
    expect(await rowsFor('verigate_outbox', 'recipient = ?', [target])).toHaveLength(0);
  });

  it('mails the new address a link and the old one a masked notice with undo; the old address holds until confirmation', async () => {
    const { id, email } = await verifiedUser();
    const agent = await signedIn(id);
    const target = fresh('next');
    expect((await requestChange(agent, target, RIGHT_PASSWORD)).body).toEqual({ status: 'SENT' });
    const notice = await nthMail(email, 2);
    expect(notice.subject).toContain('being changed');
    expect(notice.text).toContain('n***@example.com');
    expect(notice.text).not.toContain(target);
    expect(notice.text).toMatch(/\/verify\/email\/undo\?token=/);
    await agent.get('/dashboard').set(JSON_ACCEPT).expect(200);
    expect(await host.emailOf(id)).toBe(email);

    const otherDevice = await signedIn(id);
    await otherDevice.get('/dashboard').set(JSON_ACCEPT).expect(200);
    // Confirmed in this browser: it stays signed in (under a new session id); the other device is signed out.
    await agent.post('/verify/email/confirm').set(JSON_ACCEPT).send({ token: tokenIn(await nthMail(target, 1), '/email/confirm') }).expect(200);
    expect(await host.emailOf(id)).toBe(target);
    expect((await agent.get('/dashboard').set(JSON_ACCEPT).expect(200)).body.user.email).toBe(target);
    await otherDevice.get('/dashboard').set(JSON_ACCEPT).expect(401);
  });

  it('applies a pending address with the code from its mail, for the signed-in user only', async () => {
    const { id } = await verifiedUser();
    const agent = await signedIn(id);
    const target = fresh('bycode');
    await requestChange(agent, target, RIGHT_PASSWORD);
    const mail = await nthMail(target, 1);
    const code = /code[^:]*: ([A-Z2-9]{4}-[A-Z2-9]{4})/.exec(mail.text)![1];
    const token = (await agent.get('/verify/pending').set(JSON_ACCEPT)).body.csrfToken;
    const submit = (code: string) => agent.post('/verify/code').set(JSON_ACCEPT).set('X-CSRF-Token', token).send({ code, for: 'change' });
    expect((await submit(code.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')))).body.error.code).toBe('CODE_INVALID');
    expect(await host.emailOf(id)).not.toBe(target);
    expect((await submit(code)).body).toEqual({ status: 'CHANGED' });
    expect(await host.emailOf(id)).toBe(target);
  });

  it('refuses disposable and malformed addresses with a message that says what to do, and stores nothing', async () => {
    const { id } = await verifiedUser();
    const agent = await signedIn(id);
    const disposable = await requestChange(agent, `someone@sub.mailinator.com`, RIGHT_PASSWORD, 422);
    expect(disposable.body.error).toMatchObject({ code: 'INVALID_EMAIL' });
    expect(disposable.body.error.message).toContain('temporary');
    const broken = await requestChange(agent, 'a@b@c', RIGHT_PASSWORD, 422);
    expect(broken.body.error.code).toBe('INVALID_EMAIL');
    expect(await rowsFor('verigate_outbox', 'recipient like ?', ['%mailinator%'])).toHaveLength(0);
    // The HTML form shows the message beside the field and keeps what was typed.
    const form = await agent.get('/verify/email').expect(200);
    const page = await agent.post('/verify/email').type('form').send({ email: 'x@mailinator.com', password: RIGHT_PASSWORD, _csrf: /name="_csrf" value="([^"]+)"/.exec(form.text)![1] }).expect(422);
    expect(page.text).toContain('temporary (disposable) mail service');
    expect(page.text).toContain('value="x@mailinator.com"');
  });

  it('a newer request supersedes an older one: change to A then B → A\'s link refused, B\'s works', async () => {
    const { id } = await verifiedUser();
    const agent = await signedIn(id);
    const [a, b] = [fresh('a'), fresh('b')];
    await requestChange(agent, a, RIGHT_PASSWORD);
    await requestChange(agent, b, RIGHT_PASSWORD);
    const first = await request(host.app).post('/verify/email/confirm').set(JSON_ACCEPT).send({ token: tokenIn(await nthMail(a, 1), '/email/confirm') }).expect(410);
    expect(first.body.error.code).toBe('TOKEN_SUPERSEDED');
    await request(host.app).post('/verify/email/confirm').set(JSON_ACCEPT).send({ token: tokenIn(await nthMail(b, 1), '/email/confirm') }).expect(200);
    expect(await host.emailOf(id)).toBe(b);
  });

  it('answers a taken address exactly like a free one; its owner is told, the requester learns nothing', async () => {
    const owner = await verifiedUser();
    const { id, email } = await verifiedUser();
    const agent = await signedIn(id);
    const taken = await requestChange(agent, owner.email, RIGHT_PASSWORD);
    const free = await requestChange(agent, fresh('free'), RIGHT_PASSWORD);
    expect(taken.status).toBe(free.status);
    expect(taken.text).toBe(free.text);
    const ownerMail = await nthMail(owner.email, 2);
    expect(ownerMail.subject).toContain('Someone tried to use your email address');
    expect(ownerMail.text).not.toMatch(/token=/);
    // The requester's own inbox gets a change notice in both cases.
    expect((await nthMail(email, 3)).subject).toContain('being changed');
    expect(await host.emailOf(owner.id)).toBe(owner.email);
  });

  it('lets exactly one of 20 concurrent confirmations switch the address', async () => {
    const { id } = await verifiedUser();
    const target = fresh('race');
    await requestChange(await signedIn(id), target, RIGHT_PASSWORD);
    const token = tokenIn(await nthMail(target, 1), '/email/confirm');
    const before = events.filter((e) => e.hook === 'onEmailChanged').length;
    const answers = await Promise.all(Array.from({ length: 20 }, () =>
      request(host.app).post('/verify/email/confirm').set(JSON_ACCEPT).send({ token })));
    expect(answers.filter((r) => r.status === 200)).toHaveLength(1);
    expect(answers.filter((r) => r.status === 409).map((r) => r.body.error.code)).toEqual(Array(19).fill('TOKEN_USED'));
    expect(events.filter((e) => e.hook === 'onEmailChanged').length).toBe(before + 1);
  });

  it('never confirms an address a token was not sent to, even with interleaved requests from stale user objects', async () => {
    const { id, email } = await verifiedUser();
    const [b, c] = [fresh('stale-b'), fresh('stale-c')];
    // Two requests built from the same (now stale) user object, interleaved.
    const stale = { id, email };
    await Promise.all([
      host.vg.requestEmailChange(stale, { newEmail: b, password: RIGHT_PASSWORD }),
      host.vg.requestEmailChange(stale, { newEmail: c, password: RIGHT_PASSWORD }),
    ]);
    const outcomes: Record<string, number> = {};
    for (const address of [b, c]) {
      const answer = await request(host.app).post('/verify/email/confirm').set(JSON_ACCEPT).send({ token: tokenIn(await nthMail(address, 1), '/email/confirm') });
      outcomes[address] = answer.status;
      if (answer.status === 200) expect(await host.emailOf(id)).toBe(address);
    }
    // Exactly one of the two links still worked, and it switched to the address it was mailed to.
    expect(Object.values(outcomes).filter((s) => s === 200)).toHaveLength(1);
    expect([b, c]).toContain(await host.emailOf(id));
  });
});

describe('undo from the previous address', () => {
  it('restores the previous address after a confirmed change, cancels open links and fires the hook', async () => {
    const { id, email } = await verifiedUser();
    const agent = await signedIn(id);
    const target = fresh('hijack');
    await requestChange(agent, target, RIGHT_PASSWORD);
    const undo = tokenIn(await nthMail(email, 2), '/email/undo');
    await request(host.app).post('/verify/email/confirm').set(JSON_ACCEPT).send({ token: tokenIn(await nthMail(target, 1), '/email/confirm') }).expect(200);
    expect(await host.emailOf(id)).toBe(target);

    const page = await request(host.app).get(`/verify/email/undo?token=${undo}`).expect(200);
    expect(page.text).toContain('Undo the change');
    expect(await host.emailOf(id)).toBe(target);
    await request(host.app).post('/verify/email/undo').set(JSON_ACCEPT).send({ token: undo }).expect(200, { status: 'REVERTED' });
    expect(await host.emailOf(id)).toBe(email);
    expect(events).toContainEqual({ hook: 'onEmailChangeReverted', event: { userId: id, email, revertedEmail: target } });
    // Single use.
    expect((await request(host.app).post('/verify/email/undo').set(JSON_ACCEPT).send({ token: undo }).expect(409)).body.error.code).toBe('TOKEN_USED');
    // Whoever made the change may be signed in anywhere: every session of the user ended.
    await agent.get('/dashboard').set(JSON_ACCEPT).expect(401);
  });

  it('before confirmation, cancels the pending change so its link no longer works', async () => {
    const { id, email } = await verifiedUser();
    const target = fresh('cancel');
    await requestChange(await signedIn(id), target, RIGHT_PASSWORD);
    const undo = tokenIn(await nthMail(email, 2), '/email/undo');
    await request(host.app).post('/verify/email/undo').set(JSON_ACCEPT).send({ token: undo }).expect(200);
    const late = await request(host.app).post('/verify/email/confirm').set(JSON_ACCEPT).send({ token: tokenIn(await nthMail(target, 1), '/email/confirm') }).expect(410);
    expect(late.body.error.code).toBe('TOKEN_SUPERSEDED');
    expect(await host.emailOf(id)).toBe(email);
  });

  it('returns through a chain of changes (A→B→C) to A, and the attacker\'s own undo link dies', async () => {
    const { id, email: a } = await verifiedUser();
    const [b, c] = [fresh('chain-b'), fresh('chain-c')];
    const agent = await signedIn(id);
    await requestChange(agent, b, RIGHT_PASSWORD);
    const undoToA = tokenIn(await nthMail(a, 2), '/email/undo');
    await agent.post('/verify/email/confirm').set(JSON_ACCEPT).send({ token: tokenIn(await nthMail(b, 1), '/email/confirm') }).expect(200);
    await requestChange(agent, c, RIGHT_PASSWORD);
    const undoToB = tokenIn(await nthMail(b, 2), '/email/undo');
    await agent.post('/verify/email/confirm').set(JSON_ACCEPT).send({ token: tokenIn(await nthMail(c, 1), '/email/confirm') }).expect(200);
    expect(await host.emailOf(id)).toBe(c);

    await request(host.app).post('/verify/email/undo').set(JSON_ACCEPT).send({ token: undoToA }).expect(200);
    expect(await host.emailOf(id)).toBe(a);
    expect((await request(host.app).post('/verify/email/undo').set(JSON_ACCEPT).send({ token: undoToB }).expect(410)).body.error.code).toBe('TOKEN_SUPERSEDED');
    expect(await host.emailOf(id)).toBe(a);
  });
});

describe('a change asked for in German', () => {
  it('writes the new-address link and the notice with its undo link in German, with the undo lifetime in days', async () => {
    const owner = await verifiedUser();
    const agent = await signedIn(owner.id);
    const target = fresh('neu');
    await agent.post('/verify/email').set({ ...JSON_ACCEPT, 'Accept-Language': 'de' }).set('X-CSRF-Token', await csrf(agent))
      .send({ email: target, password: RIGHT_PASSWORD }).expect(202);
    const link = await nthMail(target, 1);
    expect(link.subject).toMatch(/^Bestätigen Sie Ihre neue E-Mail-Adresse für /);
    expect(link.text).toContain('in Ihr neues Postfach zu sehen:');
    const notice = await nthMail(owner.email, 2);
    expect(notice.subject).toMatch(/^Ihre E-Mail-Adresse bei .* wird geändert$/);
    expect(notice.text).toContain('gilt 7 Tage (bis ');
    expect(notice.text).toContain(`auf ${target[0]}***@example.com umstellen`);
  });
});
