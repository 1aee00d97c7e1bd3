import type { Request, Response } from 'express';
import type { ResolvedConfig } from '../src/config/resolved-config.ts';
import { describeError } from '../src/logging/redact.ts';
import { NO_CONTENT_POLICY, pagePolicy, responseNonce } from './content-security-policy.ts';
import { ERRORS, type ErrorCode } from './outcomes.ts';
import { wantsJson } from './negotiate.ts';
import type { ViewRenderer } from './view-renderer.ts';
import type { WebConfig } from './web-options.ts';

export interface Responder {
  /** Renders a page with the shared locals (app name, paths) merged in. */
  page(res: Response, view: string, locals: Record<string, unknown>, status?: number): Promise<void>;
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

export function createResponder(config: ResolvedConfig, web: WebConfig, views: ViewRenderer, stylesheetUrl: string): Responder {
  const shared = { appName: config.appName, basePath: config.basePath, loginPath: web.loginPath, afterVerifyPath: web.afterVerifyPath, stylesheetUrl };
  const otherPolicy = web.csp === false ? null : NO_CONTENT_POLICY;

  async function page(res: Response, view: string, locals: Record<string, unknown>, status = 200): Promise<void> {
    // Set before rendering: res.locals.cspNonce is how an overriding layout gets this page's nonce.
    const policy = web.csp === false ? null : pagePolicy(responseNonce(res), web.csp);
    // res.locals lets the host hand its own data (the signed-in user, a nonce) to an overriding layout.
    const html = await views.page(view, { ...shared, ...res.locals, ...locals });
    setPrivateHeaders(res, policy);
    res.status(status).type('html').send(html);
  }

  async function fail(req: Request, res: Response, code: ErrorCode, extra: Parameters<Responder['fail']>[3] = {}): Promise<void> {
    const info = ERRORS[code];
    const message = extra.message ?? info.message;
    const retry = extra.retryAfterSeconds;
    if (retry !== undefined) res.set('Retry-After', String(retry));
    if (wantsJson(req)) {
      setPrivateHeaders(res, otherPolicy);
      res.status(info.http).json({ error: { code, message, ...(retry !== undefined ? { retryAfter: retry } : {}), ...extra.details } });
      return;
    }
    try {
      await page(res, 'verify-error', { title: info.title, code, message, retryAfter: retry }, info.http);
    } catch (error) {
      // A broken override must not turn a clear 4xx into a 500 with a stack trace.
      config.logger.error('error view failed to render', { error: describeError(error) });
      setPrivateHeaders(res, otherPolicy);
      res.status(info.http).type('text').send(`${info.title}. ${message}`);
    }
  }

  async function signIn(req: Request, res: Response, returnTo: string): Promise<void> {
    if (wantsJson(req)) return fail(req, res, 'UNAUTHENTICATED', { details: { loginUrl: web.loginPath } });
    setPrivateHeaders(res, otherPolicy);
    const separator = web.loginPath.includes('?') ? '&' : '?';
    res.redirect(302, `${web.loginPath}${separator}returnTo=${encodeURIComponent(returnTo)}`);
  }

  return { page, fail, signIn };
}
