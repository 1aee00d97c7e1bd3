import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import nodemailer from 'nodemailer';
import { emailVerification, type EmailVerification, type MailTransport } from '../../plugin/index.ts';
import { quietLogger } from '../helpers/core.ts';
import { startRealServices, type RealServices } from '../helpers/real-services.ts';
import { TEST_SECRET } from '../helpers/services.ts';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.ts';

let services: RealServices;
const instances: EmailVerification[] = [];

beforeAll(async () => { services = await startRealServices(); });
afterAll(async () => {
  for (const vg of instances) await vg.close();
  await services.close();
});

function instance(overrides: Record<string, unknown> = {}): EmailVerification {
  const vg = emailVerification({
    baseUrl: 'https://app.test/verify', secret: TEST_SECRET, database: services.db.url, logger: quietLogger,
    mail: { from: 'App <no-reply@app.test>', transport: services.sink.url },
    worker: { pollInterval: '200ms', retryBase: '1s' },
    ...overrides,
  } as never);
  instances.push(vg);
  return vg;
}

const fresh = () => `${randomUUID()}@example.com`;
const delivered = (to: string) => services.sink.messages.filter((m) => m.to === to).length;

describe('several instances on one database', () => {
  it('two instances with their own workers deliver every message exactly once, woken without waiting for a poll', async () => {
    const [a, b] = [instance({ worker: { pollInterval: '1h' } }), instance({ worker: { pollInterval: '1h' } })];
    await Promise.all([a.ready(), b.ready()]);
    const users = Array.from({ length: 40 }, (_, i) => ({ id: 1000 + i, email: fresh() }));
    const started = Date.now();
    await Promise.all(users.map((u, i) => (i % 2 ? a : b).sendVerification(u)));
    // Polling is an hour away: only the NOTIFY wake-up can deliver these in time.
    await services.sink.waitFor(() => users.every((u) => delivered(u.email) >= 1), 15_000);
    expect(Date.now() - started).toBeLessThan(10_000);
    // close() waits for the rounds in flight, so a duplicate would have arrived by then. (Their
    // workers must not take part in the next tests either.)
    await Promise.all([a.close(), b.close()]);
    for (const u of users) expect(delivered(u.email)).toBe(1);
  });

  it('decides leases by the database clock: an instance whose clock runs an hour ahead does not take a leased message', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => { release = resolve; });
    const sent: string[] = [];
    const slow: MailTransport = { async sendMail(message) { sent.push(message.to); await gate; } };
    const a = instance({ mail: { from: 'a@app.test', transport: slow }, worker: { autoStart: false, lease: '1m', sendTimeout: '20s' } });
    const b = instance({ mail: { from: 'a@app.test', transport: slow }, worker: { autoStart: false, lease: '1m', sendTimeout: '20s' } });
    const to = fresh();
    await a.sendVerification({ id: 77, email: to });
    const first = a.drain();
    // Wait until a's send is in flight (its lease taken), however slow the machine.
    for (let i = 0; i < 400 && sent.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 25));
    expect(sent).toEqual([to]);
    jest.useFakeTimers({ now: Date.now() + 3_600_000, doNotFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'setImmediate', 'clearImmediate', 'nextTick', 'queueMicrotask', 'hrtime', 'performance'] });
    try {
      expect(await b.drain()).toBe(0);
    } finally {
      jest.useRealTimers();
      release();
    }
    expect(await first).toBe(1);
    expect(sent).toEqual([to]);
  });
});

describe('graceful shutdown', () => {
  it('close() during a round finishes the mail it claimed, leaves nothing leased, and another instance sends the rest at once', async () => {
    // Instance A's sends reach the real SMTP sink only when the test opens the gate: close() arrives mid-send.
    let open!: () => void;
    const gate = new Promise<void>((resolve) => { open = resolve; });
    const smtp = nodemailer.createTransport({ host: '127.0.0.1', port: services.sink.port, secure: false, ignoreTLS: true });
    const started: string[] = [];
    const gated: MailTransport = { async sendMail(message) { started.push(message.to); await gate; return smtp.sendMail(message as never); } };
    const a = instance({ mail: { from: 'App <no-reply@app.test>', transport: gated }, worker: { autoStart: false, batchSize: 3, lease: '10m', sendTimeout: '20s' } });
    const b = instance({ worker: { autoStart: false } });
    await Promise.all([a.ready(), b.ready()]);
    const recipients = Array.from({ length: 6 }, fresh);
    for (const [i, email] of recipients.entries()) await a.sendVerification({ id: 9000 + i, email });

    const round = a.drain();
    await new Promise<void>((resolve) => { const check = () => (started.length === 3 ? resolve() : setTimeout(check, 20)); check(); });
    let closed = false;
    const closing = a.close().then(() => { closed = true; });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(closed).toBe(false); // it waits for the mail it is sending…
    open();
    await closing;
    expect(await round).toBe(3); // …finishes it, and claims no more.
    smtp.close();

    // Nothing is left leased by the stopped instance: what it did not claim is due now, and B sends it at once.
    const em = services.db.orm.em.fork();
    const [left] = await em.execute(`select count(*)::int as pending, count(*) filter (where next_attempt_at > now())::int as leased
      from verigate_outbox where status = 'pending' and recipient in (${recipients.map(() => '?').join(',')})`, recipients);
    expect(left).toEqual({ pending: 3, leased: 0 });
    expect(await b.drain()).toBe(3);
    await services.sink.waitFor(() => recipients.every((to) => delivered(to) >= 1));
    for (const to of recipients) expect(delivered(to)).toBe(1);
    expect(new Set(started).size).toBe(3);
  });
});

