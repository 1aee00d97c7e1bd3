import type { Request, Response } from 'express';
import { safeReturnTo } from '../../src/http/return-to.ts';
import { asyncHandler } from '../async-handler.ts';
import { wantsJson } from '../negotiate.ts';
import { requireSessionBag, takeFlash } from '../session-bag.ts';
import { isVerifiedForRequest } from '../verified-session.ts';
import { routerPath } from '../router-path.ts';
import type { RequestUser } from '../web-options.ts';
import { continueUrl, signedInUser, type HandlerDeps } from './deps.ts';
import { renderResendPage } from './anonymous-resend.ts';

/**
 * The "check your inbox" page for a user known to be unverified: which address a link went to (or
 * that none is open, so the page never claims a mail that was not queued), a pending new address,
 * a form for the code from the mail, and a resend button. `problem` is a refused code.
 */
export async function renderPending(req: Request, res: Response, deps: HandlerDeps, user: RequestUser,
  problem?: { code: string; message: string; status: number }, status = problem?.status ?? 200): Promise<void> {
  const { config, verification, addresses, respond, csrf } = deps;
  const [change, linkExpiry, verified, suppressed] = await Promise.all([
    addresses.pending(user), verification.openLinkExpiry(user), verification.isVerified({ id: user.id, email: user.email }),
    verification.isAddressSuppressed(user.email)]);
  if (user.email === null && !change) {
    if (wantsJson(req)) return respond.fail(req, res, 'EMAIL_REQUIRED', { details: { addEmailUrl: routerPath(config, '/email') } });
    return res.redirect(303, routerPath(config, '/email'));
  }
  const token = csrf.formToken(req, res);
  if (wantsJson(req)) {
    return void res.json({
      status: verified ? 'CHANGE_PENDING' : 'PENDING', email: user.email, verified, linkSent: linkExpiry !== null,
      pendingEmail: change?.email ?? null, csrfToken: token.value,
      // Mail to the address bounced or drew a complaint: nothing more is sent to it; a new address is the way on.
      suppressed: suppressed && !verified,
    });
  }
  return respond.page(res, 'verify-pending', {
    titleKey: change ? 'pending.changeTitle' : 'pending.title',
    email: user.email,
    verified,
    linkSent: linkExpiry !== null,
    pendingEmail: change?.email ?? null,
    suppressed: suppressed && !verified,
    flash: takeFlash(req),
    csrf: token,
    action: routerPath(config, '/resend'),
    codeAction: routerPath(config, '/code'),
    codeFor: change ? 'change' : 'verify',
    problem: problem ?? null,
    changeUrl: config.users?.setEmail ? routerPath(config, '/email') : null,
  }, status);
}

/** GET /pending — "check your inbox"; a verified user is sent on to where they were going. */
export function pendingHandler(deps: HandlerDeps) {
  const { config, web, verification } = deps;
  return asyncHandler(async (req, res) => {
    // Not signed in: the "lost your link?" form, where the host can look addresses up.
    if (deps.web.getUser(req) === null && deps.anonymous.enabled()) return renderResendPage(req, res, deps);
    const user = await signedInUser(req, res, deps, routerPath(config, '/pending'));
    if (!user) return;
    const returnTo = safeReturnTo(req.query.returnTo);
    if (returnTo) requireSessionBag(req).returnTo = returnTo;

    // A verified user is sent on, unless a new address is waiting for its link ("check your new inbox").
    if (await isVerifiedForRequest(req, user, verification) && !(await deps.addresses.pending(user))) {
      if (wantsJson(req)) return void res.json({ status: 'VERIFIED' });
      return res.redirect(303, continueUrl(req, web));
    }
    return renderPending(req, res, deps, user);
  });
}
