import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Cluster, Redis } from 'ioredis';
import { isInfrastructureError } from '../../../src/http/infrastructure-error.ts';
import { createLimiter, type Limiter, type LimitCheck } from '../../../src/limits/limiter.ts';
import { resolveLimitOptions } from '../../../src/limits/limit-options.ts';
import type { Logger } from '../../../src/ports/logger.ts';
import { startRedisCluster, type RedisCluster } from '../../helpers/redis-server.ts';

// A private 3-master cluster on loopback, started and removed by this file.
const SECRET = randomBytes(32);
const PREFIX = 'cluster-test:';
const silent: Logger = { info: () => {}, warn: () => {}, error: () => {} };

let cluster: RedisCluster;
let host: Cluster;
let fromUrls: Limiter;
let fromHost: Limiter;

async function eventually<T>(attempt: () => Promise<T>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (!isInfrastructureError(error) || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/** Every key on every master, with its TTL in seconds. */
async function keysOnNodes(): Promise<{ port: number; key: string; ttl: number }[]> {
  const found = [];
  for (const { port } of cluster.nodes) {
    const node = new Redis(port, '127.0.0.1', { maxRetriesPerRequest: 1 });
    try {
      for (const key of await node.keys(`${PREFIX}*`)) found.push({ port, key, ttl: await node.ttl(key) });
    } finally {
      node.disconnect();
    }
  }
  return found;
}

beforeAll(async () => {
  cluster = await startRedisCluster(3);
  const limits = resolveLimitOptions(undefined);
  // One limiter creates its own Cluster client from a comma-separated URL list (as REDIS_URL might hold)…
  const urls = cluster.nodes.map(({ host: h, port }) => `redis://${h}:${port}`).join(',');
  fromUrls = createLimiter({ limits, store: { kind: 'redis', client: urls }, prefix: PREFIX, keySecret: SECRET, logger: silent });
  // …the other is handed the host's Cluster client, like a second app instance.
  host = new Cluster(cluster.nodes.map((n) => ({ ...n })), { enableOfflineQueue: false });
  host.on('error', () => {});
  fromHost = createLimiter({ limits, store: { kind: 'redis', client: host }, prefix: PREFIX, keySecret: SECRET, logger: silent });
  await eventually(() => fromUrls.peek([{ rule: 'sendsPerUser', key: 'warm-up' }]));
  await eventually(() => fromHost.peek([{ rule: 'sendsPerUser', key: 'warm-up' }]));
}, 60_000);

afterAll(async () => {
  await fromUrls?.close();
  await fromHost?.close();
  host?.disconnect();
  await cluster?.stop();
});

describe('limiter on a Redis Cluster', () => {
  it('allows exactly 3 of 50 concurrent sends for one user, split over two instances (two windows on different masters)', async () => {
    const check: LimitCheck[] = [{ rule: 'sendsPerUser', key: 'user-1' }];
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 ? fromUrls : fromHost).consume(check)));
    expect(results.filter((r) => r.ok)).toHaveLength(3);
    expect(await fromHost.consume(check)).toMatchObject({ ok: false, rule: 'sendsPerUser' });
    expect(await fromUrls.consume(check)).toMatchObject({ ok: false, rule: 'sendsPerUser' });
  });

  it('spreads keys over the masters, each with a TTL', async () => {
    // Many users, so their keys land in slots owned by every master.
    for (let i = 0; i < 30; i++) {
      expect(await fromUrls.consume([{ rule: 'sendsPerRecipient', key: `person${i}@example.com` }, { rule: 'sendsPerIp', key: `198.51.100.${i}` }])).toEqual({ ok: true });
    }
    const keys = await keysOnNodes();
    expect(keys.length).toBeGreaterThanOrEqual(90);
    expect(new Set(keys.map((k) => k.port)).size).toBe(3);
    for (const { key, ttl } of keys) {
      expect(ttl).toBeGreaterThan(0);
      expect(key).not.toMatch(/example\.com|198\.51/);
    }
  });

  it('resets a rule for a key across the windows, wherever they live', async () => {
    const check: LimitCheck[] = [{ rule: 'sendsPerUser', key: 'user-2' }];
    for (let i = 0; i < 3; i++) await fromHost.consume(check);
    expect(await fromUrls.consume(check)).toMatchObject({ ok: false });
    await fromUrls.reset('sendsPerUser', 'user-2');
    expect(await fromHost.consume(check)).toEqual({ ok: true });
  });
});
