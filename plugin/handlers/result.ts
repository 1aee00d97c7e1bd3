import { asyncHandler } from '../async-handler.ts';
import { ERRORS, isSuccess, statusFromSlug } from '../outcomes.ts';
import { routerPath } from '../router-path.ts';
import { continueUrl, type HandlerDeps } from './deps.ts';

const CONFIRMED = { http: 200, title: 'Email address confirmed', message: 'Thank you: your email address is confirmed.' };

/** GET /result?status=… — what happened, and the one sensible next step. */
export function resultHandler({ config, respond }: HandlerDeps) {
  return asyncHandler(async (req, res) => {
    const status = statusFromSlug(req.query.status);
    if (!status) return respond.fail(req, res, 'NOT_FOUND');
    const ok = isSuccess(status);
    const view = ok ? CONFIRMED : ERRORS[status];
    return respond.page(res, 'verify-result', {
      title: view.title,
      message: view.message,
      status,
      ok,
      continueUrl: continueUrl(req, config),
      pendingUrl: routerPath(config, '/pending'),
    }, view.http);
  });
}
