import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { safeReturnTo } from '../src/http/return-to.ts';
import { createErrorHandler } from './error-handler.ts';
import { signedInUser, type HandlerDeps } from './handlers/deps.ts';
import { wantsJson } from './negotiate.ts';
import { routerPath } from './router-path.ts';
import { isVerifiedForRequest } from './verified-session.ts';

/**
 * Gate for protected routes. A verified user is remembered in the session, so the hot path costs
 * no database or Redis round trip beyond the host's own session load. Anyone not yet verified is
 * re-checked against the database on every request, so verifying in another browser opens this
 * one at once. A changed email is a new pair: the gate closes by itself. A signed-in user without
 * an address is asked for one (never sent back to the login page, which would loop).
 */
export function createRequireVerified(deps: HandlerDeps): RequestHandler {
  const { config, verification, respond } = deps;
  const onError = createErrorHandler(respond, config.logger);
  const pendingPath = routerPath(config, '/pending');
  const addEmailPath = routerPath(config, '/email');

  async function gate(req: Request, res: Response, next: NextFunction): Promise<void> {
    const user = await signedInUser(req, res, deps, safeReturnTo(req.originalUrl) ?? '/');
    if (!user) return;
    if (await isVerifiedForRequest(req, user, verification)) return next();

    const noEmail = user.email === null;
    if (wantsJson(req)) {
      return noEmail
        ? respond.fail(req, res, 'EMAIL_REQUIRED', { details: { addEmailUrl: addEmailPath } })
        : respond.fail(req, res, 'EMAIL_NOT_VERIFIED', { details: { pendingUrl: pendingPath } });
    }
    const returnTo = req.method === 'GET' ? safeReturnTo(req.originalUrl) : undefined;
    res.set('Cache-Control', 'no-store');
    // The pending page keeps returnTo and sends an account without an address on to the add-email form.
    res.redirect(302, returnTo ? `${pendingPath}?returnTo=${encodeURIComponent(returnTo)}` : pendingPath);
  }

  return (req, res, next) => {
    gate(req, res, next).catch((error) => onError(error, req, res, next));
  };
}
