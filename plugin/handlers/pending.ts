import { safeReturnTo } from '../../src/http/return-to.ts';
import { asyncHandler } from '../async-handler.ts';
import { csrfToken } from '../csrf.ts';
import { wantsJson } from '../negotiate.ts';
import { setPrivateHeaders } from '../respond.ts';
import { requireSessionBag } from '../session-bag.ts';
import { continueUrl, routerPath, type HandlerDeps } from './deps.ts';

/** GET /pending — "check your inbox", with a resend button. */
export function pendingHandler({ config, verification, respond }: HandlerDeps) {
  return asyncHandler(async (req, res) => {
    const user = config.getUser(req);
    if (!user) return respond.signIn(req, res, routerPath(config, '/pending'));
    const bag = requireSessionBag(req);
    const returnTo = safeReturnTo(req.query.returnTo);
    if (returnTo) bag.returnTo = returnTo;

    if (await verification.isVerified(user.id, user.email)) {
      if (wantsJson(req)) return void res.json({ status: 'VERIFIED' });
      setPrivateHeaders(res);
      return res.redirect(303, continueUrl(req, config));
    }
    const token = csrfToken(req);
    if (wantsJson(req)) {
      setPrivateHeaders(res);
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
