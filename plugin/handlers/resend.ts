import { asyncHandler } from '../async-handler.ts';
import { wantsJson } from '../negotiate.ts';
import { addressProblemKey } from '../outcomes.ts';
import { routerPath } from '../router-path.ts';
import { requireSessionBag } from '../session-bag.ts';
import { isVerifiedForRequest } from '../verified-session.ts';
import { continueUrl, signedInUser, type HandlerDeps } from './deps.ts';
import { anonymousResend, renderResendPage } from './anonymous-resend.ts';
import { renderPending } from './pending.ts';

/** POST /resend — session-bound, so CSRF-protected. Supersedes the user's older link. */
export function resendHandler(deps: HandlerDeps) {
  const { config, web, verification, respond, csrf } = deps;
  return asyncHandler(async (req, res) => {
    if (deps.web.getUser(req) === null && deps.anonymous.enabled()) return anonymousResend(req, res, deps);
    const user = await signedInUser(req, res, deps, routerPath(config, '/pending'));
    if (!user) return;
    if (!csrf.accepts(req)) return respond.fail(req, res, 'CSRF_INVALID');

    // Already verified: nothing to send, and no send allowance spent on it.
    const result = (await isVerifiedForRequest(req, user, verification))
      ? { status: 'ALREADY_VERIFIED' as const }
      : await verification.issue({ id: user.id, email: user.email }, { ip: req.ip, locale: deps.i18n.forRequest(req).locale });
    switch (result.status) {
      case 'SENT':
        if (wantsJson(req)) return void res.status(202).json({ status: 'SENT', expiresAt: result.expiresAt.toISOString() });
        requireSessionBag(req).flash = 'sent';
        return res.redirect(303, routerPath(config, '/pending'));
      case 'ALREADY_VERIFIED':
        if (wantsJson(req)) return void res.json({ status: 'ALREADY_VERIFIED' });
        return res.redirect(303, continueUrl(req, web));
      case 'NO_EMAIL':
        return respond.fail(req, res, 'EMAIL_REQUIRED', { details: { addEmailUrl: routerPath(config, '/email') } });
      case 'INVALID_EMAIL':
        return respond.fail(req, res, 'INVALID_EMAIL', { message: respond.text(req, addressProblemKey(result.problem)) });
      case 'ADDRESS_SUPPRESSED':
        // The pending page says so and leads to the change form; JSON clients get where that is.
        if (wantsJson(req)) return respond.fail(req, res, 'ADDRESS_SUPPRESSED', { details: { changeUrl: config.users?.setEmail ? routerPath(config, '/email') : null } });
        return renderPending(req, res, deps, user, undefined, 422);
      case 'RATE_LIMITED':
        return respond.fail(req, res, 'RATE_LIMITED', { retryAfterSeconds: result.retryAfterSeconds });
      case 'INVALID_USER':
        return respond.fail(req, res, 'INVALID_USER');
    }
  });
}

/** GET /resend — "lost your link?": for someone signed in, the pending page; otherwise the address form. */
export function resendPageHandler(deps: HandlerDeps) {
  return asyncHandler(async (req, res) => {
    if (deps.web.getUser(req) === null && deps.anonymous.enabled()) return renderResendPage(req, res, deps);
    return res.redirect(303, routerPath(deps.config, '/pending'));
  });
}
