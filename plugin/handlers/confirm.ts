import { isWellFormedToken } from '../../src/tokens/token.ts';
import { asyncHandler } from '../async-handler.ts';
import { wantsJson } from '../negotiate.ts';
import { isSuccess, RESULT_SLUGS } from '../outcomes.ts';
import { routerPath } from '../router-path.ts';
import type { HandlerDeps } from './deps.ts';

/**
 * GET /confirm?token=… — only shows a button. Mail scanners and link previews fetch links;
 * a GET that consumed the token would verify on their behalf or burn the link.
 */
export function confirmPageHandler({ config, respond }: HandlerDeps) {
  return asyncHandler(async (req, res) => {
    const token = req.query.token;
    if (!isWellFormedToken(token)) {
      if (wantsJson(req)) return respond.fail(req, res, 'TOKEN_INVALID');
      return res.redirect(303, routerPath(config, `/result?status=${RESULT_SLUGS.TOKEN_INVALID}`));
    }
    if (wantsJson(req)) {
      return void res.json({ status: 'CONFIRMATION_REQUIRED', method: 'POST', action: routerPath(config, '/confirm') });
    }
    return respond.page(res, 'verify-confirm', { title: 'Confirm your email address', token, action: routerPath(config, '/confirm') });
  });
}

/**
 * POST /confirm — consumes the token. The token is the request's own secret, so no session (and
 * no session CSRF token) is needed: the link works in any browser. Browsers are redirected to a
 * result page whose URL holds no token.
 */
export function confirmSubmitHandler({ config, verification, respond }: HandlerDeps) {
  return asyncHandler(async (req, res) => {
    const body = req.body as Record<string, unknown> | undefined;
    const result = await verification.confirm(body?.token);
    if (wantsJson(req)) {
      return isSuccess(result.status) ? void res.json({ status: result.status }) : respond.fail(req, res, result.status);
    }
    return res.redirect(303, routerPath(config, `/result?status=${RESULT_SLUGS[result.status]}`));
  });
}
