import { asyncHandler } from '../async-handler.ts';
import { isValidCsrf } from '../csrf.ts';
import { wantsJson } from '../negotiate.ts';
import { routerPath } from '../router-path.ts';
import { continueUrl, type HandlerDeps } from './deps.ts';

/** POST /resend — session-bound, so CSRF-protected. Supersedes every older link of the user. */
export function resendHandler({ config, verification, respond }: HandlerDeps) {
  return asyncHandler(async (req, res) => {
    const user = config.getUser(req);
    if (!user) return respond.signIn(req, res, routerPath(config, '/pending'));
    if (!isValidCsrf(req)) return respond.fail(req, res, 'CSRF_INVALID');

    const result = await verification.issue(user);
    switch (result.status) {
      case 'SENT':
        if (wantsJson(req)) return void res.status(202).json({ status: 'SENT', expiresAt: result.expiresAt.toISOString() });
        return res.redirect(303, routerPath(config, '/pending?sent=1'));
      case 'ALREADY_VERIFIED':
        if (wantsJson(req)) return void res.json({ status: 'ALREADY_VERIFIED' });
        return res.redirect(303, continueUrl(req, config));
      case 'INVALID_EMAIL':
        return respond.fail(req, res, 'INVALID_EMAIL', { message: result.message });
    }
  });
}
