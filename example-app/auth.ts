import passport from 'passport';
import { Strategy as LocalStrategy } from 'passport-local';
import type { Request } from 'express';
import { parseEmailAddress, uniquenessKey } from '../plugin/index.ts';
import type { ExampleOrm } from './database.ts';
import { burnPasswordCheck, PASSWORD_MAX_LENGTH, verifyPassword } from './password.ts';
import { ExampleUser, type SessionUser } from './user-entity.ts';

export type Authenticator = InstanceType<typeof passport.Passport>;

export const INVALID_CREDENTIALS_MESSAGE = 'The email address or password is not correct.';

/** The signed-in user, typed; kept local rather than augmenting the global `Express.User`. */
export function currentUser(req: Request): SessionUser | null {
  const user = req.user as SessionUser | undefined;
  return user && typeof user.id === 'string' ? user : null;
}

/**
 * A private Passport instance (not the global singleton), so two apps in one process, such as
 * parallel tests, never share strategies or serializers.
 */
export function createAuthenticator(orm: ExampleOrm): Authenticator {
  const authenticator = new passport.Passport();

  authenticator.use(new LocalStrategy({ usernameField: 'email', passwordField: 'password' }, (email: unknown, password: unknown, done) => {
    // JSON bodies can carry numbers or objects where the form would have strings.
    if (typeof email !== 'string' || typeof password !== 'string') return done(null, false);
    checkCredentials(orm, email, password).then((user) => done(null, user), done);
  }));

  authenticator.serializeUser((user, done) => done(null, (user as SessionUser).id));
  authenticator.deserializeUser((id: unknown, done) => {
    loadSessionUser(orm, id).then((user) => done(null, user), done);
  });
  return authenticator;
}

async function checkCredentials(orm: ExampleOrm, email: string, password: string): Promise<SessionUser | false> {
  const parsed = parseEmailAddress(email);
  if (!parsed.ok || password.length > PASSWORD_MAX_LENGTH * 2) return burnPasswordCheck(password.slice(0, PASSWORD_MAX_LENGTH));
  const user = await orm.em.fork().findOne(ExampleUser, { emailKey: uniquenessKey(parsed.canonical) });
  if (!user) return burnPasswordCheck(password);
  return (await verifyPassword(password, user.passwordHash)) ? { id: user.id, email: user.email } : false;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `false` (signed out) when the account is gone, e.g. an in-memory database restarted under a Redis session. */
async function loadSessionUser(orm: ExampleOrm, id: unknown): Promise<SessionUser | false> {
  if (typeof id !== 'string' || !UUID.test(id)) return false;
  const user = await orm.em.fork().findOne(ExampleUser, { id });
  return user ? { id: user.id, email: user.email } : false;
}
