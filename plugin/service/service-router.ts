import express, { type ErrorRequestHandler, type NextFunction, type Request, type Response, type Router } from 'express';
import type { VerigateCore } from '../../src/core.ts';
import { isInfrastructureError } from '../../src/http/infrastructure-error.ts';
import { describeError } from '../../src/logging/redact.ts';
import type { ApiScope } from '../../src/service-api/api-key.ts';
import { asyncHandler } from '../async-handler.ts';
import { RETRY_AFTER_SECONDS } from '../error-handler.ts';
import { createReplier, USER_ROUTE, type Replier } from './service-call.ts';
import { stateHandler, sendHandler } from './service-handlers.ts';

const BODY_LIMIT = '16kb';

/**
 * Checks the API key before anything else is read: 401 for a missing, malformed, unknown, wrong or
 * revoked key (one answer for all), 403 for a missing scope, 429 past the key's limit.
 */
function requireScope(core: VerigateCore, replier: Replier, scope: ApiScope) {
  return asyncHandler(async (req: Request, res: Response, next: NextFunction) => {
    const call = replier.callOf(req);
    call.rawId = req.params.id as string;
    const check = await core.checkApiKey(req.headers.authorization, scope);
    call.keyId = check.ok ? check.key.id : check.keyId;
    if (check.ok) return next();
    call.why = check.reason;
    if (check.status === 'UNAUTHENTICATED') {
      const error = check.reason === 'MISSING' ? '' : ', error="invalid_token"';
      return replier.fail(req, res, 'UNAUTHENTICATED', {}, { 'WWW-Authenticate': `Bearer realm="verigate"${error}` });
    }
    if (check.status === 'FORBIDDEN') {
      return replier.fail(req, res, 'INSUFFICIENT_SCOPE', { scope }, { 'WWW-Authenticate': `Bearer realm="verigate", error="insufficient_scope", scope="${scope}"` });
    }
    return replier.fail(req, res, 'RATE_LIMITED', { retryAfter: check.retryAfterSeconds }, { 'Retry-After': String(check.retryAfterSeconds) });
  });
}

/** JSON bodies only: a body of any other type is refused (415) rather than silently read as empty. No body at all is fine. */
function jsonOnly(replier: Replier) {
  return (req: Request, res: Response, next: NextFunction) => {
    const empty = req.headers['content-length'] === '0' && req.headers['transfer-encoding'] === undefined;
    if (!empty && req.is('application/json') === false) return void replier.fail(req, res, 'UNSUPPORTED_MEDIA_TYPE').catch(next);
    next();
  };
}

function serviceErrorHandler(core: VerigateCore, replier: Replier): ErrorRequestHandler {
  return (err, req, res, next) => {
    if (res.headersSent) return next(err);
    const status = typeof err?.status === 'number' ? err.status : typeof err?.statusCode === 'number' ? err.statusCode : undefined;
    let done: Promise<void>;
    if (err?.type === 'entity.too.large') done = replier.fail(req, res, 'PAYLOAD_TOO_LARGE');
    else if (status !== undefined && status >= 400 && status < 500) done = replier.fail(req, res, 'INVALID_REQUEST');
    else if (isInfrastructureError(err)) {
      core.config.logger.warn('dependency unavailable; service API answered 503', { error: describeError(err) });
      done = replier.fail(req, res, 'SERVICE_UNAVAILABLE', { retryAfter: RETRY_AFTER_SECONDS }, { 'Retry-After': String(RETRY_AFTER_SECONDS) });
    } else {
      core.config.logger.error('unexpected error in the service API', { error: describeError(err) });
      done = replier.fail(req, res, 'INTERNAL_ERROR');
    }
    done.catch(next);
  };
}

/**
 * The service API: JSON routes for other services, authenticated by API keys, mounted apart from
 * the user-facing router (no sessions, no CSRF, no pages), e.g. `app.use('/internal/verigate', vg.serviceRouter())`.
 * Only its own route is handled; every other path falls through to the host.
 */
export function createServiceRouter(core: VerigateCore): Router {
  const router = express.Router();
  const replier = createReplier(core.audit);
  router.get(USER_ROUTE, requireScope(core, replier, 'read'), stateHandler(core, replier));
  router.post(USER_ROUTE, requireScope(core, replier, 'send'), jsonOnly(replier), express.json({ limit: BODY_LIMIT }), sendHandler(core, replier));
  router.all(USER_ROUTE, (req, res, next) => void replier.fail(req, res, 'METHOD_NOT_ALLOWED', {}, { Allow: 'GET, HEAD, POST' }).catch(next));
  router.use(serviceErrorHandler(core, replier));
  return router;
}
