import { asyncHandler } from '../async-handler.ts';
import { wantsJson } from '../negotiate.ts';
import { ERRORS, isSuccess, resultWords, type ErrorCode } from '../outcomes.ts';
import { routerPath } from '../router-path.ts';
import { continueUrl, type HandlerDeps } from './deps.ts';

/**
 * GET /result?status=…&until=…&sig=… — what happened, and the one sensible next step. Only an
 * outcome this server signed in the last few minutes is shown, so typing `?status=verified`
 * shows nothing. JSON clients get what the POST itself answered.
 */
export function resultHandler({ config, web, respond, results }: HandlerDeps) {
  return asyncHandler(async (req, res) => {
    const read = results.read(req.query as Record<string, unknown>);
    if (!read.ok) return respond.fail(req, res, 'NOT_FOUND', { details: { reason: read.reason === 'EXPIRED' ? 'RESULT_EXPIRED' : 'RESULT_INVALID' } });
    const { status } = read;
    const ok = isSuccess(status);
    if (wantsJson(req)) return ok ? void res.json({ status, continueUrl: continueUrl(req, web) }) : respond.fail(req, res, status as ErrorCode);
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
