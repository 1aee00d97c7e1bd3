import type { Request, Response } from 'express';
import { checkKeys, fail, isObject, localPath } from '../src/config/checks.ts';
import type { CoreOptions } from '../src/config/options.ts';
import { normaliseUserId, type UserId } from '../src/users/user-id.ts';
import type { SessionStoreLike } from './session-control.ts';
import { resolveChallenge, type ChallengeOption } from './challenge.ts';
import { resolveCsp, type CspOption } from './content-security-policy.ts';
import { resolveCatalogue, type Catalogue, type I18nOptions } from '../src/i18n/catalogue.ts';
import type { LocaleHook } from './i18n.ts';

/**
 * Who protects verigate's forms against cross-site request forgery:
 * - `'auto'` (default): the host's middleware when the request shows one (`req.csrfToken()`, as
 *   csurf, csrf-sync and csrf-csrf's helpers expose), else verigate's own synchronizer token;
 * - `'own'`: always verigate's token (field `_csrf` or header `X-CSRF-Token`);
 * - `'host'`: always the host's `req.csrfToken()`; a request without it is refused;
 * - `{ field }`: `'auto'`, with the form field your middleware reads (e.g. csrf-sync configured with
 *   `getTokenFromRequest: (req) => req.body.CSRFToken` → `{ field: 'CSRFToken' }`); verigate's own
 *   token, when it applies, uses that field too. Default field `'_csrf'` (csurf's);
 * - `{ token(req, res), field }`: the host's token from a function, in the host's field name.
 * Whichever it is, verigate's POSTs also refuse cross-site Fetch Metadata and foreign Origins.
 */
export type CsrfOption = 'auto' | 'own' | 'host'
  | { token: (req: Request, res: Response) => string; field?: string }
  | { field: string; token?: undefined };

/** Options only the Express adapter reads; the core never sees them. */
export interface WebOptions extends I18nOptions {
  /** Host view folders, searched before verigate's own `views/`, so a host can override any single page. Default `[]`. */
  views?: string | string[];
  /** Layout view wrapping every page (receives `body` and `title`), or `false` for none. Default `'layout'`. */
  layout?: string | false;
  /** Where anonymous page requests to gated routes are sent (with `returnTo`). Default `'/login'`. */
  loginPath?: string;
  /** Where "Continue" leads after verifying, unless a safe `returnTo` was kept. Default `'/'`. */
  afterVerifyPath?: string;
  /**
   * Reads the signed-in user from a request: `{ id, email }`, where `id` may be a number, bigint or
   * string and `email` may be `null` (the gate then asks for an address). Default: `req.user.id`
   * and `req.user.email` (Passport).
   */
  getUser?: (req: any) => { id: UserId; email?: string | null } | null | undefined | false;
  /** CSRF protection of verigate's forms; see `CsrfOption`. Default `'auto'`. */
  csrf?: CsrfOption;
  /**
   * Lets a user who signed in recently change their address without typing the password again,
   * e.g. `(req) => Date.now() - req.session.loggedInAt < 5 * 60_000`. Default: none (the password
   * is asked for through `users.verifyPassword`).
   */
  recentLogin?: (req: any) => boolean | Promise<boolean>;
  /**
   * Your express-session store, for `revoke()` outside a request. Default: the store of the
   * requests verigate has seen (`req.sessionStore`).
   */
  sessionStore?: SessionStoreLike;
  /**
   * A bot challenge on anonymous sending forms ("send me a new link"): `altchaChallenge({ hmacKey })`
   * or your own verifier. Default: none.
   */
  challenge?: ChallengeOption;
  /**
   * Extra sources for the Content-Security-Policy of verigate's pages, per directive, for an
   * overriding layout that loads from another origin, e.g. `{ 'style-src': ['https://cdn.example.com'] }`;
   * or `false` to leave the header to you (helmet etc.). Inline `<script>`/`<style>` in your layout
   * need `nonce="<%= cspNonce %>"` (verigate reuses a `res.locals.cspNonce` you set). Default: none
   * (scripts and styles from this origin or with the nonce; nothing else loads; no framing).
   */
  csp?: CspOption;
  /**
   * The language of a person's pages and mails: `(req, user) => 'de' | undefined`, e.g. from their
   * profile; `undefined` leaves it to `Accept-Language`, then `defaultLocale`. `req` is undefined for
   * mails sent outside a request. Default: none.
   */
  locale?: LocaleHook;
}

/** Every option of `emailVerification(options)`. Unknown keys are refused at start-up. */
export interface VerigateOptions extends CoreOptions, WebOptions {}

/** The signed-in user as the web layer sees it: the id as given, its stored form, and the address (null when none). */
export interface RequestUser {
  id: UserId;
  key: string;
  email: string | null;
}

/** `null`: nobody signed in. `'invalid'`: getUser returned an id verigate cannot store (a host bug). */
export type GetRequestUser = (req: Request) => RequestUser | null | 'invalid';

export interface WebConfig {
  readonly views: readonly string[];
  readonly layout: string | false;
  readonly loginPath: string;
  readonly afterVerifyPath: string;
  readonly getUser: GetRequestUser;
  readonly csrf: CsrfOption;
  readonly recentLogin?: (req: Request) => boolean | Promise<boolean>;
  readonly sessionStore?: SessionStoreLike;
  readonly challenge?: ChallengeOption;
  readonly csp?: CspOption;
  /** Every language's words, validated and compiled at start-up. */
  readonly catalogue: Catalogue;
  readonly locale?: LocaleHook;
}

