import { asyncHandler } from '../async-handler.ts';
import { ERRORS, isSuccess, resultWords, statusFromSlug } from '../outcomes.ts';
import { routerPath } from '../router-path.ts';
import { continueUrl, type HandlerDeps } from './deps.ts';

/** GET /result?status=… — what happened, and the one sensible next step. */
export function resultHandler({ config, web, respond }: HandlerDeps) {
  return asyncHandler(async (req, res) => {
    const status = statusFromSlug(req.query.status);
    if (!status) return respond.fail(req, res, 'NOT_FOUND');
    const ok = isSuccess(status);
    const words = resultWords(status);
    return respond.page(res, 'verify-result', {
      titleKey: words.title,
      message: respond.text(req, words.message),
      status,
      ok,
      continueUrl: continueUrl(req, web),
      pendingUrl: routerPath(config, '/pending'),
    }, ok ? 200 : ERRORS[status].http);
  });
}
