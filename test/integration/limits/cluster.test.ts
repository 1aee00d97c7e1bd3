import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { RedisStore } from 'connect-redis';
import express from 'express';
import session from 'express-session';
import { Cluster, Redis } from 'ioredis';
import request from 'supertest';
import { emailVerification, type EmailVerification } from '../../../plugin/index.ts';
import { deriveKeys } from '../../../src/crypto/keys.ts';
import { redisSessionIndex } from '../../../src/sessions/session-index.ts';
import { isInfrastructureError } from '../../../src/http/infrastructure-error.ts';
import { createLimiter, type Limiter, type LimitCheck } from '../../../src/limits/limiter.ts';
import { resolveLimitOptions } from '../../../src/limits/limit-options.ts';
import type { Logger } from '../../../src/ports/logger.ts';
import { createTestDatabase, type TestDatabase } from '../../helpers/database.ts';
import { mailedToken, newUser } from '../../helpers/flow.ts';
import { startRedisCluster, type RedisCluster } from '../../helpers/redis-server.ts';
import { TEST_SECRET } from '../../helpers/services.ts';
import { startSmtpSink, type SmtpSink } from '../../helpers/smtp-sink.ts';

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

/** Every key under `prefix` on every master, with its TTL in seconds. */
async function keysOnNodes(prefix = PREFIX): Promise<{ port: number; key: string; ttl: number }[]> {
  const found = [];
  for (const { port } of cluster.nodes) {
    const node = new Redis(port, '127.0.0.1', { maxRetriesPerRequest: 1 });
    try {
      for (const key of await node.keys(`${prefix}*`)) found.push({ port, key, ttl: await node.ttl(key) });
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

describe('session index on a Redis Cluster', () => {
  const keys = deriveKeys(TEST_SECRET);
  const prefix = 'cluster-index:';
  const index = () => redisSessionIndex(host, prefix, { hashKey: keys.lookupHash, sealKey: keys.dataSeal }, 60_000);

  it('adds, lists and removes each user\'s sessions, with the users\' keys spread over every master', async () => {
    const users = Array.from({ length: 30 }, (_, i) => ({ key: `user-${i}`, sids: [randomUUID(), randomUUID(), randomUUID()] }));
    for (const u of users) for (const sid of u.sids) await eventually(() => index().add(u.key, sid));
    for (const u of users) expect((await index().list(u.key)).sort()).toEqual([...u.sids].sort());

    const stored = await keysOnNodes(prefix);
    expect(stored).toHaveLength(30);
    expect(new Set(stored.map((k) => k.port)).size).toBe(3);
    for (const { key, ttl } of stored) {
      expect(ttl).toBeGreaterThan(0);
      // Session ids are credentials: neither they nor the user key appear in Redis.
      expect(key).not.toMatch(/user-/);
    }
    const node = new Redis(stored[0].port, '127.0.0.1', { maxRetriesPerRequest: 1 });
    try {
      const values = Object.values(await node.hgetall(stored[0].key));
      expect(values).toHaveLength(3);
      for (const value of values) expect(users.flatMap((u) => u.sids)).not.toContain(value);
    } finally {
      node.disconnect();
    }

    // A second instance (its own client from the node list) sees and removes the same entries.
    const other = new Cluster(cluster.nodes.map((n) => ({ ...n })), { enableOfflineQueue: false });
    other.on('error', () => {});
    await new Promise((resolve) => other.once('ready', resolve));
    try {
      const otherIndex = redisSessionIndex(other, prefix, { hashKey: keys.lookupHash, sealKey: keys.dataSeal }, 60_000);
      for (const u of users) await otherIndex.remove(u.key, u.sids.slice(0, 2));
    } finally {
      other.disconnect();
    }
    for (const u of users) expect(await index().list(u.key)).toEqual([u.sids[2]]);
    await index().remove('user-0', [users[0].sids[2]]);
    expect(await index().list('user-0')).toEqual([]);
  });
});

describe('connect-redis sessions and verigate on one Redis Cluster', () => {
  let db: TestDatabase;
  let sink: SmtpSink;
  let vg: EmailVerification;
  let app: express.Express;
  const sessionPrefix = 'cluster-sess:';

  beforeAll(async () => {
    [db, sink] = await Promise.all([createTestDatabase(), startSmtpSink()]);
    // One Cluster client for the host's sessions and verigate's limits and session index, as a host would share it.
    vg = emailVerification({
      baseUrl: 'https://app.test/verify', secret: TEST_SECRET, em: db.orm.em, logger: silent,
      mail: { from: 'a@app.test', transport: sink.url }, worker: { autoStart: false },
      getUser: (req) => (req.session as unknown as { user?: { id: string; email: string } }).user ?? null,
      redis: host, redisPrefix: 'cluster-vg:', sessionIndex: 'redis',
    });
    app = express();
    app.use(session({ store: new RedisStore({ client: host, prefix: sessionPrefix }), secret: 's', resave: false, saveUninitialized: false, name: 'sid' }));
    app.post('/login', express.json(), (req, res) => { (req.session as unknown as { user: unknown }).user = req.body; res.json({}); });
    app.use('/verify', vg.router);
    app.get('/dashboard', vg.requireVerified, (req, res) => { res.json({ ok: true }); });
  }, 30_000);
  afterAll(async () => {
    await vg?.close();
    await sink?.stop();
    await db?.close();
  });

  it('a verification confirmed in a fresh browser ends the user\'s other sessions, stored on the cluster', async () => {
    const users = Array.from({ length: 6 }, () => newUser());
    const browsers = new Map(users.map((u) => [u.id, [request.agent(app), request.agent(app)]]));
    for (const u of users) {
      for (const b of browsers.get(u.id)!) {
        await b.post('/login').send(u).expect(200);
        await b.get('/dashboard').set('Accept', 'application/json').expect(403); // seen once: indexed
      }
    }
    const sessionsBefore = await keysOnNodes(sessionPrefix);
    expect(sessionsBefore).toHaveLength(12);
    // Twelve sessions and six index hashes: spread over the masters, not held on one.
    expect(new Set(sessionsBefore.map((k) => k.port)).size).toBeGreaterThan(1);
    expect(await keysOnNodes('cluster-vg:sessions:')).toHaveLength(6);

    const [first, ...others] = users;
    const token = await mailedToken(vg, sink, first);
    await request(app).post('/verify/confirm').set('Accept', 'application/json').send({ token }).expect(200, { status: 'VERIFIED' });
    for (const b of browsers.get(first.id)!) await b.get('/dashboard').set('Accept', 'application/json').expect(401);
    // Only that user's two sessions are gone from the cluster; everyone else is still signed in.
    expect(await keysOnNodes(sessionPrefix)).toHaveLength(10);
    for (const u of others) for (const b of browsers.get(u.id)!) await b.get('/dashboard').set('Accept', 'application/json').expect(403);
  });
});
