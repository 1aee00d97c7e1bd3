import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { createExampleApp, type ExampleApp } from '../../example-app/app.ts';
import { startRealServices, type RealServices } from '../helpers/real-services.ts';
import { REDIS_URL, TEST_SECRET } from '../helpers/services.ts';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.ts';
import { ageOutbox } from '../helpers/time-travel.ts';

const JSON_ACCEPT = { Accept: 'application/json' };
const PASSWORD = 'correct horse battery';

async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * The example app in real mode whose SMTP server accepts TCP and never says a word (a proxy in
 * black-hole mode in front of the test's SMTP sink): the sign-up answer must not wait on it.
 */
describe('example app with an SMTP server that accepts connections but never greets', () => {
  let services: RealServices;
  let smtp: TcpProxy;
  let example: ExampleApp;
  let counter = 0;
  const fresh = () => `silent-${Date.now()}-${counter++}@example.com`;

  beforeAll(async () => {
    services = await startRealServices();
    smtp = await startTcpProxy(services.sink.port);
    smtp.setMode('blackhole');
    example = await createExampleApp({
      NODE_ENV: 'test', DATABASE_URL: services.db.url, REDIS_URL, REDIS_PREFIX: `${services.redis.prefix}sess:`,
      SMTP_URL: `smtp://127.0.0.1:${smtp.port}`, VERIGATE_SECRET: TEST_SECRET, SESSION_SECRET: TEST_SECRET, BASE_URL: 'http://localhost:3000',
    });
  }, 60_000);
  afterAll(async () => {
    await example?.close();
    await smtp?.close();
    await services?.close();
  });

  const rowsOf = async (recipients: string[]) => services.db.orm.em.fork().execute<{ id: string; status: string; attempts: number; last_error: string | null }[]>(
    `select id, status, attempts, last_error from verigate_outbox where recipient in (${recipients.map(() => '?').join(',')})`, recipients);
  const signUp = async (email: string) => {
    const started = performance.now();
    await request(example.app).post('/signup').set(JSON_ACCEPT).send({ email, password: PASSWORD }).expect(202, { status: 'CHECK_INBOX' });
    return performance.now() - started;
  };

  it('answers sign-ups without waiting on SMTP; the worker times out on the greeting, retries, and delivers each once SMTP answers', async () => {
    // verigate's transport gives a server this long to greet (5 s, or the send timeout if shorter).
    const greetingMs = Math.min(example.vg.config.worker.sendTimeoutMs, 5000);

    // The worker is stuck on the silent server with the first sign-up's mail…
    const first = fresh();
    await signUp(first);
    await until('the first mail to be claimed', async () => ((await rowsOf([first]))[0]?.attempts === 1 ? true : undefined), 10_000);

    // …while more people sign up: each is answered at once. Waiting on SMTP would cost at least the greeting timeout.
    const others = Array.from({ length: 8 }, fresh);
    const latencies: number[] = [];
    for (const email of others) latencies.push(await signUp(email));
    expect(Math.max(...latencies)).toBeLessThan(greetingMs / 2);

    // Every mail's first attempt ends in a greeting timeout; the rows stay pending for a retry.
    const everyone = [first, ...others];
    const failed = await until('every first attempt to time out', async () => {
      const rows = await rowsOf(everyone);
      return rows.length === everyone.length && rows.every((r) => r.last_error !== null) ? rows : undefined;
    }, 6 * greetingMs);
    for (const row of failed) {
      expect(row.status).toBe('pending');
      expect(row.attempts).toBe(1);
      expect(row.last_error).toMatch(/greeting|timed? ?out|ETIMEDOUT/i);
    }

    // SMTP answers again; the retries come due (moved an hour back) and go out, one message per row.
    smtp.setMode('forward');
    smtp.cutAll();
    await ageOutbox(services.db, 3_600_000);
    const ids = failed.map((r) => r.id);
    const byId = () => services.db.orm.em.fork().execute<{ status: string; attempts: number }[]>(
      `select status, attempts from verigate_outbox where id in (${ids.map(() => '?').join(',')})`, ids);
    const rows = await until('every mail to be sent', async () => {
      const current = await byId();
      return current.every((r) => r.status === 'sent') ? current : undefined;
    }, 20_000);
    expect(rows).toHaveLength(everyone.length);
    for (const row of rows) expect(row).toEqual({ status: 'sent', attempts: 2 });
    for (const to of everyone) expect(services.sink.messages.filter((m) => m.to === to)).toHaveLength(1);
  }, 60_000);
});
