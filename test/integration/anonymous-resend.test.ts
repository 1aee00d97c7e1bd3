import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { startRealServices, type RealServices } from '../helpers/real-services.ts';
import { createUsersHost, type UsersHost } from '../helpers/users-host-app.ts';

const JSON_ACCEPT = { Accept: 'application/json' };
let services: RealServices;
let host: UsersHost;

// The host's lookup, with a gate the test can close: an answer that arrives while the lookup is
// still held cannot have waited for it, so its timing cannot tell a known address from an unknown one.
let gate: Promise<void> = Promise.resolve();
const lookups: Array<{ email: string; done: Promise<unknown> }> = [];
async function findByEmail(email: string) {
  await gate;
  const [row] = await services.db.orm.em.fork().execute('select id, email from host_user where lower(email) = lower(?)', [email]);
  return row ? { id: Number(row.id), email: row.email as string } : null;
}

beforeAll(async () => {
  services = await startRealServices();
  host = await createUsersHost(services, {
    users: { findByEmail: (email: string) => { const done = findByEmail(email); lookups.push({ email, done }); return done; } },
  });
  await host.vg.ready();
});
afterAll(async () => {
  await host.vg.close();
  await services.close();
});

const fresh = (label: string) => `${label}-${randomUUID().slice(0, 8)}@example.com`;
const mailsTo = (to: string) => services.sink.messages.filter((m) => m.to === to);
// Pending only: a sent row keeps its recipient masked.
const queuedTo = async (to: string) => (await services.db.orm.em.fork().execute(`select 1 from verigate_outbox where recipient = ? and status = 'pending'`, [to])).length;

/** Polls `check` until it holds: waiting on a condition, not on the scheduler's luck. */
async function until(check: () => Promise<boolean> | boolean, what: string, timeoutMs = 10_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !(await check());) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function anonymousBrowser() {
  const agent = request.agent(host.app);
  const page = await agent.get('/verify/pending').expect(200);
  expect(page.text).toContain('Get a new link');
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)![1];
  return { agent, csrf };
}

describe('"send me a new link" without signing in', () => {
  let unknown: string;
  let unverified: string;
  let verified: string;

  beforeAll(async () => {
    unknown = fresh('nobody');
    unverified = fresh('waiting');
    verified = fresh('done');
    await host.createUser(unverified);
    const id = await host.createUser(verified);
    await host.vg.sendVerification({ id, email: verified });
    await host.vg.drain();
    const mail = await services.sink.waitFor((m) => m.to === verified);
    await host.vg.confirm(/token=([A-Za-z0-9_-]{43})/.exec(mail.text)![1]);
  });

  it('answers byte for byte the same for an unknown, an unverified and a verified address; only the unverified one gets a link', async () => {
    const { agent, csrf } = await anonymousBrowser();
    const answers = [];
    for (const email of [unknown, unverified, verified]) {
      const json = await agent.post('/verify/resend').set(JSON_ACCEPT).set('X-CSRF-Token', csrf).send({ email });
      const html = await agent.post('/verify/resend').type('form').send({ email, _csrf: csrf });
      answers.push({ json: [json.status, json.text], html: [html.status, html.headers.location, html.text] });
    }
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[2]).toEqual(answers[0]);
    expect(answers[0].json).toEqual([202, '{"status":"ACCEPTED"}']);
    expect(answers[0].html.slice(0, 2)).toEqual([303, '/verify/resend']);
    const page = await agent.get('/verify/resend').expect(200);
    expect(page.text).toContain('If an account with that address is waiting to be confirmed');

    // The sends happen after the answers: wait for all six lookups to finish and the link to be queued.
    await until(() => lookups.filter((l) => [unknown, unverified, verified].includes(l.email)).length === 6, 'the lookups');
    await Promise.all(lookups.map((l) => l.done));
    await until(async () => (await queuedTo(unverified)) === 2, 'the two links to the unverified address');
    await host.vg.drain();
    await services.sink.waitFor(() => mailsTo(unverified).length === 2);
    expect(mailsTo(unknown)).toHaveLength(0);
    expect(mailsTo(verified)).toHaveLength(1); // only its original verification mail
  });

  it('answers before the address is even looked up, so nothing about the account can show in its timing', async () => {
    const { agent, csrf } = await anonymousBrowser();
    let open!: () => void;
    gate = new Promise((resolve) => { open = resolve; });
    const before = lookups.length;
    try {
      for (const email of [unknown, unverified, verified]) {
        // Bounded only so that a handler which does wait fails here rather than at jest's timeout.
        const answer = agent.post('/verify/resend').set(JSON_ACCEPT).set('X-CSRF-Token', csrf).send({ email });
        const held = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no answer while the lookup was held')), 10_000).unref());
        const response = await Promise.race([answer, held]);
        expect([response.status, response.body]).toEqual([202, { status: 'ACCEPTED' }]);
      }
      // All three were answered while every lookup was held at the gate.
      await until(() => lookups.length === before + 3, 'the lookups to start');
    } finally {
      open();
      gate = Promise.resolve();
    }
    await Promise.all(lookups.map((l) => l.done));
    await until(async () => (await queuedTo(unverified)) === 1, 'the link to the unverified address');
    await host.vg.drain();
  });

  it('writes the link in the language of the visitor who asked for it', async () => {
    const email = fresh('sprache');
    await host.createUser(email);
    const { agent, csrf } = await anonymousBrowser();
    await agent.post('/verify/resend').set({ ...JSON_ACCEPT, 'Accept-Language': 'de-CH, en;q=0.5' }).set('X-CSRF-Token', csrf).send({ email }).expect(202);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await host.vg.drain();
    const mail = await services.sink.waitFor((m) => m.to === email);
    expect(mail.subject).toMatch(/^Bestätigen Sie Ihre E-Mail-Adresse für /);
  });

  it.each([[undefined], [''], ['   ']])('answers a missing or blank address (%p) like any other, not with an error', async (email) => {
    const { agent, csrf } = await anonymousBrowser();
    await agent.post('/verify/resend').set(JSON_ACCEPT).set('X-CSRF-Token', csrf).send(email === undefined ? {} : { email }).expect(202, { status: 'ACCEPTED' });
  });

  it('refuses a missing CSRF token and sends nothing', async () => {
    const agent = request.agent(host.app);
    const email = fresh('csrf');
    await host.createUser(email);
    await agent.post('/verify/resend').set(JSON_ACCEPT).send({ email }).expect(403);
    await host.vg.drain();
    expect(mailsTo(email)).toHaveLength(0);
  });
});
