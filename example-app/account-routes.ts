import { randomUUID } from 'node:crypto';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import express, { type Request, type Router } from 'express';
import { safeReturnTo, type AddressCheck, type EmailVerification } from '../plugin/index.ts';
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
 * database, verigate), nothing is left behind and the sign-up can simply be retried. `false` when
 * the address is taken (its uniqueness key, so `Alice@` and `alice@` are one account), whether
 * seen up front or lost to a concurrent sign-up.
 */
async function createUser(orm: ExampleOrm, vg: EmailVerification, address: AddressCheck & { ok: true }, passwordHash: string, req: Request): Promise<boolean> {
  if (await orm.em.fork().count(ExampleUser, { emailKey: address.uniqueKey })) return false;
  const user = { id: randomUUID(), email: address.address };
  try {
    await orm.em.fork().transactional(async (tx) => {
      await tx.insert(ExampleUser, { ...user, emailKey: address.uniqueKey, passwordHash, createdAt: new Date() });
      // req: the mail is written in the language the sign-up page was read in (Accept-Language).
      await vg.sendVerification(user, { em: tx, req });
    });
  } catch (error) {
    if (error instanceof UniqueConstraintViolationException) return false;
    throw error;
  }
  return true;
}

export function createAccountRoutes({ orm, vg, authenticator, render }: AccountRouteDeps): Router {
  const router = express.Router();

  router.get('/signup', (req, res) => render(req, res, 'signup', { title: 'Sign up' }));

  /**
   * Sign-up never reveals whether an address has an account: a new address and a taken one get the
   * same answer (and both pay for a password hash). A new account gets its link; the owner of a
   * taken address gets a notice. Nobody is signed in here: the link proves the address, then the
   * person signs in, so not even the session cookie differs.
   */
  router.post('/signup', async (req, res) => {
    const body = bodyOf(req);
    const refuse = (status: number, code: string, message: string, field: string) => wantsJson(req)
      ? void res.status(status).json({ error: { code, message } })
      : render(req, res, 'signup', { title: 'Sign up', error: message, field, email: echo(body.email) }, status);

    const address = await vg.checkAddress(body.email);
    if (!address.ok) return refuse(422, 'INVALID_EMAIL', address.message, 'email');
    const weak = passwordProblem(body.password);
    if (weak) return refuse(422, 'WEAK_PASSWORD', weak, 'password');
    const passwordHash = await hashPassword(body.password as string);
    if (!(await createUser(orm, vg, address, passwordHash, req))) await vg.notifyExistingAccount(address.address, { req });

    if (wantsJson(req)) return void res.status(202).json({ status: 'CHECK_INBOX' });
    res.redirect(303, '/signup/sent');
  });

  router.get('/signup/sent', (req, res) => render(req, res, 'signup-sent', { title: 'Check your inbox', resendUrl: `${vg.config.basePath}/resend` }));

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
