import { safeReturnTo } from '../../src/http/return-to.ts';
import { asyncHandler } from '../async-handler.ts';
import { wantsJson } from '../negotiate.ts';
import { requireSessionBag, takeFlash } from '../session-bag.ts';
import { isVerifiedForRequest } from '../verified-session.ts';
import { routerPath } from '../router-path.ts';
import { continueUrl, signedInUser, type HandlerDeps } from './deps.ts';

/**
 * GET /pending — "check your inbox": which address a link went to (or that none is open, so the
 * page never claims a mail that was not queued), a pending new address, and a resend button.
 */
export function pendingHandler(deps: HandlerDeps) {
  const { config, web, verification, addresses, respond, csrf } = deps;
  return asyncHandler(async (req, res) => {
    const user = await signedInUser(req, res, deps, routerPath(config, '/pending'));
    if (!user) return;
    const bag = requireSessionBag(req);
    const returnTo = safeReturnTo(req.query.returnTo);
    if (returnTo) bag.returnTo = returnTo;

    if (await isVerifiedForRequest(req, user, verification)) {
      if (wantsJson(req)) return void res.json({ status: 'VERIFIED' });
      return res.redirect(303, continueUrl(req, web));
    }
    const [change, linkExpiry] = await Promise.all([addresses.pending(user), verification.openLinkExpiry(user)]);
    if (user.email === null && !change) {
      if (wantsJson(req)) return respond.fail(req, res, 'EMAIL_REQUIRED', { details: { addEmailUrl: routerPath(config, '/email') } });
      return res.redirect(303, routerPath(config, '/email'));
    }
    const token = csrf.formToken(req, res);
    if (wantsJson(req)) {
      return void res.json({
        status: 'PENDING', email: user.email, linkSent: linkExpiry !== null, pendingEmail: change?.email ?? null, csrfToken: token.value,
      });
    }
    return respond.page(res, 'verify-pending', {
      title: 'Check your inbox',
      email: user.email,
      linkSent: linkExpiry !== null,
      pendingEmail: change?.email ?? null,
      flash: takeFlash(req),
      csrf: token,
      action: routerPath(config, '/resend'),
      changeUrl: config.users ? routerPath(config, '/email') : null,
    });
  });
}
