import express, { type RequestHandler, type Router } from 'express';
import { createErrorHandler } from './error-handler.ts';
import { codeHandler } from './handlers/code.ts';
import { confirmPageHandler, confirmSubmitHandler } from './handlers/confirm.ts';
import type { HandlerDeps } from './handlers/deps.ts';
import { emailConfirmPageHandler, emailConfirmSubmitHandler, emailUndoPageHandler, emailUndoSubmitHandler } from './handlers/email-links.ts';
import { emailFormHandler, emailSubmitHandler } from './handlers/email-form.ts';
import { pendingHandler } from './handlers/pending.ts';
import { resendHandler, resendPageHandler } from './handlers/resend.ts';
import { resultHandler } from './handlers/result.ts';
import type { Assets } from './assets.ts';
import { NO_CONTENT_POLICY } from './content-security-policy.ts';
import { setPrivateHeaders } from './respond.ts';

/** Bodies here are a token, an address, a password and a CSRF field; anything near this size is abuse, answered with 413. */
const BODY_LIMIT = '16kb';


/**
 * Routes, relative to where the host mounts the router (e.g. `app.use('/verify', router)`).
 * Headers and body parsers are attached per route, never with `router.use`, so mounting at `/`
 * never touches the host's own routes. A host that already parsed the body keeps its parse.
 */
export function createRouter(deps: HandlerDeps, assets: Assets): Router {
  const router = express.Router();
  const policy = deps.web.csp === false ? null : NO_CONTENT_POLICY;
  /** Every verigate response, whatever branch answers it: no caching, no Referer, no framing; pages set their own policy. */
  const privateHeaders: RequestHandler = (req, res, next) => {
    setPrivateHeaders(res, policy);
    next();
  };
  const body = [privateHeaders, express.urlencoded({ extended: false, limit: BODY_LIMIT }), express.json({ limit: BODY_LIMIT })];

  router.get('/pending', privateHeaders, pendingHandler(deps));
  router.get('/resend', privateHeaders, resendPageHandler(deps));
  router.post('/resend', body, resendHandler(deps));
  router.post('/code', body, codeHandler(deps));
  router.get('/confirm', privateHeaders, confirmPageHandler(deps));
  router.post('/confirm', body, confirmSubmitHandler(deps));
  router.get('/result', privateHeaders, resultHandler(deps));
  router.get('/email', privateHeaders, emailFormHandler(deps));
  router.post('/email', body, emailSubmitHandler(deps));
  router.get('/email/confirm', privateHeaders, emailConfirmPageHandler(deps));
  router.post('/email/confirm', body, emailConfirmSubmitHandler(deps));
  router.get('/email/undo', privateHeaders, emailUndoPageHandler(deps));
  router.post('/email/undo', body, emailUndoSubmitHandler(deps));
  router.get('/assets/:file', assets.handler);
  router.use(createErrorHandler(deps.respond, deps.config.logger));
  return router;
}
