/**
 * Better Auth on the same PostgreSQL, as its docs mount it in Express: email and password with
 * required email verification, its rate limiter off (fair throughput), no cookie cache (its
 * default), a `/protected` route checking `auth.api.getSession`.
 */
import express from 'express';
import pg from 'pg';
import type { RequestHandler } from 'express';
import { listen, cookieOf, type Listening } from './http.ts';

// Imported by name at run time: better-auth lives in bench/node_modules only (installed by
// `npm run bench`), so the package's own type check must not depend on it.
const BETTER_AUTH = 'better-auth';
const { betterAuth } = await import(BETTER_AUTH);
const { toNodeHandler, fromNodeHeaders } = await import(`${BETTER_AUTH}/node`);
const { getMigrations } = await import(`${BETTER_AUTH}/db/migration`);
const { createEmailVerificationToken } = await import(`${BETTER_AUTH}/api`);

export interface BetterAuthHost extends Listening {
  /** Signs up, verifies and signs in one user; returns its session cookie. */
  signedInCookie(): Promise<string>;
  /** `n` unverified users written in one statement, each with a fresh verify-email token (a JWT, as its emails carry). */
  freshTokens(n: number): Promise<string[]>;
  /** Deletes the users `freshTokens` wrote, then vacuums. */
  clear(): Promise<void>;
}

export async function betterAuthHost(databaseUrl: string, secret: string): Promise<BetterAuthHost> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 10 });
  pool.on('error', () => {});
  const sent: { token: string }[] = [];
  const options = {
    database: pool, secret,
    emailAndPassword: { enabled: true, requireEmailVerification: true },
    emailVerification: { sendVerificationEmail: async (data: { token: string }) => { sent.push(data); } },
    rateLimit: { enabled: false },
    telemetry: { enabled: false },
    logger: { level: 'error' },
  };
  const { runMigrations } = await getMigrations(options);
  await runMigrations();

  // Its origin checks want the real baseURL, known once listening: the handler is attached then.
  let handler: RequestHandler = (req, res) => { res.status(503).end(); };
  const app = express();
  app.disable('x-powered-by');
  app.all('/api/auth/*splat', (req, res, next) => handler(req, res, next));
  const server = await listen(app);
  const auth = betterAuth({ ...options, baseURL: server.origin });
  handler = toNodeHandler(auth);
  app.get('/protected', async (req, res, next) => {
    try {
      const session = await auth.api.getSession({ headers: fromNodeHeaders(req.headers) });
      if (!session) return void res.status(401).end();
      res.send('ok');
    } catch (error) {
      next(error);
    }
  });

  const post = (path: string, body: unknown) => fetch(`${server.origin}/api/auth${path}`, {
    method: 'POST', headers: { 'content-type': 'application/json', origin: server.origin }, body: JSON.stringify(body),
  });
  let users = 0;
  return {
    ...server,
    async signedInCookie() {
      const email = `session-${Date.now()}-${users++}@bench.test`;
      const password = 'correct horse battery staple';
      const up = await post('/sign-up/email', { email, password, name: 'Bench' });
      if (up.status !== 200) throw new Error(`Better Auth sign-up failed: ${up.status} ${await up.text()}`);
      const verified = await fetch(`${server.origin}/api/auth/verify-email?token=${sent.at(-1)!.token}`);
      if (verified.status !== 200) throw new Error(`Better Auth verify-email failed: ${verified.status}`);
      const signIn = await post('/sign-in/email', { email, password });
      return cookieOf(signIn, 'better-auth.session_token');
    },
    async freshTokens(n) {
      const ids = Array.from({ length: n }, (_, i) => `bench${Date.now().toString(36)}${users++}x${i}`);
      await pool.query(`insert into "user" (id, name, email, "emailVerified", "createdAt", "updatedAt")
        select id, 'Bench', 'ba-' || lower(id) || '@bench.test', false, now(), now() from unnest($1::text[]) as t(id)`, [ids]);
      return Promise.all(ids.map((id) => createEmailVerificationToken(secret, `ba-${id.toLowerCase()}@bench.test`, undefined, 3600, { userId: id })));
    },
    async clear() {
      await pool.query(`delete from "user" where email like 'ba-%'`);
      await pool.query('vacuum "user"');
    },
    async close() {
      await server.close();
      await pool.end();
    },
  };
}
