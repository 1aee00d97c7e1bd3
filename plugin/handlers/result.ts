import { asyncHandler } from '../async-handler.ts';
import { ERRORS, statusFromSlug } from '../outcomes.ts';
import { continueUrl, routerPath, type HandlerDeps } from './deps.ts';

/** GET /result?status=… — what happened, and the one sensible next step. */
export function resultHandler({ config, respond }: HandlerDeps) {
  return asyncHandler(async (req, res) => {
    const status = statusFromSlug(req.query.status);
    if (!status) return respond.fail(req, res, 'NOT_FOUND');
    const ok = status === 'VERIFIED' || status === 'ALREADY_VERIFIED';
    const info = ok ? undefined : ERRORS[status];
    return respond.page(res, 'verify-result', {
      title: ok ? 'Email address confirmed' : info!.title,
      status,
      ok,
      message: ok ? 'Thank you: your email address is confirmed.' : info!.message,
      continueUrl: continueUrl(req, config),
      pendingUrl: routerPath(config, '/pending'),
    }, ok ? 200 : info!.http);
  });
}
