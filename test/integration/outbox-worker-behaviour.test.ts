import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { deriveKeys } from '../../src/crypto/keys.ts';
import { mikroOrmContext } from '../../src/db/mikro-orm.ts';
import type { DbAccess } from '../../src/db/db-access.ts';
import { createMailTransport } from '../../src/outbox/mail-transport.ts';
import { enqueueEmail } from '../../src/outbox/outbox-store.ts';
import { createOutboxWorker, type OutboxWorkerDeps } from '../../src/outbox/outbox-worker.ts';
import type { MailTransport, OutgoingMail } from '../../src/ports/mail.ts';
import { testDbAccess } from '../helpers/core.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { TEST_SECRET } from '../helpers/services.ts';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.ts';

// What the worker does with each answer a transport can give, what it logs and tells the host, and
// when it polls. Transports that answer a given way are fakes of the port; SMTP itself is the sink.
const keys = deriveKeys(TEST_SECRET);
const settings = { pollIntervalMs: 60_000, maxAttempts: 3, retryBaseMs: 1000, batchSize: 5, sendTimeoutMs: 2000, leaseMs: 60_000 };
let db: TestDatabase;
let sink: SmtpSink;
const closers: Array<() => unknown> = [];

type Log = [level: string, message: string, meta?: Record<string, unknown>];
function worker(transport: MailTransport, extra: Partial<OutboxWorkerDeps> & { overrides?: Partial<typeof settings> } = {}) {
  const logs: Log[] = [];
  const logger = { info: (m: string, x?: Record<string, unknown>) => { logs.push(['info', m, x]); }, warn: (m: string, x?: Record<string, unknown>) => { logs.push(['warn', m, x]); }, error: (m: string, x?: Record<string, unknown>) => { logs.push(['error', m, x]); } };
  const w = createOutboxWorker({ db: testDbAccess(db), sealKey: keys.outboxSeal, transport, from: 'App <no-reply@app.test>', logger, ...extra, settings: { ...settings, ...extra.overrides } });
  closers.push(() => w.close());
  return { w, logs };
}
function smtp() {
  const mail = createMailTransport(sink.url, 2000);
  closers.push(() => mail.close());
  return mail.transport;
}
const failing = (error: Error) => ({ sendMail: async () => { throw error; } });
const smtpError = (responseCode: number) => Object.assign(new Error(`${responseCode} refused`), { responseCode });

async function queue(to: string) {
  return db.orm.em.fork().transactional((tx) => enqueueEmail(mikroOrmContext(tx), keys.outboxSeal, {
    kind: 'verify', to, email: { subject: 'Hello', html: '<p>hi</p>', text: 'hi' },
  }));
}
const row = async (id: string) => (await db.orm.em.fork().execute('select * from verigate_outbox where id = ?', [id]))[0];
const fresh = () => `${randomUUID()}@example.com`;

beforeAll(async () => {
  db = await createTestDatabase();
  sink = await startSmtpSink();
});
beforeEach(async () => { await db.orm.em.fork().execute('delete from verigate_outbox'); });
afterAll(async () => {
  for (const close of closers) await close();
  await sink.stop();
  await db.close();
});

