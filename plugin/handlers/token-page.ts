import type { Request, Response } from 'express';
import type { MessageKey } from '../../src/i18n/messages-en.ts';
import { isWellFormedToken } from '../../src/tokens/token.ts';
import { wantsJson } from '../negotiate.ts';
import { routerPath } from '../router-path.ts';
import type { HandlerDeps } from './deps.ts';

/**
 * GET of an emailed link — only shows a button. Mail scanners and link previews fetch links; a GET
 * that consumed the token would act on their behalf or burn the link. A malformed token goes
 * straight to the result page.
 */
export async function renderTokenPage(req: Request, res: Response, deps: HandlerDeps,
  page: { view: string; titleKey: MessageKey; action: string }): Promise<void> {
  const { config, respond, csrf } = deps;
  const token = req.query.token;
  if (!isWellFormedToken(token)) {
    if (wantsJson(req)) return respond.fail(req, res, 'TOKEN_INVALID');
    return res.redirect(303, routerPath(config, deps.results.path('TOKEN_INVALID')));
  }
  const action = routerPath(config, page.action);
  if (wantsJson(req)) return void res.json({ status: 'CONFIRMATION_REQUIRED', method: 'POST', action });
  return respond.page(res, page.view, { titleKey: page.titleKey, token, action, csrf: csrf.hostFormToken(req, res) });
}
