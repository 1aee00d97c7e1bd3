import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import express from 'express';
import session, { MemoryStore, type Store } from 'express-session';
import { RedisStore } from 'connect-redis';
import request from 'supertest';
import { emailVerification, type EmailVerification } from '../../plugin/index.ts';
import { quietLogger } from '../helpers/core.ts';
import { mailedToken, newUser, type Agent } from '../helpers/flow.ts';
import { startRealServices, type RealServices } from '../helpers/real-services.ts';
import { TEST_SECRET } from '../helpers/services.ts';
import { tokenFrom } from '../helpers/smtp-sink.ts';

// connect-pg-simple ships no types; the store API it implements is express-session's.
const connectPgSimple = createRequire(import.meta.url)('connect-pg-simple') as (s: typeof session) => new (options: object) => Store & { close(): Promise<void> };

let services: RealServices;
beforeAll(async () => { services = await startRealServices(); });
afterAll(async () => { await services.close(); });

interface Setup { label: string; store: () => Store; redisIndex: boolean; redisLimits?: boolean }

const PASSWORD = 'the current password';
const JSON_ACCEPT = { Accept: 'application/json' };

const setups: Setup[] = [
  { label: 'a Redis session store (connect-redis), index in Redis', store: () => new RedisStore({ client: services.redis.client, prefix: `${services.redis.prefix}s1:` }), redisIndex: true },
  { label: 'a Redis session store (connect-redis), redis given, index in PostgreSQL (default)', store: () => new RedisStore({ client: services.redis.client, prefix: `${services.redis.prefix}s2:` }), redisIndex: false, redisLimits: true },
  { label: 'a non-Redis session store (MemoryStore), index in PostgreSQL', store: () => new MemoryStore(), redisIndex: false },
  {
    label: 'a SQL session store (connect-pg-simple), index in PostgreSQL',
    store: () => new (connectPgSimple(session))({ conString: services.db.url, createTableIfMissing: true, pruneSessionInterval: false }),
    redisIndex: false,
  },
];

describe.each(setups)('ending sessions with $label', ({ store: makeStore, redisIndex, redisLimits }) => {
  let vg: EmailVerification;
  let app: express.Express;
  let store: Store;
  // The host's users table: the address lives here, as Passport's deserializeUser would load it.
  const hostEmails = new Map<string, string>();

  beforeAll(() => {
    store = makeStore();
    vg = emailVerification({
      baseUrl: 'https://app.test/verify', secret: TEST_SECRET, em: services.db.orm.em, logger: quietLogger,
      mail: { from: 'a@app.test', transport: services.sink.url }, worker: { autoStart: false }, limits: false,
      getUser: (req) => {
        const id = (req.session?.user as { id?: string } | undefined)?.id;
        return id === undefined ? null : { id, email: hostEmails.get(id) ?? null };
      },
      users: {
        setEmail: (id, email, { previousEmail }) => {
          const current = hostEmails.get(String(id)) ?? null;
          if (current !== previousEmail && current !== email) return false;
          hostEmails.set(String(id), email);
          return true;
        },
        verifyPassword: (id, password) => password === PASSWORD,
      },
      ...(redisIndex || redisLimits ? { redis: services.redis.client, redisPrefix: `${services.redis.prefix}vg:` } : {}),
      ...(redisIndex ? { sessionIndex: 'redis' as const } : {}),
    });
    app = express();
    app.use(session({ store, secret: 's', resave: false, saveUninitialized: false, name: 'sid' }));
    app.post('/login', express.json(), (req, res) => {
      if (!hostEmails.has(req.body.id)) hostEmails.set(req.body.id, req.body.email);
      (req.session as unknown as { user: unknown }).user = { id: req.body.id };
      res.json({});
    });
    app.use('/verify', vg.router);
    app.get('/dashboard', vg.requireVerified, (req, res) => { res.json({ ok: true }); });
  });
  afterAll(async () => {
    await vg.close();
    await (store as Partial<{ close(): Promise<void> }>).close?.();
  });

  const countSessions = () => new Promise<number>((resolve, reject) => store.length?.((e, n) => (e ? reject(e) : resolve(n ?? 0))) ?? resolve(-1));

  it('a verification confirmed in a fresh browser ends every session the user had, in the store itself', async () => {
    const user = newUser();
    const browsers = [request.agent(app), request.agent(app)];
    for (const b of browsers) {
      await b.post('/login').send(user).expect(200);
      await b.get('/dashboard').set('Accept', 'application/json').expect(403); // seen once: indexed
    }
    if (redisIndex) {
      // The index lives under verigate's prefix, with a TTL, and holds session ids only sealed.
      const keys = await services.redis.client.keys(`${services.redis.prefix}vg:sessions:*`);
      expect(keys.length).toBeGreaterThan(0);
      for (const key of keys) {
        expect(await services.redis.client.pttl(key)).toBeGreaterThan(0);
        for (const value of Object.values(await services.redis.client.hgetall(key))) expect(value).toMatch(/^v1\./);
      }
    }
    const indexed = () => services.db.orm.em.fork().execute('select 1 from verigate_session where user_id = ?', [user.id]);
    expect(await indexed()).toHaveLength(redisIndex ? 0 : 2);
    const before = await countSessions();
    const token = await mailedToken(vg, services.sink, user);
    services.db.queries.length = 0;
    await request(app).post('/verify/confirm').set('Accept', 'application/json').send({ token }).expect(200);
    // One statement consumes the link and, with the index in PostgreSQL, takes the sessions out of it too.
    expect(services.db.queries.filter((q) => /verigate_/.test(q))).toHaveLength(1);
    expect(await indexed()).toHaveLength(0);
    for (const b of browsers) await b.get('/dashboard').set('Accept', 'application/json').expect(401);
    if (before >= 0) expect(await countSessions()).toBe(before - 2);
  });

  it("a confirmed email change ends the user's other sessions in the store itself; the confirming browser stays signed in", async () => {
    const user = newUser();
    hostEmails.set(user.id, user.email);
    expect((await vg.confirm(await mailedToken(vg, services.sink, user))).status).toBe('VERIFIED');
    const [mine, ...others]: Agent[] = [request.agent(app), request.agent(app), request.agent(app)];
    for (const b of [mine, ...others]) {
      await b.post('/login').send(user).expect(200);
      await b.get('/dashboard').set(JSON_ACCEPT).expect(200); // verified, and indexed
    }
    const next = newUser().email;
    const csrfToken = (await mine.get('/verify/email').set(JSON_ACCEPT).expect(200)).body.csrfToken;
    await mine.post('/verify/email').set(JSON_ACCEPT).set('X-CSRF-Token', csrfToken).send({ email: next, password: PASSWORD }).expect(202);
    await vg.drain();
    const mail = await services.sink.waitFor((m) => m.to === next);
    // Until the new address is confirmed, every session goes on as before.
    for (const b of others) await b.get('/dashboard').set(JSON_ACCEPT).expect(200);
    const before = await countSessions();

    await mine.post('/verify/email/confirm').set(JSON_ACCEPT).send({ token: tokenFrom(mail) }).expect(200, { status: 'CHANGED' });
    expect(hostEmails.get(user.id)).toBe(next);
    await mine.get('/dashboard').set(JSON_ACCEPT).expect(200);
    for (const b of others) await b.get('/dashboard').set(JSON_ACCEPT).expect(401);
    // The confirming browser's old id was replaced by a new one (net zero); the other two are gone from the store.
    if (before >= 0) expect(await countSessions()).toBe(before - 2);
  });
});
