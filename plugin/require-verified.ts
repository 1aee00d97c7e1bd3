import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { ResolvedConfig } from '../src/config/resolved-config.ts';
import { safeReturnTo } from '../src/http/return-to.ts';
import type { VerificationService } from '../src/verification/verification-service.ts';
import { createErrorHandler } from './error-handler.ts';
import { wantsJson } from './negotiate.ts';
import type { Responder } from './respond.ts';
import { routerPath } from './router-path.ts';
import { isVerifiedForRequest } from './verified-session.ts';

/**
 * Gate for protected routes. A verified user is remembered in the session, so the hot path costs
 * no database or Redis round trip beyond the host's own session load. Anyone not yet verified is
 * re-checked against the database on every request, so verifying in another browser opens this
 * one at once. A changed email is a new pair: the gate closes by itself.
 */
export function createRequireVerified(deps: { config: ResolvedConfig; verification: VerificationService; respond: Responder }): RequestHandler {
  const { config, verification, respond } = deps;
  const onError = createErrorHandler(respond, config.logger);
  const pendingPath = routerPath(config, '/pending');

  async function gate(req: Request, res: Response, next: NextFunction): Promise<void> {
    const user = config.getUser(req);
    if (!user) return respond.signIn(req, res, safeReturnTo(req.originalUrl) ?? '/');
    if (await isVerifiedForRequest(req, user, verification)) return next();

    if (wantsJson(req)) return respond.fail(req, res, 'EMAIL_NOT_VERIFIED', { details: { pendingUrl: pendingPath } });
    const returnTo = req.method === 'GET' ? safeReturnTo(req.originalUrl) : undefined;
    res.set('Cache-Control', 'no-store');
    res.redirect(302, returnTo ? `${pendingPath}?returnTo=${encodeURIComponent(returnTo)}` : pendingPath);
  }

  return (req, res, next) => {
    gate(req, res, next).catch((error) => onError(error, req, res, next));
  };
}
