import express, { type RequestHandler, type Router } from 'express';
import { createErrorHandler } from './error-handler.ts';
import { confirmPageHandler, confirmSubmitHandler } from './handlers/confirm.ts';
import type { HandlerDeps } from './handlers/deps.ts';
import { pendingHandler } from './handlers/pending.ts';
import { resendHandler } from './handlers/resend.ts';
import { resultHandler } from './handlers/result.ts';
import { setPrivateHeaders } from './respond.ts';

/** Bodies here are a token and a CSRF field; anything near this size is abuse, answered with 413. */
const BODY_LIMIT = '16kb';

/** Every verigate response, whatever branch answers it: no caching, no Referer, no framing. */
const privateHeaders: RequestHandler = (req, res, next) => {
  setPrivateHeaders(res);
  next();
};

/**
 * Routes, relative to where the host mounts the router (e.g. `app.use('/verify', router)`).
 * Headers and body parsers are attached per route, never with `router.use`, so mounting at `/`
 * never touches the host's own routes.
 */
export function createRouter(deps: HandlerDeps): Router {
  const router = express.Router();
  const body = [express.urlencoded({ extended: false, limit: BODY_LIMIT }), express.json({ limit: BODY_LIMIT })];

  router.get('/pending', privateHeaders, pendingHandler(deps));
  router.post('/resend', privateHeaders, body, resendHandler(deps));
  router.get('/confirm', privateHeaders, confirmPageHandler(deps));
  router.post('/confirm', privateHeaders, body, confirmSubmitHandler(deps));
  router.get('/result', privateHeaders, resultHandler(deps));
  router.use(createErrorHandler(deps.respond, deps.config.logger));
  return router;
}
