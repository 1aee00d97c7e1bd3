import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { deriveKeys } from '../../src/crypto/keys.ts';
import { createMailTransport } from '../../src/outbox/mail-transport.ts';
import { mikroOrmContext } from '../../src/db/mikro-orm.ts';
import { enqueueEmail } from '../../src/outbox/outbox-store.ts';
import { createOutboxWorker, type OutboxWorker } from '../../src/outbox/outbox-worker.ts';
import { testDbAccess } from '../helpers/core.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { ageOutbox } from '../helpers/time-travel.ts';
import { TEST_SECRET } from '../helpers/services.ts';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.ts';
import { holdRowLocks, waitForLockWaiters } from '../helpers/lock-barrier.ts';

const keys = deriveKeys(TEST_SECRET);
const quiet = { info() {}, warn() {}, error() {} };
const settings = { pollIntervalMs: 50, maxAttempts: 3, retryBaseMs: 1000, batchSize: 5, sendTimeoutMs: 2000, leaseMs: 60_000 };
let db: TestDatabase;
let sink: SmtpSink;
const closers: Array<() => unknown> = [];

function worker(smtpUrl: string, overrides: Partial<typeof settings> = {}): OutboxWorker {
  const mail = createMailTransport(smtpUrl, settings.sendTimeoutMs);
  const w = createOutboxWorker({
    db: testDbAccess(db), sealKey: keys.outboxSeal, transport: mail.transport, from: 'App <no-reply@app.test>',
    logger: quiet, settings: { ...settings, ...overrides },
  });
  closers.push(() => w.close(), () => mail.close());
  return w;
}

async function queue(to: string, secretLink = `https://app.test/verify/confirm?token=${'S'.repeat(43)}`) {
  return db.orm.em.fork().transactional((tx) => enqueueEmail(mikroOrmContext(tx), keys.outboxSeal, {
    kind: 'verify', to, email: { subject: 'Hello', html: `<a href="${secretLink}">x</a>`, text: `Open ${secretLink}` },
  }));
}

const row = async (id: string) => (await db.orm.em.fork().execute('select * from verigate_outbox where id = ?', [id]))[0];

beforeAll(async () => {
  db = await createTestDatabase();
  sink = await startSmtpSink();
});
// Every test starts from an empty outbox, so none depends on what an earlier one left behind.
beforeEach(async () => { await db.orm.em.fork().execute('delete from verigate_outbox'); });
afterAll(async () => {
  for (const close of closers) await close();
  await sink.stop();
  await db.close();
});

