import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { changeFlow, fresh, JSON_ACCEPT } from '../helpers/change-flow.ts';
import { startRealServices, type RealServices } from '../helpers/real-services.ts';
import { createUsersHost, RIGHT_PASSWORD, type UsersHost } from '../helpers/users-host-app.ts';

let services: RealServices;
let host: UsersHost;
let flow: ReturnType<typeof changeFlow>;

beforeAll(async () => {
  services = await startRealServices();
  host = await createUsersHost(services);
  await host.vg.ready();
  flow = changeFlow(services, host);
});
afterAll(async () => {
  await host.vg.close();
  await services.close();
});

/**
 * Pre-hijack: someone signs up with another person's address, then asks to move the account to an
 * address of their own. When the real owner proves the address, the pending change must die.
 */
describe('a verification cancels a pending change of address', () => {
  async function unverifiedWithPendingChange() {
    const email = fresh('victim');
    const id = await host.createUser(email);
    await host.vg.sendVerification({ id, email });
    const verifyMail = await flow.nthMail(email, 1);
    const attacker = await flow.signedIn(id);
    const target = fresh('attacker');
    await flow.requestChange(attacker, target, RIGHT_PASSWORD);
    const changeMail = await flow.nthMail(target, 1);
    expect((await attacker.get('/verify/pending').set(JSON_ACCEPT).expect(200)).body.pendingEmail).toBe(target);
    return { id, email, verifyMail, changeMail, target };
  }

  it('when the address is verified by its link', async () => {
    const { id, email, verifyMail, changeMail, target } = await unverifiedWithPendingChange();
    await request(host.app).post('/verify/confirm').set(JSON_ACCEPT).send({ token: flow.tokenIn(verifyMail, '/confirm') }).expect(200);

    const late = await request(host.app).post('/verify/email/confirm').set(JSON_ACCEPT).send({ token: flow.tokenIn(changeMail, '/email/confirm') }).expect(410);
    expect(late.body.error.code).toBe('TOKEN_SUPERSEDED');
    expect(await host.emailOf(id)).toBe(email);
    expect(await host.vg.pendingEmailChange({ id, email })).toBeNull();
    const open = await flow.rows(`select 1 from verigate_token where user_id = ? and purpose = 'email_change' and used_at is null and superseded_at is null`, [String(id)]);
    expect(open).toHaveLength(0);
    // Nor can the code from the change mail apply it.
    const owner = await flow.signedIn(id);
    const csrfToken = (await owner.get('/verify/email').set(JSON_ACCEPT).expect(200)).body.csrfToken;
    const byCode = await owner.post('/verify/code').set(JSON_ACCEPT).set('X-CSRF-Token', csrfToken).send({ code: flow.codeIn(changeMail), for: 'change' });
    expect(byCode.body.error.code).toBe('CODE_EXPIRED'); // no open change left to apply
    expect(await host.emailOf(id)).not.toBe(target);
  });

  it('when the address is verified by the code from its mail', async () => {
    const { id, email, verifyMail, changeMail } = await unverifiedWithPendingChange();
    const browser = await flow.signedIn(id);
    const csrfToken = (await browser.get('/verify/pending').set(JSON_ACCEPT).expect(200)).body.csrfToken;
    await browser.post('/verify/code').set(JSON_ACCEPT).set('X-CSRF-Token', csrfToken).send({ code: flow.codeIn(verifyMail), for: 'verify' })
      .expect(200, { status: 'VERIFIED' });

    const late = await request(host.app).post('/verify/email/confirm').set(JSON_ACCEPT).send({ token: flow.tokenIn(changeMail, '/email/confirm') }).expect(410);
    expect(late.body.error.code).toBe('TOKEN_SUPERSEDED');
    expect(await host.emailOf(id)).toBe(email);
    expect(await host.vg.pendingEmailChange({ id, email })).toBeNull();
  });
});

