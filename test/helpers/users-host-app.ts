import express from 'express';
import session from 'express-session';
import { RedisStore } from 'connect-redis';
import { emailVerification, type EmailVerification, type VerigateOptions } from '../../plugin/index.ts';
import type { RealServices } from './real-services.ts';
import { TEST_SECRET } from './services.ts';

export const RIGHT_PASSWORD = 'right password';

export interface UsersHost {
  app: express.Express;
  vg: EmailVerification;
  /** Creates a user row (integer id) and returns its id. */
  createUser(email: string | null): Promise<number>;
  emailOf(id: number): Promise<string | null>;
  /** Changes the address behind verigate's back, as a host's admin screen might. */
  setEmailDirectly(id: number, email: string | null): Promise<void>;
}

/**
 * A host whose users live in its own PostgreSQL table with integer ids, loaded per request like
 * Passport's deserializeUser, and verigate on its own connection (`database`). `setEmail` writes
 * through verigate's transaction (same database), so the switch and the token commit together.
 */
export async function createUsersHost(services: RealServices, overrides: Partial<VerigateOptions> = {}): Promise<UsersHost> {
  const em = services.db.orm.em;
  await em.fork().execute(`create table if not exists host_user (id serial primary key, email varchar(254) unique, password text not null)`);
  const vg = emailVerification({
    baseUrl: 'https://app.test/verify', secret: TEST_SECRET, database: services.db.url,
    mail: { from: 'Host <no-reply@app.test>', transport: services.sink.url },
    logger: { info() {}, warn() {}, error() {} }, worker: { autoStart: false },
    // Many requests from one IP across the file; limits have their own tests.
    limits: false,
    users: {
      setEmail: async (id, email, { previousEmail, query }) => (await query(
        'update host_user set email = $1 where id = $2 and (email is not distinct from $3 or email = $1) returning 1', [email, id, previousEmail])).length > 0,
      verifyPassword: async (id, password) => (await em.fork().execute('select 1 from host_user where id = ? and password = ?', [id, password])).length > 0,
      isEmailTaken: async (email, id) => (await em.fork().execute('select 1 from host_user where lower(email) = lower(?) and id <> ?', [email, id])).length > 0,
      findByEmail: async (email) => {
        const [row] = await em.fork().execute('select id, email from host_user where lower(email) = lower(?)', [email]);
        return row ? { id: Number(row.id), email: row.email } : null;
      },
    },
    ...overrides,
  });
  const app = express();
  app.use(session({
    store: new RedisStore({ client: services.redis.client, prefix: `${services.redis.prefix}sess:` }),
    secret: 'test-session-secret', resave: false, saveUninitialized: false, name: 'sid',
  }));
  // Like Passport's deserializeUser: the current row, every request.
  app.use(async (req, res, next) => {
    const id = (req.session as unknown as { userId?: number }).userId;
    if (id !== undefined) {
      const [row] = await em.fork().execute('select id, email from host_user where id = ?', [id]);
      (req as unknown as { user?: unknown }).user = row ? { id: Number(row.id), email: row.email } : undefined;
    }
    next();
  });
  // Stands in for the host's login; `loggedInAt` (default now) is what a host's recentLogin option would read.
  app.post('/test/login', express.json(), (req, res) => {
    const s = req.session as unknown as { userId: number; loggedInAt: number };
    s.userId = Number(req.body.id);
    s.loggedInAt = typeof req.body.loggedInAt === 'number' ? req.body.loggedInAt : Date.now();
    res.json({ ok: true });
  });
  app.use('/verify', vg.router);
  app.get('/dashboard', vg.requireVerified, (req, res) => { res.json({ user: (req as unknown as { user: unknown }).user }); });
  return {
    app, vg,
    async createUser(email) {
      const [row] = await em.fork().execute('insert into host_user (email, password) values (?, ?) returning id', [email, RIGHT_PASSWORD]);
      return Number(row.id);
    },
    async emailOf(id) {
      const [row] = await em.fork().execute('select email from host_user where id = ?', [id]);
      return row.email;
    },
    async setEmailDirectly(id, email) {
      await em.fork().execute('update host_user set email = ? where id = ?', [email, id]);
    },
  };
}