describe('outbox worker', () => {
  it('delivers over SMTP, then scrubs the payload so no link stays at rest', async () => {
    const to = `${randomUUID()}@example.com`;
    const id = await queue(to);
    expect(await worker(sink.url).drain()).toBeGreaterThanOrEqual(1);
    const mail = await sink.waitFor((m) => m.to === to);
    expect(mail.subject).toBe('Hello');
    expect(mail.text).toContain('S'.repeat(43));
    const stored = await row(id);
    expect(stored.status).toBe('sent');
    expect(stored.payload).toBeNull();
    expect(stored.recipient).toBe(`${to[0]}***@example.com`);
    expect(stored.sent_at).not.toBeNull();
    expect(stored.attempts).toBe(1);
  });

  it('sends a message in the language it was queued in, as Content-Language', async () => {
    const to = `${randomUUID()}@example.com`;
    await db.orm.em.fork().transactional((tx) => enqueueEmail(mikroOrmContext(tx), keys.outboxSeal, {
      kind: 'verify', to, email: { subject: 'Hallo', html: '<p>Hallo</p>', text: 'Hallo', locale: 'de' },
    }));
    await worker(sink.url).drain();
    const mail = await sink.waitFor((m) => m.to === to);
    expect(mail.raw).toMatch(/^Content-Language: de\r?$/m);
  });

  it('keeps the message when SMTP is down, retries with backoff, and delivers once SMTP is back', async () => {
    const down = await startSmtpSink();
    const port = down.port;
    await down.stop();
    const to = `${randomUUID()}@example.com`;
    const id = await queue(to);
    const w = worker(`smtp://127.0.0.1:${port}`);

    expect(await w.drain()).toBe(0);
    const failed = await row(id);
    expect(failed.status).toBe('pending');
    expect(failed.attempts).toBe(1);
    expect(failed.payload).not.toBeNull();
    expect(failed.last_error).toMatch(/ECONNREFUSED|connect/i);
    expect(failed.last_error).not.toContain('S'.repeat(43));
    expect(new Date(failed.next_attempt_at).getTime()).toBeGreaterThan(Date.now());

    // Not due yet: a drain before the backoff has passed sends nothing.
    const back = await startSmtpSink(port);
    try {
      expect(await w.drain()).toBe(0);
      await ageOutbox(db, 2_000);
      expect(await w.drain()).toBe(1);
      const mail = await back.waitFor((m) => m.to === to);
      expect(mail.text).toContain('token=');
      expect((await row(id)).status).toBe('sent');
    } finally {
      await back.stop();
    }
  });

  it('parks a message as dead after the last attempt, without the payload', async () => {
    const to = `${randomUUID()}@example.com`;
    const id = await queue(to);
    const w = worker('smtp://127.0.0.1:1', { maxAttempts: 2 });
    await w.drain();
    // A retry still needs the address; only a row that can never be sent again loses it.
    expect((await row(id)).recipient).toBe(to);
    await ageOutbox(db, 10 * 60_000);
    await w.drain();
    const dead = await row(id);
    expect(dead.status).toBe('dead');
    expect(dead.attempts).toBe(2);
    expect(dead.payload).toBeNull();
    expect(dead.recipient).toBe(`${to[0]}***@example.com`);
    await ageOutbox(db, 24 * 3_600_000);
    expect(await w.drain()).toBe(0);
  });

  it('delivers each message exactly once when several workers drain at the same time', async () => {
    const recipients = Array.from({ length: 12 }, () => `${randomUUID()}@example.com`);
    for (const to of recipients) await queue(to);
    const workers = [worker(sink.url), worker(sink.url), worker(sink.url)];
    const sent = await Promise.all(workers.map((w) => w.drain()));
    expect(sent.reduce((a, b) => a + b, 0)).toBe(recipients.length);
    for (const to of recipients) await sink.waitFor((m) => m.to === to);
    for (const to of recipients) expect(sink.messages.filter((m) => m.to === to)).toHaveLength(1);
  });

  it('never claims a row twice, even when its claim met the row locked by another claim (forced by a lock the test holds)', async () => {
    const to = `${randomUUID()}@example.com`;
    const id = await queue(to);
    const [a, b] = [worker(sink.url), worker(sink.url)];
    // The test's lock stands in for a claim in flight. Both workers must skip the row; were they to
    // queue on it instead, each would claim it once the lock went, with the snapshot it started from.
    const held = await holdRowLocks(db, 'select 1 from verigate_outbox where id = $1 for update', [id]);
    const during = Promise.all([a.drain(), b.drain()]);
    try {
      await waitForLockWaiters(db, 2, { unless: during });
    } finally {
      await held.release();
    }
    const sent = [...await during, await a.drain(), await b.drain()];
    expect(sent.reduce((x, y) => x + y, 0)).toBe(1);
    await sink.waitFor((m) => m.to === to);
    expect(sink.messages.filter((m) => m.to === to)).toHaveLength(1);
    expect((await row(id)).attempts).toBe(1);
  });

  it('parks a message as dead at once when the server refuses the recipient permanently (5xx)', async () => {
    const picky = await startSmtpSink(0, { rejectRecipient: (a) => a.startsWith('nobody-') });
    try {
      const to = `nobody-${randomUUID()}@example.com`;
      const id = await queue(to);
      await worker(picky.url).drain();
      const stored = await row(id);
      expect(stored.status).toBe('dead');
      expect(stored.attempts).toBe(1);
      expect(stored.last_error).toContain('550');
      expect(stored.recipient).toBe('n***@example.com');
    } finally {
      await picky.stop();
    }
  });

  it('sends nothing after close(), even for a drain that was waiting on a round', async () => {
    const w = worker(sink.url);
    const to = `${randomUUID()}@example.com`;
    const id = await queue(to);
    await w.close();
    expect(await w.drain()).toBe(0);
    expect((await row(id)).status).toBe('pending');
    expect(sink.messages.some((m) => m.to === to)).toBe(false);
  });

  it('gives up on a send that never answers after sendTimeout, and retries it later', async () => {
    const to = `${randomUUID()}@example.com`;
    const id = await queue(to);
    const hanging = { sendMail: () => new Promise<never>(() => {}) };
    const w = createOutboxWorker({ db: testDbAccess(db), sealKey: keys.outboxSeal, transport: hanging, from: 'a@app.test', logger: quiet, settings: { ...settings, sendTimeoutMs: 300 } });
    closers.push(() => w.close());
    const started = Date.now();
    expect(await w.drain()).toBe(0);
    expect(Date.now() - started).toBeLessThan(2000);
    const stored = await row(id);
    expect(stored.status).toBe('pending');
    expect(stored.last_error).toBe('ETIMEDOUT send timed out after 300 ms');
  });

  it('keeps the link out of logs and the error column even when a transport echoes the message back', async () => {
    const token = 'E'.repeat(43);
    const to = `${randomUUID()}@example.com`;
    const id = await queue(to, `https://app.test/verify/confirm?token=${token}`);
    const logged: unknown[] = [];
    const capture = { info: (...a: unknown[]) => logged.push(a), warn: (...a: unknown[]) => logged.push(a), error: (...a: unknown[]) => logged.push(a) };
    // A provider that quotes the rejected body in its error, as some HTTP mail APIs do.
    const echoing = { async sendMail(message: { text: string }) { throw new Error(`rejected: ${message.text}`); } };
    const w = createOutboxWorker({ db: testDbAccess(db), sealKey: keys.outboxSeal, transport: echoing, from: 'a@app.test', logger: capture, settings });
    await w.drain();
    await w.close();
    const stored = await row(id);
    expect(stored.last_error).toContain('rejected');
    expect(stored.last_error).not.toContain(token);
    expect(stored.last_error).not.toContain('https://');
    expect(logged.length).toBeGreaterThan(0);
    expect(JSON.stringify(logged)).not.toContain(token);
    await db.orm.em.fork().execute(`update verigate_outbox set status = 'dead' where id = ?`, [id]);
  });

  it('polls on its own once started', async () => {
    const to = `${randomUUID()}@example.com`;
    const w = worker(sink.url);
    w.start();
    await queue(to);
    const mail = await sink.waitFor((m) => m.to === to, 5000);
    expect(mail.subject).toBe('Hello');
    await w.close();
  });
});