describe("recentLogin: a recent sign-in may change the address without the password", () => {
  const WINDOW_MS = 5 * 60_000;
  let recent: UsersHost;
  let rflow: ReturnType<typeof changeFlow>;
  beforeAll(async () => {
    recent = await createUsersHost(services, {
      recentLogin: (req: { session: { loggedInAt?: number } }) => Date.now() - (req.session.loggedInAt ?? 0) < WINDOW_MS,
    });
    await recent.vg.ready();
    rflow = changeFlow(services, recent);
  });
  afterAll(async () => { await recent.vg.close(); });

  it('within the window: no password is asked for, and the change goes through', async () => {
    const { id } = await rflow.verifiedUser('recent');
    const agent = await rflow.signedIn(id, Date.now() - 60_000);
    expect((await agent.get('/verify/email').set(JSON_ACCEPT).expect(200)).body.passwordRequired).toBe(false);
    const form = await agent.get('/verify/email').expect(200);
    expect(form.text).toContain('Change your email address');
    expect(form.text).not.toContain('name="password"');

    const target = fresh('recent-new');
    expect((await rflow.requestChange(agent, target)).body).toEqual({ status: 'SENT' });
    await request(recent.app).post('/verify/email/confirm').set(JSON_ACCEPT)
      .send({ token: rflow.tokenIn(await rflow.nthMail(target, 1), '/email/confirm') }).expect(200, { status: 'CHANGED' });
    expect(await recent.emailOf(id)).toBe(target);
  });

  it('outside the window: the password is required; without it or with a wrong one nothing is sent or stored', async () => {
    const { id, email } = await rflow.verifiedUser('stale');
    const agent = await rflow.signedIn(id, Date.now() - WINDOW_MS - 60_000);
    expect((await agent.get('/verify/email').set(JSON_ACCEPT).expect(200)).body.passwordRequired).toBe(true);
    expect((await agent.get('/verify/email').expect(200)).text).toContain('name="password"');

    const target = fresh('stale-new');
    const tokensBefore = (await rflow.rows('select 1 from verigate_token where user_id = ?', [String(id)])).length;
    expect((await rflow.requestChange(agent, target, undefined, 401)).body.error.code).toBe('REAUTH_REQUIRED');
    expect((await rflow.requestChange(agent, target, 'wrong password', 401)).body.error.code).toBe('WRONG_PASSWORD');
    expect(await rflow.rows('select 1 from verigate_token where user_id = ?', [String(id)])).toHaveLength(tokensBefore);
    expect(await rflow.rows('select 1 from verigate_outbox where recipient = ?', [target])).toHaveLength(0);
    expect(await recent.emailOf(id)).toBe(email);

    expect((await rflow.requestChange(agent, target, RIGHT_PASSWORD)).body).toEqual({ status: 'SENT' });
    expect((await rflow.nthMail(target, 1)).subject).toContain('Confirm your new email address');
  });
});

describe('the HTML change form answers a taken address exactly like a free one', () => {
  type Answer = { status: number; headers: Record<string, string>; text: string };
  const snapshot = (res: { status: number; headers: Record<string, unknown>; text: string }): Answer => ({
    status: res.status, text: res.text,
    // Date and ETag (a hash of the body before normalisation) differ by nature; the session cookie is compared by presence.
    headers: Object.fromEntries(Object.entries(res.headers)
      .filter(([name]) => !['date', 'etag', 'set-cookie'].includes(name))
      .concat([['set-cookie', res.headers['set-cookie'] ? 'present' : 'absent']]).map(([k, v]) => [k, String(v)])),
  });

  /** Walks the form as a browser: GET the form, POST it, follow the redirect, open the form again. */
  async function changeThroughForm(target: string) {
    const { id, email } = await flow.verifiedUser('asker');
    const agent = await flow.signedIn(id);
    const form = await agent.get('/verify/email').expect(200);
    const csrfToken = /name="_csrf" value="([^"]+)"/.exec(form.text)![1];
    const post = await agent.post('/verify/email').type('form').send({ email: target, password: RIGHT_PASSWORD, _csrf: csrfToken });
    const pending = await agent.get(post.headers.location ?? '/nowhere');
    const again = await agent.get('/verify/email');
    // Everything that legitimately differs between two people, replaced by name: the addresses, the CSRF token, any nonce.
    const normalise = (answer: Answer): Answer => ({
      ...answer,
      headers: { ...answer.headers, ...(answer.headers['content-security-policy'] ? { 'content-security-policy': answer.headers['content-security-policy'].replace(/'nonce-[^']*'/g, "'nonce-<NONCE>'") } : {}) },
      text: answer.text.split(target).join('<NEW ADDRESS>').split(email).join('<CURRENT ADDRESS>').split(csrfToken).join('<CSRF>')
        .replace(/nonce="[^"]*"/g, 'nonce="<NONCE>"'),
    });
    return { answers: [post, pending, again].map((res) => normalise(snapshot(res))), rawLengths: [post, pending, again].map((res) => res.text.length) };
  }

  it('same status, redirect, headers and byte-identical pages once the addresses and CSRF token are named', async () => {
    const owner = await flow.verifiedUser('owner');
    const free = fresh('owner'); // same shape and length as the taken one
    expect(free.length).toBe(owner.email.length);
    const taken = await changeThroughForm(owner.email);
    const control = await changeThroughForm(free);

    const [takenPost, takenPending, takenForm] = taken.answers;
    expect(takenPost.status).toBe(303);
    expect(takenPost.headers.location).toBe('/verify/pending');
    expect(takenPending.status).toBe(200);
    expect(takenPending.text).toContain('Check your new inbox');
    expect(takenPending.text).toContain('<NEW ADDRESS>');
    expect(takenForm.text).toContain('<NEW ADDRESS>');
    expect(taken.answers).toEqual(control.answers);
    expect(taken.rawLengths).toEqual(control.rawLengths);
    // The owner of the taken address is told; nothing the requester saw differs.
    expect((await flow.nthMail(owner.email, 2)).subject).toContain('Someone tried to use your email address');
    expect(await host.emailOf(owner.id)).toBe(owner.email);
  });
});
