import net from 'node:net';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { deriveKeys } from '../../src/crypto/keys.ts';
import { mikroOrmContext } from '../../src/db/mikro-orm.ts';
import { createMailTransport } from '../../src/outbox/mail-transport.ts';
import { enqueueEmail } from '../../src/outbox/outbox-store.ts';
import { createOutboxWorker, type OutboxWorker } from '../../src/outbox/outbox-worker.ts';
import type { MailTransport } from '../../src/ports/mail.ts';
import { quietLogger, testDbAccess } from '../helpers/core.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { TEST_SECRET } from '../helpers/services.ts';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.ts';
import { ageOutbox } from '../helpers/time-travel.ts';

const keys = deriveKeys(TEST_SECRET);
const settings = { pollIntervalMs: 50, maxAttempts: 5, retryBaseMs: 1000, batchSize: 10, sendTimeoutMs: 2000, leaseMs: 5000, listen: false };
let db: TestDatabase;
let sink: SmtpSink;
const closers: Array<() => unknown> = [];

beforeAll(async () => {
  db = await createTestDatabase();
  sink = await startSmtpSink();
});
// Each test counts the rows it drains, so none may inherit another's.
beforeEach(async () => { await db.orm.em.fork().execute('delete from verigate_outbox'); });
afterAll(async () => {
  for (const close of closers.reverse()) await close();
  await sink.stop();
  await db.close();
});

function worker(transport: MailTransport | string, overrides: Partial<typeof settings> = {}): OutboxWorker {
  const mail = createMailTransport(transport, overrides.sendTimeoutMs ?? settings.sendTimeoutMs, settings.batchSize);
  const w = createOutboxWorker({ db: testDbAccess(db), sealKey: keys.outboxSeal, transport: mail.transport, from: 'App <no-reply@app.test>', logger: quietLogger, settings: { ...settings, ...overrides } });
  closers.push(() => mail.close(), () => w.close());
  return w;
}

async function queue(to: string) {
  return db.orm.em.fork().transactional((tx) => enqueueEmail(mikroOrmContext(tx), keys.outboxSeal, {
    kind: 'verify', to, email: { subject: 'Hello', html: '<p>hi</p>', text: 'hi' },
  }));
}

/** An SMTP port that accepts TCP and never says a word. */
async function silentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => { sockets.add(socket); socket.on('error', () => {}); });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => new Promise<void>((resolve) => { for (const s of sockets) s.destroy(); server.close(() => resolve()); }),
  };
}

const messageIds = (to: string) => sink.messages.filter((m) => m.to === to).map((m) => /^Message-ID:\s*(\S+)/im.exec(m.raw)?.[1]);

describe('outbox under SMTP faults', () => {
  it('a server that accepts but never greets costs one greeting timeout for the whole batch, then the mail is retried', async () => {
    const silent = await silentServer();
    closers.push(() => silent.close());
    const recipients = Array.from({ length: 10 }, () => `${randomUUID()}@example.com`);
    for (const to of recipients) await queue(to);
    const w = worker(`smtp://127.0.0.1:${silent.port}`, { sendTimeoutMs: 1500, leaseMs: 4000 });
    const started = Date.now();
    expect(await w.drain()).toBe(0);
    // Ten messages, sent concurrently over the pool: about one timeout in all, not one per message.
    expect(Date.now() - started).toBeLessThan(4000);
    const rows = await db.orm.em.fork().execute(`select status, attempts, last_error from verigate_outbox where recipient in (${recipients.map(() => '?').join(',')})`, recipients);
    expect(rows).toHaveLength(10);
    for (const row of rows) {
      expect(row.status).toBe('pending');
      expect(row.attempts).toBe(1);
      expect(row.last_error).toMatch(/timed? ?out|ETIMEDOUT|greeting/i);
    }
    // Back to a working server: every one of them is delivered, once.
    await ageOutbox(db, 60_000);
    expect(await worker(sink.url).drain()).toBe(10);
    for (const to of recipients) expect(messageIds(to)).toHaveLength(1);
  });

  it('a worker that dies after SMTP accepted a message but before recording it causes at most one duplicate, with the same Message-ID', async () => {
    const to = `${randomUUID()}@example.com`;
    const id = await queue(to);
    // Stands in for a crash between the SMTP answer and the bookkeeping write: the send happens, then the worker is gone.
    const real = createMailTransport(sink.url, 2000).transport;
    let crashed = false;
    const crashing: MailTransport = {
      async sendMail(message) {
        await real.sendMail(message);
        crashed = true;
        throw Object.assign(new Error('worker process killed'), { code: 'ECONNRESET' });
      },
    };
    await worker(crashing).drain();
    expect(crashed).toBe(true);
    await sink.waitFor((m) => m.to === to);
    // The lease (or, here, the retry time) passes; another worker picks the row up again.
    await ageOutbox(db, 60_000);
    await worker(sink.url).drain();
    await sink.waitFor(() => messageIds(to).length === 2);
    const ids = messageIds(to);
    expect(ids).toEqual([`<${id}@app.test>`, `<${id}@app.test>`]);
    const [row] = await db.orm.em.fork().execute('select status from verigate_outbox where id = ?', [id]);
    expect(row.status).toBe('sent');
  });

  it('SMTP down through a burst, then back: every message delivered exactly once', async () => {
    const probe = await startSmtpSink();
    const port = probe.port;
    await probe.stop();
    const recipients = Array.from({ length: 30 }, () => `${randomUUID()}@example.com`);
    await Promise.all(recipients.map((to) => queue(to)));
    const down = worker(`smtp://127.0.0.1:${port}`);
    await down.drain();
    await down.drain();
    const back = await startSmtpSink(port);
    try {
      await ageOutbox(db, 3_600_000);
      const up = worker(`smtp://127.0.0.1:${port}`);
      let sent = 0;
      for (let round = 0; round < 5 && sent < recipients.length; round++) sent += await up.drain();
      expect(sent).toBe(recipients.length);
      for (const to of recipients) expect(back.messages.filter((m) => m.to === to)).toHaveLength(1);
    } finally {
      await back.stop();
    }
  });
});
