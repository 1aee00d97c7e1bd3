import type { Request, Response } from 'express';
import { describeError } from '../../src/logging/redact.ts';
import { asyncHandler } from '../async-handler.ts';
import { isSameOriginRequest } from '../csrf.ts';
import { wantsJson } from '../negotiate.ts';
import { isSuccess, type ErrorCode, type ResultStatus } from '../outcomes.ts';
import { routerPath } from '../router-path.ts';
import { bodyOf, clientIp, type HandlerDeps } from './deps.ts';
import type { AuditContext } from '../../src/audit/audit-event.ts';

/**
 * POST of an emailed link's button: consumes the token. The token is the request's own secret, so
 * no session (and no session CSRF token) is needed and the link works in any browser; only a
 * cross-site browser request is refused. Browsers are redirected to a result page whose URL holds
 * no token. `afterSuccess` applies session effects (e.g. signing other devices out).
 */
export function tokenSubmitHandler<R extends { status: ResultStatus }>(deps: HandlerDeps,
  consume: (token: unknown, context: AuditContext, req: Request) => Promise<R>, afterSuccess?: (req: Request, result: R) => Promise<void>) {
  const { config, respond } = deps;
  const origin = new URL(config.baseUrl).origin;
  return asyncHandler(async (req: Request, res: Response) => {
    if (!isSameOriginRequest(req, origin)) return respond.fail(req, res, 'CSRF_INVALID');
    // Guessing a 256-bit token is hopeless, but a flood of attempts is not free: failures are
    // limited per IP, counted after the lookup so that a good link costs no limiter round trip.
    const ip = clientIp(req);
    const admitted = deps.linkAttempts.admit(ip);
    if (!admitted.ok) return respond.fail(req, res, 'RATE_LIMITED', { retryAfterSeconds: admitted.retryAfterSeconds });
    const result = await consume(bodyOf(req).token, { ip }, req);
    const ok = isSuccess(result.status);
    if (!ok) {
      const counted = await deps.linkAttempts.failed(ip);
      if (!counted.ok) return respond.fail(req, res, 'RATE_LIMITED', { retryAfterSeconds: counted.retryAfterSeconds });
    }
    if (ok && afterSuccess) {
      // The token is consumed and the outcome stands; a store that cannot end sessions right now is
      // an operator's problem to hear about, not a reason to tell the person it failed.
      await afterSuccess(req, result).catch((error: unknown) =>
        config.logger.error('could not end or rotate sessions after a confirmed link', { error: describeError(error) }));
    }
    if (wantsJson(req)) return ok ? void res.json({ status: result.status }) : respond.fail(req, res, result.status as ErrorCode);
    return res.redirect(303, routerPath(config, deps.results.path(result.status)));
  });
}
