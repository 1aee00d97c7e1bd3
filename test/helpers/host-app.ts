import express from 'express';
import session from 'express-session';
import { RedisStore } from 'connect-redis';
import type { VerigateOptions } from '../../plugin/web-options.ts';
import { emailVerification, type EmailVerification } from '../../plugin/index.ts';
import type { TestDatabase } from './database.ts';
import type { TestRedis } from './redis.ts';
import { TEST_SECRET } from './services.ts';

export interface HostApp {
  app: express.Express;
  vg: EmailVerification;
}

interface SessionUser { id: string; email: string }

/**
 * The smallest realistic host: express-session on the real Redis (connect-redis + ioredis), a
 * login route standing in for Passport, verigate mounted at /verify, and gated routes.
 */
export function createHostApp(
  deps: { db: TestDatabase; redis: TestRedis; smtpUrl: string },
  overrides: Partial<VerigateOptions> = {},
  beforeRoutes: (app: express.Express) => void = () => {},
): HostApp {
  const vg = emailVerification({
    baseUrl: 'https://app.test/verify',
    secret: TEST_SECRET,
    em: deps.db.orm.em,
    mail: { from: 'Test App <no-reply@app.test>', transport: deps.smtpUrl },
    appName: 'Test App',
    getUser: (req) => (req.session?.user as SessionUser | undefined) ?? null,
    logger: { info() {}, warn() {}, error() {} },
    // These hosts serve tests of other features, many requests from one IP; limits have their own tests.
    limits: false,
    worker: { autoStart: false, retryBase: '1s' },
    ...overrides,
  });
  const app = express();
  app.use(session({
    store: new RedisStore({ client: deps.redis.client, prefix: `${deps.redis.prefix}sess:` }),
    secret: 'test-session-secret',
    resave: false,
    saveUninitialized: false,
    name: 'sid',
  }));
  beforeRoutes(app);
  app.post('/test/login', express.json(), (req, res) => {
    (req.session as unknown as { user: SessionUser }).user = { id: String(req.body.id), email: String(req.body.email) };
    res.json({ ok: true });
  });
  app.post('/test/change-email', express.json(), (req, res) => {
    const s = req.session as unknown as { user: SessionUser };
    s.user = { ...s.user, email: String(req.body.email) };
    res.json({ ok: true });
  });
  app.get('/open', (req, res) => { res.json({ open: true }); });
  app.use('/verify', vg.router);
  app.get('/dashboard', vg.requireVerified, (req, res) => { res.type('html').send('<h1>Dashboard</h1>'); });
  app.get('/api/data', vg.requireVerified, (req, res) => { res.json({ secret: 42 }); });
  return { app, vg };
}
