import { randomUUID } from 'node:crypto';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import express, { type Request, type Router } from 'express';
import { parseEmailAddress, safeReturnTo, type EmailVerification } from '../plugin/index.ts';
import { INVALID_CREDENTIALS_MESSAGE, type Authenticator } from './auth.ts';
import type { ExampleOrm } from './database.ts';
import { hashPassword, passwordProblem } from './password.ts';
import { wantsJson, type RenderPage } from './render.ts';
import { ExampleUser, type SessionUser } from './user-entity.ts';

export interface AccountRouteDeps {
  orm: ExampleOrm;
  vg: EmailVerification;
  authenticator: Authenticator;
  render: RenderPage;
}

type Body = Record<string, unknown>;

/** Form and JSON bodies alike; anything else (an array, a bare string, nothing) counts as empty. */
function bodyOf(req: Request): Body {
  const body: unknown = req.body;
  return body && typeof body === 'object' && !Array.isArray(body) ? (body as Body) : {};
}

/** Echoes what was typed back into the form, bounded so a huge value is not reflected. */
function echo(value: unknown): string {
  return typeof value === 'string' ? value.slice(0, 320) : '';
}

function logIn(req: Request, user: SessionUser): Promise<void> {
  // Passport 0.7 regenerates the session here, so a pre-login session id cannot be fixed by an attacker.
  return new Promise((resolve, reject) => req.login(user, (error) => (error ? reject(error) : resolve())));
}

/**
 * Inserts the user and queues its first link in **one transaction**: if anything fails (the
 * database, verigate), nothing is left behind and the sign-up can simply be retried. `null` when
 * the address is taken, whether seen up front or lost to a concurrent sign-up.
 */
async function createUser(orm: ExampleOrm, vg: EmailVerification, email: string, password: string): Promise<SessionUser | null> {
  if (await orm.em.fork().count(ExampleUser, { email })) return null;
  const passwordHash = await hashPassword(password);
  const user = { id: randomUUID(), email };
  try {
    await orm.em.fork().transactional(async (tx) => {
      await tx.insert(ExampleUser, { ...user, passwordHash, createdAt: new Date() });
      await vg.sendVerification(user, { em: tx });
    });
  } catch (error) {
    if (error instanceof UniqueConstraintViolationException) return null;
    throw error;
  }
  return user;
}

export function createAccountRoutes({ orm, vg, authenticator, render }: AccountRouteDeps): Router {
  const router = express.Router();
  const pendingPath = `${vg.config.basePath}/pending`;

  router.get('/signup', (req, res) => render(req, res, 'signup', { title: 'Sign up' }));

  router.post('/signup', async (req, res) => {
    const body = bodyOf(req);
    const refuse = (status: number, code: string, message: string, field: string) => wantsJson(req)
      ? void res.status(status).json({ error: { code, message } })
      : render(req, res, 'signup', { title: 'Sign up', error: message, field, email: echo(body.email) }, status);

    const parsed = parseEmailAddress(body.email);
    if (!parsed.ok) return refuse(422, 'INVALID_EMAIL', parsed.message, 'email');
    const weak = passwordProblem(body.password);
    if (weak) return refuse(422, 'WEAK_PASSWORD', weak, 'password');
    const user = await createUser(orm, vg, parsed.canonical, body.password as string);
    // Trade-off: this 409 reveals that an account exists for the address, while login hides it.
    // DESIGN rule 4 wants one uniform answer plus a notice email to the owner; that waits for
    // verigate's sign-up-notice feature, and until then a clear answer beats a silent dead end.
    if (!user) return refuse(409, 'EMAIL_TAKEN', 'An account with this email address already exists. Log in instead.', 'email');

    await logIn(req, user);
    if (wantsJson(req)) return void res.status(201).json({ status: 'PENDING', user });
    res.redirect(303, pendingPath);
  });

  router.get('/login', (req, res) => render(req, res, 'login', { title: 'Log in', returnTo: safeReturnTo(req.query.returnTo) }));

  router.post('/login', (req, res, next) => {
    const body = bodyOf(req);
    const returnTo = safeReturnTo(body.returnTo) ?? safeReturnTo(req.query.returnTo);
    authenticator.authenticate('local', (error: unknown, user: SessionUser | false, info?: { message?: string }) => {
      if (error) return next(error);
      if (!user) {
        // passport-local reports absent fields itself; everything else gets one message, so
        // the answer never tells which of email or password was wrong.
        const message = info?.message === 'Missing credentials' ? 'Enter your email address and password.' : INVALID_CREDENTIALS_MESSAGE;
        if (wantsJson(req)) return void res.status(401).json({ error: { code: 'INVALID_CREDENTIALS', message } });
        return void render(req, res, 'login', { title: 'Log in', error: message, email: echo(body.email), returnTo }, 401).catch(next);
      }
      logIn(req, user).then(() => {
        if (wantsJson(req)) return void res.json({ user: { id: user.id, email: user.email } });
        res.redirect(303, returnTo ?? '/dashboard');
      }, next);
    })(req, res, next);
  });

  router.post('/logout', (req, res, next) => {
    req.logout((error) => {
      if (error) return next(error);
      if (wantsJson(req)) return void res.status(204).end();
      res.redirect(303, '/');
    });
  });

  return router;
}