describe('what a failed send becomes', () => {
  it.each([[421, 'pending'], [499, 'pending'], [500, 'dead'], [550, 'dead'], [599, 'dead'], [600, 'pending']])(
    'a reply code %i leaves the message %s', async (code, status) => {
      const id = await queue(fresh());
      await worker(failing(smtpError(code))).w.drain();
      expect((await row(id)).status).toBe(status);
    });

  it('retries an error without a reply code, after the backoff', async () => {
    const id = await queue(fresh());
    const { w, logs } = worker(failing(new Error('socket hang up')));
    expect(await w.drain()).toBe(0);
    const failed = await row(id);
    expect(failed).toMatchObject({ status: 'pending', attempts: 1, last_error: expect.stringContaining('socket hang up') });
    expect(failed.payload).not.toBeNull();
    // First retry after retryBase (±20 %), by the database's clock.
    const wait = new Date(failed.next_attempt_at).getTime() - new Date(failed.updated_at).getTime();
    expect(wait).toBeGreaterThanOrEqual(800);
    expect(wait).toBeLessThanOrEqual(1200);
    expect(logs).toEqual([['warn', 'email delivery failed; will retry', { outboxId: id, attempt: 1, error: expect.stringContaining('socket hang up') }]]);
  });

  it('parks a message dead, says so in an error log and tells onDead with the recipient masked', async () => {
    const to = `jane.${randomUUID().slice(0, 8)}@example.com`;
    const id = await queue(to);
    const dead: unknown[] = [];
    const { w, logs } = worker(failing(smtpError(550)), { onDead: async (event) => { dead.push(event); } });
    await w.drain();
    expect(await row(id)).toMatchObject({ status: 'dead', payload: null, last_error: expect.stringContaining('550') });
    expect(logs).toEqual([['error', 'email parked as dead', { outboxId: id, kind: 'verify', attempts: 1, error: expect.stringContaining('550 refused') }]]);
    expect(dead).toEqual([{ outboxId: id, kind: 'verify', recipient: 'j***@example.com', attempts: 1, error: expect.stringContaining('550 refused') }]);
  });

  it.each([['nothing', undefined], ['null', null], ['a reply code as text', Object.assign(new Error('550 refused'), { responseCode: '550' })]])(
    'retries when the transport rejects with %s (only a numeric 5xx is permanent)', async (_label, reason) => {
      const id = await queue(fresh());
      await expect(worker({ sendMail: () => Promise.reject(reason) }).w.drain()).resolves.toBe(0);
      expect(await row(id)).toMatchObject({ status: 'pending', attempts: 1 });
    });

  it('records a row whose payload is gone as a failure, without calling the transport', async () => {
    const id = await queue(fresh());
    await db.orm.em.fork().execute('update verigate_outbox set payload = null where id = ?', [id]);
    let calls = 0;
    await worker({ sendMail: async () => { calls++; } }).w.drain();
    expect(calls).toBe(0);
    expect((await row(id)).last_error).toContain('payload missing');
  });
});

describe('what it sends', () => {
  it('sends from the configured sender with the row id in the Message-ID, at the sender\'s domain', async () => {
    const to = fresh();
    const id = await queue(to);
    const sent: OutgoingMail[] = [];
    await worker({ sendMail: async (m) => { sent.push(m); } }).w.drain();
    expect(sent).toEqual([{ from: 'App <no-reply@app.test>', to, messageId: `<${id}@app.test>`, subject: 'Hello', html: '<p>hi</p>', text: 'hi' }]);
  });

  it.each([['no-reply@mail.app.test', 'mail.app.test'], ['"App" <a@b.test> ', 'b.test'], ['no address at all', 'verigate.invalid']])(
    'takes the Message-ID domain from %j', async (from, domain) => {
      const id = await queue(fresh());
      const sent: OutgoingMail[] = [];
      await worker({ sendMail: async (m) => { sent.push(m); } }, { from }).w.drain();
      expect(sent[0].messageId).toBe(`<${id}@${domain}>`);
    });

  it('sends a whole batch at once and counts only what was delivered', async () => {
    const ids = [await queue(fresh()), await queue(fresh()), await queue('refused@example.com')];
    let inFlight = 0;
    let most = 0;
    const transport = {
      async sendMail(m: OutgoingMail) {
        most = Math.max(most, ++inFlight);
        await new Promise((r) => setImmediate(r));
        inFlight--;
        if (m.to === 'refused@example.com') throw smtpError(550);
      },
    };
    expect(await worker(transport).w.drain()).toBe(2);
    expect(most).toBe(3);
    expect((await Promise.all(ids.map(row))).map((r) => r.status)).toEqual(['sent', 'sent', 'dead']);
  });

  it('keeps claiming batches until nothing is due', async () => {
    for (let i = 0; i < 7; i++) await queue(fresh());
    expect(await worker({ sendMail: async () => {} }, { overrides: { batchSize: 2 } }).w.drain()).toBe(7);
  });

  it('fails the round, and keeps the message for a retry, when recording a delivery fails', async () => {
    const to = fresh();
    const id = await queue(to);
    const real = testDbAccess(db);
    let runs = 0;
    // The second statement of the round (markSent) finds the database gone.
    const flaky: DbAccess = { ...real, run: (work, within) => (++runs === 2 ? Promise.reject(Object.assign(new Error('Connection terminated'), { code: 'ECONNRESET' })) : real.run(work, within)) };
    const { w } = worker({ sendMail: async () => {} }, { db: flaky });
    await expect(w.drain()).rejects.toThrow('Connection terminated');
    expect(await row(id)).toMatchObject({ status: 'pending', attempts: 1 });
  });
});

