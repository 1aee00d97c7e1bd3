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
import { setPrivateHeaders } from './respond.ts';
import { assetPath } from './view-renderer.ts';

/** Bodies here are a token, an address, a password and a CSRF field; anything near this size is abuse, answered with 413. */
const BODY_LIMIT = '16kb';

/** Every verigate response, whatever branch answers it: no caching, no Referer, no framing. */
const privateHeaders: RequestHandler = (req, res, next) => {
  setPrivateHeaders(res);
  next();
};

/**
 * Routes, relative to where the host mounts the router (e.g. `app.use('/verify', router)`).
 * Headers and body parsers are attached per route, never with `router.use`, so mounting at `/`
 * never touches the host's own routes. A host that already parsed the body keeps its parse.
 */
export function createRouter(deps: HandlerDeps): Router {
  const router = express.Router();
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
  router.get('/assets/verigate-pow.js', (req, res) => {
    res.set({ 'Cache-Control': 'public, max-age=86400', 'X-Content-Type-Options': 'nosniff' });
    // Allowed dot-directories: the file is verigate's own, and packages often live under one (pnpm's node_modules/.pnpm).
    res.type('application/javascript').sendFile(assetPath('verigate-pow.js'), { dotfiles: 'allow' });
  });
  router.use(createErrorHandler(deps.respond, deps.config.logger));
  return router;
}
