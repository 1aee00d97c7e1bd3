import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { createLimiter, type Limiter, type LimitCheck } from '../../../src/limits/limiter.ts';
import { resolveLimitOptions, type LimitOptions } from '../../../src/limits/limit-options.ts';
import { redisCounter } from '../../../src/limits/window-counter.ts';
import type { Logger } from '../../../src/ports/logger.ts';
import { REDIS_URL } from '../../helpers/services.ts';

// The shared Redis: this file writes only under its own random prefix and deletes only those keys.
const PREFIX = `verigate-test:limits:${randomBytes(6).toString('hex')}:`;
const SECRET = randomBytes(32);
const silent: Logger = { info: () => {}, warn: () => {}, error: () => {} };
const EMAIL = 'alice.cleartext@example.com';
const IP = '203.0.113.77';

let admin: Redis;
const limiters: Limiter[] = [];
const clients: Redis[] = [];

function hostClient(): Redis {
  const client = new Redis(REDIS_URL, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  clients.push(client);
  return client;
}

async function ready(client: Redis): Promise<Redis> {
  if (client.status !== 'ready') await new Promise((resolve) => client.once('ready', resolve));
  return client;
}

function limiterOn(client: Redis | string, limits?: LimitOptions, prefix = PREFIX): Limiter {
  const limiter = createLimiter({ limits: resolveLimitOptions(limits), store: { kind: 'redis', client }, prefix, keySecret: SECRET, logger: silent });
  limiters.push(limiter);
  return limiter;
}

async function eventually<T>(attempt: () => Promise<T>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

async function ourKeys(): Promise<string[]> {
  return admin.keys(`${PREFIX}*`);
}

beforeAll(async () => {
  admin = await ready(new Redis(REDIS_URL, { maxRetriesPerRequest: 1 }));
});

afterEach(async () => {
  await Promise.all(limiters.splice(0).map((limiter) => limiter.close()));
  for (const client of clients.splice(0)) client.disconnect();
  const keys = await ourKeys();
  if (keys.length) await admin.del(...keys);
});

afterAll(async () => {
  await admin.quit();
});

describe('limiter on the real Redis', () => {
  it('allows exactly 3 of 50 concurrent sends for one user', async () => {
    const limiter = limiterOn(await ready(hostClient()));
    const results = await Promise.all(Array.from({ length: 50 }, () => limiter.consume([{ rule: 'sendsPerUser', key: 'user-1' }])));
    expect(results.filter((r) => r.ok)).toHaveLength(3);
    for (const refused of results.filter((r) => !r.ok)) {
      expect(refused).toMatchObject({ rule: 'sendsPerUser' });
      expect((refused as { retryAfterSeconds: number }).retryAfterSeconds).toBeGreaterThan(3590);
    }
  });

  it('holds the limit across two instances with two clients (like two app processes)', async () => {
    const a = limiterOn(await ready(hostClient()));
    const b = limiterOn(await ready(hostClient()));
    const check: LimitCheck[] = [{ rule: 'sendsPerRecipient', key: EMAIL }];
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).consume(check)));
    expect(results.filter((r) => r.ok)).toHaveLength(3);
    expect(await a.consume(check)).toMatchObject({ ok: false });
    expect(await b.consume(check)).toMatchObject({ ok: false });
  });

  it('holds several windows and rules at once: refusals cost the other windows nothing', async () => {
    const limiter = limiterOn(await ready(hostClient()), { sendsPerUser: ['2/1h', '3/1d'], sendsPerIp: '100/1h' });
    const checks: LimitCheck[] = [{ rule: 'sendsPerUser', key: 'user-2' }, { rule: 'sendsPerIp', key: IP }];
    const results = await Promise.all(Array.from({ length: 30 }, () => limiter.consume(checks)));
    expect(results.filter((r) => r.ok)).toHaveLength(2);
    await limiter.close(); // waits for the refunds
    const counts = await Promise.all((await ourKeys()).map(async (key) => [key.replace(/:[0-9a-f]{32}$/, ''), Number(await admin.get(key))]));
    expect(Object.fromEntries(counts)).toEqual({
      [`${PREFIX}limit:sendsPerUser:3600s`]: 2,
      [`${PREFIX}limit:sendsPerUser:86400s`]: 2,
      [`${PREFIX}limit:sendsPerIp:3600s`]: 2,
    });
  });

  it('gives every key a TTL and stores no address or IP in clear', async () => {
    const limiter = limiterOn(await ready(hostClient()));
    await limiter.consume([
      { rule: 'sendsPerUser', key: 'user-3' }, { rule: 'sendsPerRecipient', key: EMAIL }, { rule: 'sendsPerIp', key: IP },
      { rule: 'attemptsPerIp', key: IP }, { rule: 'passwordAttemptsPerUser', key: 'user-3' }, { rule: 'codeAttemptsPerIp', key: IP },
    ]);
    const keys = await ourKeys();
    expect(keys).toHaveLength(8); // two windows for each send-per-user/recipient rule, one for the others
    const windows: Record<string, number> = { '3600s': 3600, '86400s': 86_400, '600s': 600, '900s': 900 };
    for (const key of keys) {
      const match = /^(.*)limit:(\w+):(\d+s):([0-9a-f]{32})$/.exec(key);
      expect(match?.[1]).toBe(PREFIX);
      const ttl = await admin.ttl(key);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(windows[match![3]]);
      for (const secret of [EMAIL, 'alice', IP, '203.0.113', 'user-3']) expect(key).not.toContain(secret);
    }
    // The same IP under different rules is not linkable by its hash.
    const ipHashes = keys.filter((k) => /PerIp:/.test(k)).map((k) => k.slice(-32));
    expect(new Set(ipHashes).size).toBe(3);
  });

  it('refunds never create a key (an ended window is not pre-spent)', async () => {
    const client = await ready(hostClient());
    const counter = redisCounter(client, { points: 3, durationMs: 60_000 }, `${PREFIX}refund`);
    await counter.refund('gone', { refused: false, msLeft: 60_000 });
    expect(await admin.exists(`${PREFIX}refund:gone`)).toBe(0);
    // A window that ended and started again after the consume keeps its count.
    await counter.consume('renewed');
    await admin.pexpire(`${PREFIX}refund:renewed`, 60_000);
    await counter.refund('renewed', { refused: false, msLeft: 30_000 });
    expect(await admin.get(`${PREFIX}refund:renewed`)).toBe('1');
    const taken = await counter.consume('here');
    expect(taken).toEqual({ refused: false, msLeft: 60_000 });
    await counter.refund('here', taken);
    expect(await admin.get(`${PREFIX}refund:here`)).toBe('0');
    expect(await admin.ttl(`${PREFIX}refund:here`)).toBeGreaterThan(0);
  });

  it('peeks and resets', async () => {
    const limiter = limiterOn(await ready(hostClient()), { passwordAttemptsPerUser: ['2/15m', '4/1d'] });
    const attempt: LimitCheck[] = [{ rule: 'passwordAttemptsPerUser', key: 'user-4' }];
    expect(await limiter.peek(attempt)).toEqual({ ok: true });
    await limiter.consume(attempt);
    await limiter.consume(attempt);
    expect(await limiter.peek(attempt)).toEqual({ ok: false, rule: 'passwordAttemptsPerUser', retryAfterSeconds: 900 });
    await limiter.reset('passwordAttemptsPerUser', 'user-4');
    expect(await ourKeys()).toEqual([]);
    expect(await limiter.consume(attempt)).toEqual({ ok: true });
  });

  it('quits a client it created from a URL, and leaves a host client open', async () => {
    const host = await ready(hostClient());
    const own = limiterOn(REDIS_URL, { sendsPerUser: '1/1h' });
    const borrowed = limiterOn(host, { sendsPerUser: '1/1h' }, `${PREFIX}b:`);
    // A client verigate creates fails fast until connected rather than queueing, so wait for it.
    expect(await eventually(() => own.consume([{ rule: 'sendsPerUser', key: 'user-5' }]))).toEqual({ ok: true });
    expect(await borrowed.consume([{ rule: 'sendsPerUser', key: 'user-5' }])).toEqual({ ok: true });
    await own.close();
    await borrowed.close();
    expect(host.status).toBe('ready');
    expect(await host.ping()).toBe('PONG');
  });
});
