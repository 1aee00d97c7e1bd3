import express, { type Router } from 'express';
import type { Logger } from '../src/ports/logger.ts';
import { createErrorHandler } from './error-handler.ts';
import { confirmPageHandler, confirmSubmitHandler } from './handlers/confirm.ts';
import type { HandlerDeps } from './handlers/deps.ts';
import { pendingHandler } from './handlers/pending.ts';
import { resendHandler } from './handlers/resend.ts';
import { resultHandler } from './handlers/result.ts';

/** Bodies here are a token and a CSRF field; anything near this size is abuse, answered with 413. */
const BODY_LIMIT = '16kb';

/**
 * Routes, relative to where the host mounts the router (e.g. `app.use('/verify', router)`).
 * Body parsers are attached per route, so mounting at `/` never touches the host's own routes.
 */
export function createRouter(deps: HandlerDeps & { logger: Logger }): Router {
  const router = express.Router();
  const body = [express.urlencoded({ extended: false, limit: BODY_LIMIT }), express.json({ limit: BODY_LIMIT })];

  router.get('/pending', pendingHandler(deps));
  router.post('/resend', body, resendHandler(deps));
  router.get('/confirm', confirmPageHandler(deps));
  router.post('/confirm', body, confirmSubmitHandler(deps));
  router.get('/result', resultHandler(deps));
  router.use(createErrorHandler(deps.respond, deps.logger));
  return router;
}
