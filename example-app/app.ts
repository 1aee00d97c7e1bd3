import { createHash } from 'node:crypto';
import { join } from 'node:path';
import express from 'express';
import { altchaChallenge, devMailbox, emailVerification, mikroOrmUserStore, type DevMailbox, type EmailVerification, type Environment, type StoredMail } from '../plugin/index.ts';
import { createAccountRoutes } from './account-routes.ts';
import { createAuthenticator, currentUser } from './auth.ts';
import { openDatabase, type ExampleOrm } from './database.ts';
import { createErrorHandler, notFound, sameOriginPosts } from './http-errors.ts';
import { createPageRoutes } from './page-routes.ts';
import { createPageRenderer, VIEWS_DIR } from './render.ts';
import { createSessions } from './sessions.ts';
import { loadStylesheet } from './stylesheet.ts';
import { createLogging, type LogWriter } from './logging.ts';
import { readSettings, type Env, type ExampleMode } from './settings.ts';
import { verifyPassword } from './password.ts';
import { ExampleUser } from './user-entity.ts';

export type { DevMailbox } from '../plugin/index.ts';
export type { ExampleMode } from './settings.ts';

const APP_NAME = 'Example App';
const BODY_LIMIT = '16kb';

export interface ExampleApp {
  app: express.Express;
  vg: EmailVerification;
  orm: ExampleOrm;
  mode: ExampleMode;
  /** From NODE_ENV by verigate's rule: only exactly `development` and `test` are not production. */
  environment: Environment;
  /** The in-memory outbox when SMTP_URL is unset, else `null`. */
  mailbox: DevMailbox | null;
  /** The public origin links and redirects are built from. */
  baseUrl: string;
  port: number;
  /** Closes everything the app opened, newest first. Idempotent. */
  close(): Promise<void>;
}

/** Runs closers newest first; every closer runs even if an earlier one fails. */
async function closeAll(closers: (() => Promise<void>)[]): Promise<void> {
  const errors: unknown[] = [];
  for (const close of closers.reverse()) {
    try {
      await close();
    } catch (error) {
      errors.push(error);
    }
  }
  if (errors.length) throw new AggregateError(errors, 'example app: some resources failed to close');
}

export interface ExampleAppOptions {
  /** Where log lines go (access log, verigate's events, SQL at LOG_LEVEL=debug). Default: stdout. */
  logWriter?: LogWriter;
}

/**
 * Builds the example app without listening, so tests can drive it with supertest and the server
 * can own the socket. On a start-up failure, whatever was already opened is closed again.
 */
export async function createExampleApp(env: Env = process.env, options: ExampleAppOptions = {}): Promise<ExampleApp> {
  const settings = readSettings(env);
  const logging = createLogging(settings.logLevel, options.logWriter ?? ((line) => void process.stdout.write(line)));
  const closers: (() => Promise<void>)[] = [];
  try {
    const orm = await openDatabase(settings.databaseUrl, logging.orm);
    closers.push(() => orm.close(true));
    const sessions = await createSessions(settings);
    closers.push(() => sessions.close());

    // The link itself stays out of the terminal: it is a credential, even in a demo.
    const announce = (mail: StoredMail) => process.stderr.write(`[dev-mailbox] "${mail.subject}" to ${mail.to}: open ${settings.baseUrl}/dev/mail\n`);
    const mailbox = settings.smtpUrl ? null : devMailbox({
      environment: settings.environment, announce: settings.environment === 'test' ? undefined : announce, views: [join(VIEWS_DIR, 'verigate')],
    });
    const vg = emailVerification({
      baseUrl: `${settings.baseUrl}/verify`,
      secret: settings.verigateSecret,
      em: orm.em,
      users: mikroOrmUserStore({
        em: orm.em, entity: ExampleUser, uniqueKeyProperty: 'emailKey',
        verifyPassword: (user, password) => verifyPassword(password, String(user.passwordHash)),
      }),
      mail: { from: settings.mailFrom, transport: settings.smtpUrl ?? mailbox!.transport },
      // A self-hosted proof of work on the "send me a new link" form (no third party); its key is
      // derived from the app's secret so it needs no setting of its own.
      challenge: altchaChallenge({ hmacKey: createHash('sha256').update(`altcha:${settings.verigateSecret}`).digest('base64url') }),
      // The Redis behind the sessions, when there is one: limits and the per-user session index live there.
      ...(sessions.redis ? { redis: sessions.redis, redisPrefix: `${settings.redisPrefix}vg:` } : {}),
      environment: settings.environment,
      logger: logging.logger,
      appName: APP_NAME,
      views: [join(VIEWS_DIR, 'verigate')],
      loginPath: '/login',
      afterVerifyPath: '/dashboard',
    });
    closers.push(() => vg.close());
    await vg.ready();

    const stylesheet = loadStylesheet();
    const render = createPageRenderer({ appName: APP_NAME, devMailbox: mailbox !== null, appStylesheet: stylesheet.url }, { cache: settings.production });
    const authenticator = createAuthenticator(orm);
    const app = express();
    app.disable('x-powered-by');
    if (settings.trustProxy !== undefined) app.set('trust proxy', settings.trustProxy);
    // First, so every request is logged, verigate's included; URLs and Referers with their tokens masked.
    if (logging.accessLog) app.use(logging.accessLog);

    // Before sessions: a stylesheet needs no session lookup.
    app.get(/^\/assets\/app(\.[0-9a-f]{12})?\.css$/, stylesheet.handler);
    app.use(express.urlencoded({ extended: false, limit: BODY_LIMIT }), express.json({ limit: BODY_LIMIT }));
    app.use(sessions.middleware);
    app.use(authenticator.initialize(), authenticator.session());
    // The one place the signed-in user reaches the views: the app's renderer reads it from here, and
    // verigate merges res.locals into its own pages, so the overriding layout shows it there too.
    app.use((req, res, next) => {
      const user = currentUser(req);
      res.locals.user = user ? { id: user.id, email: user.email } : null;
      res.locals.devMailbox = mailbox !== null;
      // The dev mailbox's page takes the app's name from here (verigate's own pages get it from appName).
      res.locals.appName = APP_NAME;
      res.locals.appStylesheet = stylesheet.url;
      next();
    });
    app.use('/verify', vg.router);
    app.use(sameOriginPosts(settings.baseUrl));
    app.use(createPageRoutes({ vg, render }));
    app.use(createAccountRoutes({ orm, vg, authenticator, render }));
    if (mailbox) app.use('/dev/mail', mailbox.router());
    app.use(notFound(render));
    app.use(createErrorHandler(render, logging.logger));

    let closing: Promise<void> | undefined;
    return {
      app, vg, orm, mailbox,
      mode: { ...settings.mode },
      environment: settings.environment,
      baseUrl: settings.baseUrl,
      port: settings.port,
      close: () => (closing ??= closeAll(closers)),
    };
  } catch (error) {
    await closeAll(closers).catch(() => {});
    throw error;
  }
}
