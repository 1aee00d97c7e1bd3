import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import express from 'express';
import session, { MemoryStore } from 'express-session';
import request from 'supertest';
// The optional peer is declared as ioredis >=5.3.0; the suite otherwise runs on ioredis 6. This is
// the lowest claimed release, installed under an alias so both live side by side.
import { Redis as Redis5 } from 'ioredis5';
import { emailVerification, type EmailVerification } from '../../../plugin/index.ts';
import { quietLogger } from '../../helpers/core.ts';
import { mailedToken, newUser } from '../../helpers/flow.ts';
import { startRealServices, type RealServices } from '../../helpers/real-services.ts';
import { REDIS_URL, TEST_SECRET } from '../../helpers/services.ts';

let services: RealServices;
const clients: Redis5[] = [];
const instances: EmailVerification[] = [];
const PREFIX = `verigate-test:ioredis5:${randomBytes(6).toString('hex')}:`;

/** A host's own ioredis 5 client, configured the way hosts usually do (offline queue on). */
async function hostClient(): Promise<Redis5> {
  const client = new Redis5(REDIS_URL, { maxRetriesPerRequest: 1, lazyConnect: true });
  await client.connect();
  clients.push(client);
  return client;
}

function instance(client: Redis5, overrides: Record<string, unknown> = {}): EmailVerification {
  const vg = emailVerification({
    baseUrl: 'https://app.test/verify', secret: TEST_SECRET, em: services.db.orm.em, logger: quietLogger,
    mail: { from: 'a@app.test', transport: services.sink.url }, worker: { autoStart: false },
    getUser: (req) => req.session?.user ?? null,
    redis: client, redisPrefix: PREFIX, sessionIndex: 'redis',
    ...overrides,
  });
  instances.push(vg);
  return vg;
}

beforeAll(async () => { services = await startRealServices(); });
afterAll(async () => {
  for (const vg of instances) await vg.close();
  const admin = clients[0];
  const keys = await admin.keys(`${PREFIX}*`);
  if (keys.length) await admin.del(...keys);
  for (const client of clients) client.disconnect();
  await services.close();
});

describe('a host\'s ioredis 5 client', () => {
  it('is really ioredis 5.3.0', () => {
    expect(createRequire(import.meta.url)('ioredis5/package.json').version).toBe('5.3.0');
  });

  it('carries the send limits, shared by two instances through Redis', async () => {
    const limits = { sendsPerUser: '2/1h', sendsPerRecipient: false, sendsPerIp: false } as const;
    const [a, b] = [instance(await hostClient(), { limits }), instance(await hostClient(), { limits })];
    const user = newUser();
    expect((await a.sendVerification(user)).status).toBe('SENT');
    expect((await b.sendVerification(user)).status).toBe('SENT');
    const third = await a.sendVerification(user);
    expect(third).toMatchObject({ status: 'RATE_LIMITED', retryAfterSeconds: expect.any(Number) });
    expect((third as { retryAfterSeconds: number }).retryAfterSeconds).toBeGreaterThan(0);
    expect((await b.sendVerification(user)).status).toBe('RATE_LIMITED');
    // The counters live in Redis under verigate's prefix, keyed by an HMAC (no user id or address in clear).
    const keys = await clients[0].keys(`${PREFIX}*`);
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.join(' ')).not.toContain(user.id);
    expect(keys.join(' ')).not.toContain(user.email);
    // Another user is not affected.
    expect((await b.sendVerification(newUser())).status).toBe('SENT');
  });

  it('holds the session index: a verification ends the user\'s other sessions', async () => {
    const vg = instance(await hostClient(), { limits: false });
    const store = new MemoryStore();
    const app = express();
    app.use(session({ store, secret: 's', resave: false, saveUninitialized: false, name: 'sid' }));
    app.post('/login', express.json(), (req, res) => { (req.session as unknown as { user: unknown }).user = req.body; res.json({}); });
    app.use('/verify', vg.router);
    app.get('/dashboard', vg.requireVerified, (req, res) => { res.json({ ok: true }); });

    const user = newUser();
    const browsers = [request.agent(app), request.agent(app)];
    for (const b of browsers) {
      await b.post('/login').send(user).expect(200);
      await b.get('/dashboard').set('Accept', 'application/json').expect(403); // seen once: indexed
    }
    const indexKeys = await clients[0].keys(`${PREFIX}sessions:*`);
    expect(indexKeys.length).toBeGreaterThan(0);
    const entries = (await Promise.all(indexKeys.map((key) => clients[0].hgetall(key)))).flatMap((hash) => Object.values(hash));
    expect(entries.length).toBeGreaterThanOrEqual(2);
    for (const value of entries) expect(value).toMatch(/^v1\./); // sealed, never the raw session id
    for (const key of indexKeys) expect(await clients[0].pttl(key)).toBeGreaterThan(0);

    const token = await mailedToken(vg, services.sink, user);
    await request(app).post('/verify/confirm').set('Accept', 'application/json').send({ token }).expect(200);
    for (const b of browsers) await b.get('/dashboard').set('Accept', 'application/json').expect(401);
  });
});