describe('when it polls', () => {
  /** A poll hook that resolves `next()` at the end of each poll: the test waits for a poll, never for time. */
  function polls() {
    const waiting: Array<() => void> = [];
    let count = 0;
    return {
      onPoll: async () => { count++; waiting.splice(0).forEach((wake) => wake()); },
      next: () => new Promise<void>((resolve) => { waiting.push(resolve); }),
      get count() { return count; },
    };
  }

  it('polls at once when started, then every pollInterval, until closed', async () => {
    const p = polls();
    const { w } = worker(smtp(), { onPoll: p.onPoll, overrides: { pollIntervalMs: 30 } });
    const first = p.next();
    w.start();
    w.start();
    await first;
    // Queued after a poll finished: only a later poll can deliver it.
    const to = fresh();
    await queue(to);
    // A poll already under way may have looked before the row committed; the one after it cannot miss it.
    for (let i = 0; i < 2 && !sink.messages.some((m) => m.to === to); i++) await p.next();
    expect(sink.messages.filter((m) => m.to === to)).toHaveLength(1);
    // Closed while the next poll's timer is pending: that poll never comes.
    await new Promise((r) => setImmediate(r));
    await w.close();
    const after = p.count;
    await new Promise((r) => setTimeout(r, 100));
    expect(p.count).toBe(after);
  });

  it('runs a round soon after kick() instead of at the next poll', async () => {
    const p = polls();
    const { w } = worker(smtp(), { onPoll: p.onPoll });
    w.kick(); // before start(): nothing to wake
    const first = p.next();
    w.start();
    await first;
    const to = fresh();
    await queue(to);
    const woken = p.next();
    w.kick();
    await woken;
    expect(sink.messages.filter((m) => m.to === to)).toHaveLength(1);
  });

  it('a kick during a round runs one more round right after it, for mail queued after its last look', async () => {
    // The round is held just after its claim found nothing more: mail queued then is only found
    // because the kick asked for another round.
    const real = testDbAccess(db);
    let hold = false;
    let reached!: () => void;
    const atLastLook = new Promise<void>((resolve) => { reached = resolve; });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => { release = resolve; });
    const held: DbAccess = {
      ...real,
      run: async (work, within) => {
        const result = await real.run(work, within);
        if (hold && Array.isArray(result) && result.length === 0) { hold = false; reached(); await gate; }
        return result;
      },
    };
    const sent: string[] = [];
    const p = polls();
    const { w } = worker({ sendMail: async (m: OutgoingMail) => { sent.push(m.to); } }, { db: held, onPoll: p.onPoll });
    const [a, b] = [fresh(), fresh()];
    await queue(a);
    hold = true;
    const polled = p.next();
    w.start();
    await atLastLook;
    await queue(b);
    w.kick();
    release();
    await polled;
    expect(sent).toEqual([a, b]);
  });

  it('polls without a poll hook, quietly', async () => {
    const { w, logs } = worker(smtp(), { overrides: { pollIntervalMs: 20 } });
    w.start();
    for (const to of [fresh(), fresh()]) {
      await queue(to);
      await sink.waitFor((m) => m.to === to);
    }
    // The poll that sent the first one has finished by the time a later one sent the second.
    expect(logs).toEqual([]);
  });

  it('close() waits for the round in flight, and nothing is sent after it', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => { release = resolve; });
    const sent: string[] = [];
    const { w } = worker({ async sendMail(m: OutgoingMail) { sent.push(m.to); await gate; } });
    const [a, b] = [fresh(), fresh()];
    const id = await queue(a);
    const draining = w.drain();
    while (sent.length === 0) await new Promise((r) => setImmediate(r));
    const closing = w.close().then(async () => (await row(id)).status);
    // Closing cannot finish while the send is held; a close that did not wait would have read the row by now.
    expect(await Promise.race([closing, new Promise((r) => setTimeout(() => r('still closing'), 100))])).toBe('still closing');
    await queue(b);
    release();
    expect(await closing).toBe('sent');
    expect(await draining).toBe(1);
    expect(await w.drain()).toBe(0);
    expect(sent).toEqual([a]);
  });

  it('logs a failing poll hook or round and keeps polling', async () => {
    let calls = 0;
    let wake!: () => void;
    const third = new Promise<void>((resolve) => { wake = resolve; });
    const { w, logs } = worker({ sendMail: async () => {} }, {
      overrides: { pollIntervalMs: 10 },
      onPoll: async () => { if (++calls === 3) wake(); throw new Error('purge broke'); },
    });
    w.start();
    await third;
    await w.close();
    expect(logs.filter(([, m]) => m === 'outbox round failed; will retry').length).toBeGreaterThanOrEqual(2);
    expect(logs[0]).toEqual(['warn', 'outbox round failed; will retry', { error: expect.stringContaining('purge broke') }]);
  });
});
