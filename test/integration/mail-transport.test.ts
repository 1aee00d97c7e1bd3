import net from 'node:net';
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from '@jest/globals';
import { createMailTransport } from '../../src/outbox/mail-transport.ts';
import type { OutgoingMail } from '../../src/ports/mail.ts';
import { startSmtpSink } from '../helpers/smtp-sink.ts';

// The SMTP transport verigate builds from a URL, against a real SMTP sink and a server that never greets.
const closers: Array<() => unknown> = [];
afterAll(async () => { for (const close of closers) await close(); });

const message = (to: string): OutgoingMail => ({ from: 'a@app.test', to, subject: 'Hi', html: '<p>hi</p>', text: 'hi' });

async function silentServer(): Promise<number> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => { sockets.add(socket); socket.on('error', () => {}); });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  closers.push(() => new Promise<void>((resolve) => { for (const s of sockets) s.destroy(); server.close(() => resolve()); }));
  return (server.address() as net.AddressInfo).port;
}

async function failureOf(send: Promise<unknown>): Promise<{ error: { code?: string; message: string }; ms: number }> {
  const started = Date.now();
  const error = await send.then(() => { throw new Error('sent to a server that never greets'); }, (e: { code?: string; message: string }) => e);
  return { error, ms: Date.now() - started };
}

describe('createMailTransport', () => {
  it('uses a host\'s own transport as it is, and never closes it', async () => {
    let closed = false;
    const host = { sendMail: async () => 'ok', close: () => { closed = true; } };
    const owned = createMailTransport(host, 1000);
    expect(owned.transport).toBe(host);
    owned.close();
    expect(closed).toBe(false);
  });

  it('sends a batch over a pool of at most `connections` connections, and at least one', async () => {
    const sink = await startSmtpSink();
    closers.push(() => sink.stop());
    for (const [connections, most] of [[2, 2], [0, 1]]) {
      const before = sink.connections;
      const mail = createMailTransport(sink.url, 5000, connections);
      const recipients = Array.from({ length: 6 }, () => `${randomUUID()}@example.com`);
      await Promise.all(recipients.map((to) => mail.transport.sendMail(message(to))));
      mail.close();
      expect(sink.connections - before).toBe(most);
      for (const to of recipients) expect(sink.messages.filter((m) => m.to === to)).toHaveLength(1);
    }
  });

  it('caps the pool at 20 connections', async () => {
    const sink = await startSmtpSink();
    closers.push(() => sink.stop());
    const mail = createMailTransport(sink.url, 5000, 50);
    await Promise.all(Array.from({ length: 30 }, () => mail.transport.sendMail(message(`${randomUUID()}@example.com`))));
    mail.close();
    expect(sink.connections).toBeLessThanOrEqual(20);
    expect(sink.messages).toHaveLength(30);
  });

  it('gives up on a server that never greets after the send timeout', async () => {
    const mail = createMailTransport(`smtp://127.0.0.1:${await silentServer()}`, 300);
    closers.push(() => mail.close());
    const { error, ms } = await failureOf(mail.transport.sendMail(message('a@example.com')));
    // Greeting and socket timeouts are both 300 ms here: either may be the one that fires.
    expect(error.code).toBe('ETIMEDOUT');
    expect(ms).toBeLessThan(3000);
  });

  it('waits at most 5 s for a greeting, however long the send timeout', async () => {
    const mail = createMailTransport(`smtp://127.0.0.1:${await silentServer()}`, 60_000);
    closers.push(() => mail.close());
    const { error, ms } = await failureOf(mail.transport.sendMail(message('a@example.com')));
    expect(error.message).toMatch(/greeting/i);
    expect(ms).toBeGreaterThanOrEqual(4900);
    expect(ms).toBeLessThan(15_000);
  }, 30_000);
});