export const WEB_KEYS = ['views', 'layout', 'loginPath', 'afterVerifyPath', 'getUser', 'csrf', 'recentLogin', 'sessionStore', 'challenge', 'csp',
  'locale', 'messages', 'defaultLocale', 'timeZone'] as const;

/** Whatever the host's user looks like (numeric ids, extra fields), the rest of the adapter sees one shape, made here. */
function normaliseGetUser(getUser: (req: any) => unknown): GetRequestUser {
  return (req) => {
    const user = getUser(req) as { id?: unknown; email?: unknown } | null | undefined | false;
    if (!user || user.id === undefined || user.id === null) return null;
    const id = normaliseUserId(user.id);
    if (!id.ok) return 'invalid';
    const email = typeof user.email === 'string' && user.email.trim() !== '' ? user.email : null;
    return { id: user.id as UserId, key: id.key, email };
  };
}

function resolveCsrf(value: unknown): CsrfOption {
  if (value === undefined) return 'auto';
  if (value === 'auto' || value === 'own' || value === 'host') return value;
  if (isObject(value) && typeof value.token === 'function') {
    checkKeys('csrf.', value, ['token', 'field']);
    if (value.field !== undefined && (typeof value.field !== 'string' || !/^[\w.-]{1,64}$/.test(value.field))) {
      fail('VERIGATE_INVALID_CSRF', 'csrf.field must be a form field name.', `Got ${JSON.stringify(value.field)}; e.g. '_csrf'.`);
    }
    return Object.freeze({ token: value.token as never, field: (value.field as string | undefined) ?? '_csrf' });
  }
  if (isObject(value) && value.token === undefined && value.field !== undefined) {
    checkKeys('csrf.', value, ['token', 'field']);
    if (typeof value.field !== 'string' || !/^[\w.-]{1,64}$/.test(value.field)) {
      fail('VERIGATE_INVALID_CSRF', 'csrf.field must be a form field name.', `Got ${JSON.stringify(value.field)}; e.g. 'CSRFToken'.`);
    }
    return Object.freeze({ field: value.field });
  }
  return fail('VERIGATE_INVALID_CSRF', `csrf must be 'auto', 'own', 'host', { field } or { token(req, res), field }.`,
    `Leave it out ('auto') to use your own CSRF middleware's req.csrfToken() when present and verigate's token otherwise.`);
}

function resolveSessionStore(value: unknown): SessionStoreLike | undefined {
  if (value === undefined) return undefined;
  if (!isObject(value) || typeof value.destroy !== 'function') {
    fail('VERIGATE_INVALID_SESSION_STORE', 'sessionStore must be an express-session store (with destroy(sid, callback)).', 'Pass the same store you give express-session, e.g. new RedisStore({ client }).');
  }
  return value as unknown as SessionStoreLike;
}

export function resolveWebOptions(options: WebOptions): WebConfig {
  const views = options.views === undefined ? [] : Array.isArray(options.views) ? options.views : [options.views];
  if (!views.every((v) => typeof v === 'string' && v.length > 0)) {
    fail('VERIGATE_INVALID_VIEWS', 'views must be a folder path or a list of folder paths.', `e.g. views: [path.join(__dirname, 'views/verigate')].`);
  }
  const layout = options.layout ?? 'layout';
  if (layout !== false && (typeof layout !== 'string' || layout === '')) fail('VERIGATE_INVALID_LAYOUT', 'layout must be a view name or false.', `Got ${JSON.stringify(layout)}.`);
  if (options.getUser !== undefined && typeof options.getUser !== 'function') {
    fail('VERIGATE_INVALID_GET_USER', 'getUser must be a function (req) => ({ id, email }) | null.', 'Leave it out to use req.user from Passport.');
  }
  if (options.recentLogin !== undefined && typeof options.recentLogin !== 'function') {
    fail('VERIGATE_INVALID_RECENT_LOGIN', 'recentLogin must be a function (req) => boolean.', 'e.g. (req) => Date.now() - req.session.loggedInAt < 300000.');
  }
  if (options.locale !== undefined && typeof options.locale !== 'function') {
    fail('VERIGATE_INVALID_LOCALE', 'locale must be a function (req, user) => language tag | undefined.', `e.g. (req, user) => user?.language; leave it out to follow Accept-Language.`);
  }
  return Object.freeze({
    views: Object.freeze([...views]),
    layout,
    loginPath: localPath('loginPath', options.loginPath, '/login'),
    afterVerifyPath: localPath('afterVerifyPath', options.afterVerifyPath, '/'),
    getUser: normaliseGetUser(options.getUser ?? ((req) => req.user)),
    csrf: resolveCsrf(options.csrf),
    recentLogin: options.recentLogin,
    sessionStore: resolveSessionStore(options.sessionStore),
    challenge: resolveChallenge(options.challenge),
    csp: resolveCsp(options.csp),
    catalogue: resolveCatalogue({ messages: options.messages, defaultLocale: options.defaultLocale, timeZone: options.timeZone }),
    locale: options.locale,
  });
}
