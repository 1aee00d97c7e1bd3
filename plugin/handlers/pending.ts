import { safeReturnTo } from '../../src/http/return-to.ts';
import { asyncHandler } from '../async-handler.ts';
import { csrfToken } from '../csrf.ts';
import { wantsJson } from '../negotiate.ts';
import { requireSessionBag } from '../session-bag.ts';
import { isVerifiedForRequest } from '../verified-session.ts';
import { routerPath } from '../router-path.ts';
import { continueUrl, type HandlerDeps } from './deps.ts';

/** GET /pending — "check your inbox", with a resend button. */
export function pendingHandler({ config, verification, respond }: HandlerDeps) {
  return asyncHandler(async (req, res) => {
    const user = config.getUser(req);
    if (!user) return respond.signIn(req, res, routerPath(config, '/pending'));
    const bag = requireSessionBag(req);
    const returnTo = safeReturnTo(req.query.returnTo);
    if (returnTo) bag.returnTo = returnTo;

    if (await isVerifiedForRequest(req, user, verification)) {
      if (wantsJson(req)) return void res.json({ status: 'VERIFIED' });
      return res.redirect(303, continueUrl(req, config));
    }
    const token = csrfToken(req);
    if (wantsJson(req)) {
      return void res.json({ status: 'PENDING', email: user.email, csrfToken: token });
    }
    return respond.page(res, 'verify-pending', {
      title: 'Check your inbox',
      email: user.email,
      csrfToken: token,
      sent: req.query.sent === '1',
      action: routerPath(config, '/resend'),
    });
  });
}
