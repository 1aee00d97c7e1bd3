import { createHmac, randomBytes } from 'node:crypto';
import { RedisStore } from 'connect-redis';
import express from 'express';
import session from 'express-session';
import { Redis } from 'ioredis';
import passport from 'passport';
import pg from 'pg';
import { MikroORM } from '@mikro-orm/postgresql';
import { emailVerification, type EmailVerification, type VerigateOptions } from '../../plugin/index.ts';
import { verigateEntities } from '../../src/entities/index.ts';
import { cookieOf, listen, type Listening } from './http.ts';

export interface BenchUser { id: string; email: string }

/** verigate as a production host configures it; the worker is off unless a scenario needs mail. */
export function benchVerigate(secret: string, storage: Pick<VerigateOptions, 'database' | 'em'>, extra: Partial<VerigateOptions> = {}): EmailVerification {
  return emailVerification({
    baseUrl: 'https://bench.test/verify', secret, ...storage,
    mail: { from: 'Bench <no-reply@bench.test>', transport: { sendMail: async () => ({}) } },
    environment: 'production', worker: { autoStart: false },
    logger: { info() {}, warn() {}, error: (message: string) => console.error(`[verigate] ${message}`) },
    ...extra,
  });
}

export interface SessionHost extends Listening {
  vg: EmailVerification;
  /** Signs a user in and returns the session cookie (`sid=…`). */
  login(user: BenchUser): Promise<string>;
}

/**
 * A typical Passport host: express-session in Redis (connect-redis + ioredis), Passport keeping
 * `{ id, email }` in the session (deserializeUser reads no database), verigate on its own pool.
 * `/open` and `/gated` are the same route, with and without `requireVerified`.
 */
export async function sessionHost(urls: { pg: string; redis: string }, prefix: string, secret: string): Promise<SessionHost> {
  const redis = new Redis(urls.redis, { maxRetriesPerRequest: 1 });
  const vg = benchVerigate(secret, { database: urls.pg }, { redis, redisPrefix: `${prefix}vg:` });
  await vg.ready();
  const auth = new passport.Passport();
  auth.serializeUser((user, done) => done(null, user));
  auth.deserializeUser((user: BenchUser, done) => done(null, user));
  const app = express();
  app.disable('x-powered-by');
  app.use(session({
    name: 'sid', secret: randomBytes(16).toString('hex'), resave: false, saveUninitialized: false,
    store: new RedisStore({ client: redis, prefix: `${prefix}sess:` }), cookie: { httpOnly: true, maxAge: 7 * 86_400_000 },
  }));
  app.use(auth.initialize(), auth.session());
  app.post('/login', express.json(), (req, res, next) => req.login(req.body as BenchUser, (error) => (error ? next(error) : res.end())));
  app.get('/open', (req, res) => { res.send('ok'); });
  app.get('/gated', vg.requireVerified, (req, res) => { res.send('ok'); });
  const server = await listen(app);
  return {
    ...server, vg,
    async login(user) {
      const res = await fetch(`${server.origin}/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(user) });
      return cookieOf(res, 'sid');
    },
    async close() {
      await server.close();
      await vg.close();
      redis.disconnect();
    },
  };
}

export interface ConfirmHost extends Listening {
  vg?: EmailVerification;
  /** Path of the confirm endpoint. */
  path: string;
}

/**
 * verigate's router alone (a link opened in a fresh browser: no session), on its own pool or on the
 * host's MikroORM, with Redis for its limits. `trust proxy` is set for loopback, so each request's
 * X-Forwarded-For is its client IP: the per-IP limits count as for many distinct clients.
 */
export async function confirmHost(storage: 'database' | 'em', urls: { pg: string; redis: string }, secret: string, prefix: string): Promise<ConfirmHost> {
  const orm = storage === 'em'
    ? await MikroORM.init({ clientUrl: urls.pg, entities: [...verigateEntities], pool: { min: 1, max: 10 } })
    : undefined;
  const redis = new Redis(urls.redis, { maxRetriesPerRequest: 1 });
  const vg = benchVerigate(secret, orm ? { em: orm.em } : { database: urls.pg }, { redis, redisPrefix: `${prefix}vg:` });
  await vg.ready();
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.use('/verify', vg.router);
  const server = await listen(app);
  return {
    ...server, vg, path: '/verify/confirm',
    async close() {
      await server.close();
      await vg.close();
      await orm?.close(true);
      redis.disconnect();
    },
  };
}

const BARE_CONSUME = `update verigate_token set used_at = now()
  where token_hash = $1 and purpose = 'verify' and used_at is null and superseded_at is null and expires_at > now()
  returning id, user_id, email`;

/** The baseline of the confirm scenario: a bare Express route, the same HMAC, one conditional UPDATE … RETURNING with pg. */
export async function bareConfirmHost(pgUrl: string, hashKey: Buffer): Promise<ConfirmHost> {
  const pool = new pg.Pool({ connectionString: pgUrl, max: 10 });
  const app = express();
  app.disable('x-powered-by');
  app.post('/confirm', express.json(), async (req, res, next) => {
    try {
      const token = (req.body as { token?: unknown })?.token;
      if (typeof token !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(token)) return void res.status(400).json({ error: 'TOKEN_INVALID' });
      const hash = createHmac('sha256', hashKey).update(token).digest('hex');
      const { rows } = await pool.query(BARE_CONSUME, [hash]);
      if (rows.length === 0) return void res.status(400).json({ error: 'TOKEN_INVALID' });
      res.json({ status: 'VERIFIED' });
    } catch (error) {
      next(error);
    }
  });
  const server = await listen(app);
  return { ...server, path: '/confirm', async close() { await server.close(); await pool.end(); } };
}
