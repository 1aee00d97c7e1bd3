import type { Request, Response } from 'express';
import type { ResolvedConfig } from '../src/config/resolved-config.ts';
import { describeError } from '../src/logging/redact.ts';
import { NO_CONTENT_POLICY, pagePolicy, responseNonce } from './content-security-policy.ts';
import type { MessageValues } from '../src/i18n/format-message.ts';
import type { MessageKey } from '../src/i18n/messages-en.ts';
import type { WebI18n } from './i18n.ts';
import { ERRORS, errorWords, type ErrorCode } from './outcomes.ts';
import { wantsJson } from './negotiate.ts';
import type { ViewRenderer } from './view-renderer.ts';
import type { WebConfig } from './web-options.ts';

export interface Responder {
  /**
   * Renders a page in the visitor's language with the shared locals (app name, paths, `msg`,
   * `locale`) merged in; `titleKey` becomes the `title` the layout prints.
   */
  page(res: Response, view: string, locals: Record<string, unknown> & { titleKey?: MessageKey }, status?: number): Promise<void>;
  /** One message in the visitor's language, as plain text (JSON, a local the view escapes). */
  text(req: Request, key: MessageKey, values?: MessageValues): string;
  /** The one place an error code becomes a response: JSON `{ error: { code, message } }` or an HTML page. */
  fail(req: Request, res: Response, code: ErrorCode, extra?: { message?: string; details?: Record<string, unknown>; retryAfterSeconds?: number }): Promise<void>;
  /** Sends an unauthenticated visitor to the host's login page, or 401 for JSON clients. */
  signIn(req: Request, res: Response, returnTo: string): Promise<void>;
}

/**
 * Headers for every verigate response: tokens must not leak through caches, history sync or
 * Referer, and the confirm button must not be clickjackable. `policy` is the
 * Content-Security-Policy (pages replace it with their own; `null` leaves the host's alone).
 */
export function setPrivateHeaders(res: Response, policy: string | null = NO_CONTENT_POLICY): void {
  res.set({
    'Cache-Control': 'no-store',
    'Referrer-Policy': 'no-referrer',
    'X-Robots-Tag': 'noindex',
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
  });
  if (policy !== null) res.set('Content-Security-Policy', policy);
}

export function createResponder(config: ResolvedConfig, web: WebConfig, views: ViewRenderer, i18n: WebI18n, stylesheetUrl: string): Responder {
  const shared = { appName: config.appName, basePath: config.basePath, loginPath: web.loginPath, afterVerifyPath: web.afterVerifyPath, stylesheetUrl };
  const otherPolicy = web.csp === false ? null : NO_CONTENT_POLICY;

  async function page(res: Response, view: string, locals: Record<string, unknown> & { titleKey?: MessageKey }, status = 200): Promise<void> {
    const words = i18n.forRequest(res.req);
    const { titleKey, ...rest } = locals;
    const title = titleKey ? words.text(titleKey) : rest.title;
    // Set before rendering: res.locals.cspNonce is how an overriding layout gets this page's nonce.
    const policy = web.csp === false ? null : pagePolicy(responseNonce(res), web.csp);
    // res.locals lets the host hand its own data (the signed-in user, a nonce) to an overriding layout.
    // `msg` is named apart from the `t` that i18n middlewares put into res.locals, so neither clobbers the other's views.
    const html = await views.page(view, { ...shared, ...res.locals, ...rest, title, msg: words.html, locale: words.locale });
    setPrivateHeaders(res, policy);
    res.set('Content-Language', words.locale).vary('Accept-Language');
    res.status(status).type('html').send(html);
  }

  const text = (req: Request, key: MessageKey, values?: MessageValues) => i18n.forRequest(req).text(key, values);

  async function fail(req: Request, res: Response, code: ErrorCode, extra: Parameters<Responder['fail']>[3] = {}): Promise<void> {
    const info = ERRORS[code];
    const words = errorWords(code);
    const message = extra.message ?? text(req, words.message);
    const title = text(req, words.title);
    const retry = extra.retryAfterSeconds;
    if (retry !== undefined) res.set('Retry-After', String(retry));
    if (wantsJson(req)) {
      setPrivateHeaders(res, otherPolicy);
      res.set('Content-Language', i18n.forRequest(req).locale).vary('Accept-Language');
      res.status(info.http).json({ error: { code, message, ...(retry !== undefined ? { retryAfter: retry } : {}), ...extra.details } });
      return;
    }
    try {
      await page(res, 'verify-error', { title, code, message, retryAfter: retry }, info.http);
    } catch (error) {
      // A broken override must not turn a clear 4xx into a 500 with a stack trace.
      config.logger.error('error view failed to render', { error: describeError(error) });
      setPrivateHeaders(res, otherPolicy);
      res.status(info.http).type('text').send(`${title}. ${message}`);
    }
  }

  async function signIn(req: Request, res: Response, returnTo: string): Promise<void> {
    if (wantsJson(req)) return fail(req, res, 'UNAUTHENTICATED', { details: { loginUrl: web.loginPath } });
    setPrivateHeaders(res, otherPolicy);
    const separator = web.loginPath.includes('?') ? '&' : '?';
    res.redirect(302, `${web.loginPath}${separator}returnTo=${encodeURIComponent(returnTo)}`);
  }

  return { page, text, fail, signIn };
}
