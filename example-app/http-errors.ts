import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import { isInfrastructureError, type Logger } from '../plugin/index.ts';
import { wantsJson, type RenderPage } from './render.ts';

const RETRY_AFTER_SECONDS = 5;

interface Failure {
  status: number;
  code: string;
  title: string;
  message: string;
}

/** Answers with `{ error: { code, message } }` or the app's error page; never a stack trace. */
async function sendFailure(req: Request, res: Response, render: RenderPage, failure: Failure): Promise<void> {
  if (wantsJson(req)) {
    res.status(failure.status).json({ error: { code: failure.code, message: failure.message } });
    return;
  }
  try {
    await render(req, res, 'error', { title: failure.title, message: failure.message }, failure.status);
  } catch {
    // The error page itself failed (e.g. the session user could not be read): stay readable.
    if (!res.headersSent) res.status(failure.status).type('text').send(`${failure.title}. ${failure.message}`);
  }
}

function classify(err: unknown): Failure & { log: boolean } {
  const e = (err ?? {}) as { status?: unknown; statusCode?: unknown; type?: unknown };
  const status = typeof e.status === 'number' ? e.status : typeof e.statusCode === 'number' ? e.statusCode : undefined;
  if (e.type === 'entity.too.large') {
    return { status: 413, code: 'PAYLOAD_TOO_LARGE', title: 'Request too large', message: 'The request body is larger than this form accepts.', log: false };
  }
  if (e.type === 'entity.parse.failed') {
    return { status: 400, code: 'INVALID_REQUEST', title: 'Bad request', message: 'The request body could not be read: send a JSON object such as {"email": "…", "password": "…"}.', log: false };
  }
  if (status !== undefined && status >= 400 && status < 500) {
    return { status, code: 'INVALID_REQUEST', title: 'Bad request', message: 'The request could not be read. Reload the page and try again.', log: false };
  }
  if (isInfrastructureError(err)) {
    return { status: 503, code: 'SERVICE_UNAVAILABLE', title: 'Temporarily unavailable', message: 'We cannot complete this right now. Please try again in a few seconds.', log: true };
  }
  return { status: 500, code: 'INTERNAL_ERROR', title: 'Something went wrong', message: 'An unexpected error occurred. Please try again.', log: true };
}

export function createErrorHandler(render: RenderPage, logger: Logger): ErrorRequestHandler {
  return (err, req, res, next) => {
    if (res.headersSent) return next(err);
    const failure = classify(err);
    if (failure.log) {
      // The operator gets the detail; the client gets only the generic message.
      const detail = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      logger.error('request failed', { status: failure.status, method: req.method, path: req.path, error: detail });
    }
    if (failure.status === 503) res.set('Retry-After', String(RETRY_AFTER_SECONDS));
    sendFailure(req, res, render, failure).catch(next);
  };
}

export function notFound(render: RenderPage): RequestHandler {
  return (req, res, next) => {
    sendFailure(req, res, render, { status: 404, code: 'NOT_FOUND', title: 'Page not found', message: 'There is nothing at this address.' }).catch(next);
  };
}

/**
 * Refuses state-changing requests sent by other sites. The session cookie is SameSite=Lax, which
 * already covers logout; this also stops login CSRF (signing a victim into an attacker's account).
 * Clients without these headers (curl, old browsers) pass: SameSite still applies to them.
 * Mounted after verigate's router, so verigate's own POSTs under /verify never reach it.
 */
export function sameOriginPosts(publicOrigin: string): RequestHandler {
  return (req, res, next) => {
    if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS') return next();
    if (!isCrossSite(req, publicOrigin)) return next();
    res.status(403);
    if (wantsJson(req)) return void res.json({ error: { code: 'CROSS_SITE_REQUEST', message: 'This request came from another site and was refused.' } });
    res.type('text').send('This request came from another site and was refused. Go back, reload the page and try again.');
  };
}

function isCrossSite(req: Request, publicOrigin: string): boolean {
  const fetchSite = req.get('sec-fetch-site');
  if (fetchSite === 'cross-site') return true;
  const origin = req.get('origin');
  if (origin === 'null') {
    // An opaque origin: a sandboxed iframe or data: URL, which an attacker controls, is refused. But
    // browsers also send it for a form on a page under Referrer-Policy: no-referrer, which is how
    // verigate's pages are served, and those pages carry the header's "Log out" button (POST /logout).
    // Chosen rule, for every path rather than a /logout exemption: `Origin: null` passes only when the
    // browser's own Fetch Metadata (which a page cannot forge) vouches for it with `same-origin`.
    // A browser without Fetch Metadata gets a 403 there and can log out from any of the app's pages.
    return fetchSite !== 'same-origin';
  }
  if (!origin || origin === publicOrigin) return false;
  try {
    // Direct access by another host name (127.0.0.1 instead of localhost) is still this server.
    return new URL(origin).host !== req.get('host');
  } catch {
    return true;
  }
}
