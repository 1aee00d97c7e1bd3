import type { Request, Response } from 'express';
import { describeError } from '../../src/logging/redact.ts';
import { wantsJson } from '../negotiate.ts';
import { routerPath } from '../router-path.ts';
import { requireSessionBag, takeFlash } from '../session-bag.ts';
import { bodyOf, type HandlerDeps } from './deps.ts';
import type { LocaleUser } from '../i18n.ts';

/** The page for someone who is not signed in and lost their link: one field, the address. */
export async function renderResendPage(req: Request, res: Response, deps: HandlerDeps, status = 200): Promise<void> {
  const { config, respond, csrf } = deps;
  const token = csrf.formToken(req, res);
  const action = routerPath(config, '/resend');
  if (wantsJson(req)) return void res.status(status).json({ status: 'SIGNED_OUT', csrfToken: token.value, resend: { method: 'POST', action } });
  return respond.page(res, 'verify-resend', { titleKey: 'resend.title', csrf: token, action, flash: takeFlash(req), challenge: await deps.challenge.widget(req) }, status);
}

/**
 * POST /resend without a signed-in user. The answer is the same, and comes as fast, whether the
 * address is unknown, unverified or already verified: the limits (per IP and per address as typed)
 * are the only thing awaited; the lookup and the send happen after the answer has gone.
 */
export async function anonymousResend(req: Request, res: Response, deps: HandlerDeps): Promise<void> {
  const { config, respond, csrf, anonymous } = deps;
  if (!csrf.accepts(req)) return respond.fail(req, res, 'CSRF_INVALID');
  if (!(await deps.challenge.passes(req))) return respond.fail(req, res, 'CHALLENGE_FAILED');
  const email = bodyOf(req).email;
  const refused = await anonymous.admit(email, { ip: req.ip });
  if (refused) return respond.fail(req, res, 'RATE_LIMITED', { retryAfterSeconds: refused.retryAfterSeconds });

  if (wantsJson(req)) res.status(202).json({ status: 'ACCEPTED' });
  else {
    requireSessionBag(req).flash = 'anonymous-sent';
    res.redirect(303, routerPath(config, '/resend'));
  }
  setImmediate(() => {
    // The account is found only now: the host's hook may know its language; else the visitor's Accept-Language.
    const locale = (found: LocaleUser) => deps.i18n.localeOf(req, found);
    anonymous.send(email, { locale }).catch((error: unknown) => config.logger.warn('anonymous resend failed', { error: describeError(error) }));
  });
}