describe('PostgreSQL cut mid-transaction', () => {
  let proxy: TcpProxy;
  beforeAll(async () => { proxy = await startTcpProxy(Number(new URL(services.db.url).port || 5432)); });
  afterAll(() => proxy.close());

  it.each([
    ['its first statement (token and link)', (newEmail: string) => newEmail],
    ['its second statement (undo link and notice)', () => 'email-change-notice'],
    // The simple-query message itself ('commit' and its terminator), not a comment that mentions commits.
    ['its commit', () => 'commit\u0000'],
  ])('a change whose connection is cut at %s leaves none of its rows, and the next one goes through', async (_at, marker) => {
    const url = new URL(services.db.url);
    url.host = `127.0.0.1:${proxy.port}`;
    const vg = instance({ database: { url: url.href, connectTimeout: '300ms' }, databaseTimeout: '2s', worker: { autoStart: false },
      users: { setEmail: () => true } });
    await vg.ready();
    const user = { id: 7000 + Math.floor(Math.random() * 1000), email: fresh() };
    const newEmail = `new-${user.email}`;
    proxy.cutOn(marker(newEmail));
    await expect(vg.requestEmailChange(user, { newEmail, recentlyAuthenticated: true })).rejects.toThrow();
    const rowsOf = async () => {
      const [counts] = await services.db.orm.em.fork().execute(`select
        (select count(*)::int from verigate_token where user_id = ?) as tokens,
        (select count(*)::int from verigate_outbox where recipient in (?, ?)) as mails`, [String(user.id), newEmail, user.email]);
      return counts;
    };
    expect(await rowsOf()).toEqual({ tokens: 0, mails: 0 });
    expect((await vg.requestEmailChange(user, { newEmail, recentlyAuthenticated: true })).status).toBe('SENT');
    expect(await rowsOf()).toEqual({ tokens: 2, mails: 2 });
  });

  it('never leaves a token without its email or an email without its token, under cuts at random points', async () => {
    const url = new URL(services.db.url);
    url.host = `127.0.0.1:${proxy.port}`;
    const vg = instance({ database: { url: url.href, connectTimeout: '300ms' }, databaseTimeout: '1s', worker: { autoStart: false },
      users: { setEmail: () => true } });
    await vg.ready();
    const users = Array.from({ length: 60 }, (_, i) => ({ id: 5000 + i, email: fresh() }));
    const cutter = setInterval(() => proxy.cutAll(), 15);
    const outcomes = await Promise.allSettled(users.flatMap((u) => [
      vg.sendVerification(u),
      vg.requestEmailChange(u, { newEmail: `new-${u.email}`, recentlyAuthenticated: true }).catch((e) => { throw e; }),
    ]));
    clearInterval(cutter);
    // Where the cuts land is up to the scheduler, so no count of failures is asserted here (the tests
    // above cut at each step on purpose); whatever happened, the invariant below must hold.
    expect(outcomes).toHaveLength(120);

    const em = services.db.orm.em.fork();
    // A token and its emails are written by one transaction, so they share created_at (now() is the
    // transaction's start). Sent rows keep only a masked recipient, so they are matched by that.
    const mailsOf = (purpose: string, kind: string) => `(select count(*)::int from verigate_outbox o where o.kind = '${kind}'
      and o.created_at in (select t.created_at from verigate_token t where t.user_id = ? and t.purpose = '${purpose}'))`;
    for (const u of users) {
      const [counts] = await em.execute(`select
        (select count(*)::int from verigate_token where user_id = ? and purpose = 'verify') as verify_tokens,
        ${mailsOf('verify', 'verify')} as verify_mails,
        (select count(*)::int from verigate_token where user_id = ? and purpose = 'email_change') as change_tokens,
        ${mailsOf('email_change', 'email-change')} as change_mails,
        (select count(*)::int from verigate_token where user_id = ? and purpose = 'change_revoke') as undo_tokens,
        ${mailsOf('change_revoke', 'email-change-notice')} as notices`,
      [String(u.id), String(u.id), String(u.id), String(u.id), String(u.id), String(u.id)]);
      expect(counts.verify_mails).toBe(counts.verify_tokens);
      expect(counts.change_mails).toBe(counts.change_tokens);
      expect(counts.notices).toBe(counts.undo_tokens);
      expect(counts.undo_tokens).toBe(counts.change_tokens);
    }
  });
});
