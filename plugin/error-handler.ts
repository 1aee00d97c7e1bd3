import type { ErrorRequestHandler } from 'express';
import type { Logger } from '../src/ports/logger.ts';
import { isInfrastructureError } from '../src/http/infrastructure-error.ts';
import { describeError } from '../src/logging/redact.ts';
import type { Responder } from './respond.ts';

/** How long clients should wait before retrying after a dependency failure. */
export const RETRY_AFTER_SECONDS = 5;

/**
 * Bad input becomes a 4xx with an actionable message; a dependency outage a fast 503;
 * anything else a bare 500. No stack trace or internal message ever reaches the client.
 */
export function createErrorHandler(respond: Responder, logger: Logger): ErrorRequestHandler {
  return (err, req, res, next) => {
    if (res.headersSent) return next(err);
    const status = typeof err?.status === 'number' ? err.status : typeof err?.statusCode === 'number' ? err.statusCode : undefined;
    let done: Promise<void>;
    if (err?.type === 'entity.too.large') {
      done = respond.fail(req, res, 'PAYLOAD_TOO_LARGE');
    } else if (status !== undefined && status >= 400 && status < 500) {
      done = respond.fail(req, res, 'INVALID_REQUEST');
    } else if (isInfrastructureError(err)) {
      logger.warn('dependency unavailable; answered 503', { path: req.path, error: describeError(err) });
      done = respond.fail(req, res, 'SERVICE_UNAVAILABLE', { retryAfterSeconds: RETRY_AFTER_SECONDS });
    } else {
      logger.error('unexpected error in a verigate route', { path: req.path, error: describeError(err) });
      done = respond.fail(req, res, 'INTERNAL_ERROR');
    }
    done.catch(next);
  };
}
