import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { isInfrastructureError } from '../../../src/http/infrastructure-error.ts';
import { createLimiter, type Limiter, type LimitCheck, type LimitResult } from '../../../src/limits/limiter.ts';
import { resolveLimitOptions } from '../../../src/limits/limit-options.ts';
import type { Logger } from '../../../src/ports/logger.ts';
import { rawCommand, startRedisServer, type RedisServer } from '../../helpers/redis-server.ts';

// A private redis-server per file: these tests kill, restart and stall it; the shared one is never touched.
const SECRET = randomBytes(32);
const silent: Logger = { info: () => {}, warn: () => {}, error: () => {} };
const timings: Record<string, number> = {};

let server: RedisServer;
const limiters: Limiter[] = [];
const clients: Redis[] = [];

function limiterOn(client: Redis | string, timeoutMs?: number, logger: Logger = silent): Limiter {
  // Generous limits: these tests are about availability, not counting.
  const limits = resolveLimitOptions({ sendsPerUser: '100000/1h' });
  const limiter = createLimiter({ limits, store: { kind: 'redis', client }, prefix: 'fail-closed:', keySecret: SECRET, timeoutMs, logger });
  limiters.push(limiter);
  return limiter;
}

const check: LimitCheck[] = [{ rule: 'sendsPerUser', key: 'user-1' }];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Retries until the limiter answers; returns how long that took. */
async function msUntilAnswers(limiter: Limiter, timeoutMs = 10_000): Promise<number> {
  const started = Date.now();
  for (;;) {
    try {
      expect(await limiter.consume(check)).toEqual({ ok: true });
      return Date.now() - started;
    } catch (error) {
      if (!isInfrastructureError(error) || Date.now() - started > timeoutMs) throw error;
      await sleep(25);
    }
  }
}

/** Consumes repeatedly for `forMs`; every call must fail with an infrastructure error. Returns the slowest. */
async function slowestRefusal(limiter: Limiter, forMs: number): Promise<number> {
  const until = Date.now() + forMs;
  let slowest = 0;
  let calls = 0;
  while (Date.now() < until) {
    const started = Date.now();
    const outcome: LimitResult | unknown = await limiter.consume(check).catch((error: unknown) => error);
    slowest = Math.max(slowest, Date.now() - started);
    calls++;
    expect(outcome).not.toEqual({ ok: true });
    expect(isInfrastructureError(outcome)).toBe(true);
    await sleep(50);
  }
  expect(calls).toBeGreaterThan(3);
  return slowest;
}

beforeAll(async () => {
  server = await startRedisServer({ extraArgs: ['--enable-debug-command', 'yes'] });
});

afterEach(async () => {
  await Promise.all(limiters.splice(0).map((limiter) => limiter.close()));
  for (const client of clients.splice(0)) client.disconnect();
});

afterAll(async () => {
  await server?.stop();
  if (process.env.VERIGATE_TIMINGS) console.log('limiter timings (ms)', timings);
});

describe('limiter when Redis fails', () => {
  it('with a client it created from a URL: refuses within 2 s while Redis is down, and recovers by itself', async () => {
    const logged: string[] = [];
    const record = (level: string) => (message: string) => void logged.push(`${level}: ${message}`);
    const limiter = limiterOn(server.url, undefined, { info: record('info'), warn: record('warn'), error: record('error') });
    await msUntilAnswers(limiter);
    logged.length = 0;

    await server.kill();
    timings.urlClientSlowestRefusal = await slowestRefusal(limiter, 3000);
    expect(timings.urlClientSlowestRefusal).toBeLessThan(2000);

    await server.restart();
    timings.urlClientRecovery = await msUntilAnswers(limiter);
    expect(timings.urlClientRecovery).toBeLessThan(5000);
    // Dozens of failed reconnects and refused calls, yet at most one warning each from the client and
    // the limiter (the limiter's may already have been spent while the client first connected).
    expect(logged.filter((line) => line === 'warn: Redis unavailable; requests that need it are refused until it reconnects.')).toHaveLength(1);
    expect(logged.filter((line) => line.startsWith('warn')).length).toBeLessThanOrEqual(2);
    expect(logged.at(-1)).toBe('info: Redis reachable again.');
  });

  it("with a host's client on ioredis defaults (offline queue, retries): still refuses within 2 s, and recovers", async () => {
    const host = new Redis(server.url);
    host.on('error', () => {});
    clients.push(host);
    const limiter = limiterOn(host);
    await msUntilAnswers(limiter);

    await server.kill();
    timings.hostClientSlowestRefusal = await slowestRefusal(limiter, 3000);
    expect(timings.hostClientSlowestRefusal).toBeLessThan(2000);

    await server.restart();
    timings.hostClientRecovery = await msUntilAnswers(limiter);
    expect(timings.hostClientRecovery).toBeLessThan(5000);
  });

  it('gives up on a stalled Redis after its own timeoutMs, even when the client would wait forever', async () => {
    const host = new Redis(server.url); // no commandTimeout: only the limiter's deadline can end the wait
    host.on('error', () => {});
    clients.push(host);
    const limiter = limiterOn(host, 300);
    await msUntilAnswers(limiter);

    void rawCommand(server.port, 'DEBUG SLEEP 2', 100);
    await sleep(100);
    const started = Date.now();
    const error = await limiter.consume(check).then(() => null, (e: unknown) => e);
    timings.stalledHostClientTimeout = Date.now() - started;
    expect(error).toMatchObject({ name: 'ServiceUnavailableError', code: 'ETIMEDOUT' });
    expect(isInfrastructureError(error)).toBe(true);
    expect(timings.stalledHostClientTimeout).toBeGreaterThanOrEqual(250);
    expect(timings.stalledHostClientTimeout).toBeLessThan(800);

    timings.stalledHostClientRecovery = await msUntilAnswers(limiter);
  });

  it('with its own client and the default 1 s deadline, a stall is refused in about a second', async () => {
    const limiter = limiterOn(server.url);
    await msUntilAnswers(limiter);

    void rawCommand(server.port, 'DEBUG SLEEP 3', 100);
    await sleep(100);
    const started = Date.now();
    const error = await limiter.consume(check).then(() => null, (e: unknown) => e);
    timings.stalledUrlClientTimeout = Date.now() - started;
    expect(isInfrastructureError(error)).toBe(true);
    expect(timings.stalledUrlClientTimeout).toBeLessThan(1500);

    timings.stalledUrlClientRecovery = await msUntilAnswers(limiter);
  });

  it('refuses at once when Redis is not there at start-up, and starts counting once it is', async () => {
    await server.kill();
    const limiter = limiterOn(server.url);
    timings.downAtStartSlowestRefusal = await slowestRefusal(limiter, 1000);
    expect(timings.downAtStartSlowestRefusal).toBeLessThan(2000);
    await server.restart();
    timings.downAtStartRecovery = await msUntilAnswers(limiter);
  });
});
