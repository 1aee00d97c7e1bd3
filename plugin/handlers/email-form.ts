import type { Request, Response } from 'express';
import type { StartChangeResult } from '../../src/addresses/change-results.ts';
import { asyncHandler } from '../async-handler.ts';
import { wantsJson } from '../negotiate.ts';
import { addressProblemKey, ERRORS, errorWords, type ErrorCode } from '../outcomes.ts';
import { routerPath } from '../router-path.ts';
import { requireSessionBag } from '../session-bag.ts';
import type { RequestUser } from '../web-options.ts';
import { bodyOf, signedInUser, type HandlerDeps } from './deps.ts';

/** The longest address echoed back into the form, so a huge value is not reflected. */
const ECHO_LIMIT = 320;

async function needsPassword(req: Request, user: RequestUser, deps: HandlerDeps): Promise<boolean> {
  return user.email !== null && !(await deps.web.recentLogin?.(req));
}

async function renderForm(req: Request, res: Response, deps: HandlerDeps, user: RequestUser,
  extra: { error?: string; code?: ErrorCode; typed?: string } = {}, status = 200): Promise<void> {
  const adding = user.email === null;
  return deps.respond.page(res, 'email-form', {
    titleKey: adding ? 'emailForm.addTitle' : 'emailForm.changeTitle',
    adding,
    currentEmail: user.email,
    pendingEmail: (await deps.addresses.pending(user))?.email ?? null,
    askPassword: await needsPassword(req, user, deps),
    csrf: deps.csrf.formToken(req, res),
    action: routerPath(deps.config, '/email'),
    ...extra,
  }, status);
}

/** GET /email — add an address (account without one) or change it. */
export function emailFormHandler(deps: HandlerDeps) {
  return asyncHandler(async (req, res) => {
    if (!deps.config.users?.setEmail) return deps.respond.fail(req, res, 'NOT_FOUND');
    const user = await signedInUser(req, res, deps, routerPath(deps.config, '/email'));
    if (!user) return;
    if (wantsJson(req)) {
      const pending = await deps.addresses.pending(user);
      return void res.json({
        email: user.email, pendingEmail: pending?.email ?? null, passwordRequired: await needsPassword(req, user, deps),
        csrfToken: deps.csrf.formToken(req, res).value,
      });
    }
    return renderForm(req, res, deps, user);
  });
}

const FAILURES: Partial<Record<StartChangeResult['status'], ErrorCode>> = {
  INVALID_EMAIL: 'INVALID_EMAIL', ADDRESS_SUPPRESSED: 'ADDRESS_SUPPRESSED', SAME_ADDRESS: 'SAME_ADDRESS', REAUTH_REQUIRED: 'REAUTH_REQUIRED',
  WRONG_PASSWORD: 'WRONG_PASSWORD', RATE_LIMITED: 'RATE_LIMITED', INVALID_USER: 'INVALID_USER', NOT_SUPPORTED: 'NOT_FOUND',
};

/**
 * POST /email — re-authenticates (for a change), then sends a link to the new address and a
 * notice with an undo link to the current one. A taken address answers exactly like a free one.
 */
export function emailSubmitHandler(deps: HandlerDeps) {
  const { config, addresses, respond, csrf } = deps;
  return asyncHandler(async (req, res) => {
    if (!config.users?.setEmail) return respond.fail(req, res, 'NOT_FOUND');
    const user = await signedInUser(req, res, deps, routerPath(config, '/email'));
    if (!user) return;
    if (!csrf.accepts(req)) return respond.fail(req, res, 'CSRF_INVALID');
    const body = bodyOf(req);
    const result = await addresses.start({ id: user.id, email: user.email }, {
      newEmail: body.email, password: body.password, recentlyAuthenticated: !(await needsPassword(req, user, deps)), ip: req.ip,
      locale: deps.i18n.forRequest(req).locale,
    });
    if (result.status === 'SENT') {
      // No expiry in the answer: it must read the same for a taken address as for a free one.
      if (wantsJson(req)) return void res.status(202).json({ status: 'SENT' });
      requireSessionBag(req).flash = 'change-sent';
      return res.redirect(303, routerPath(config, '/pending'));
    }
    const code = FAILURES[result.status]!;
    const message = respond.text(req, result.status === 'INVALID_EMAIL' ? addressProblemKey(result.problem) : errorWords(code).message);
    const retryAfterSeconds = result.status === 'RATE_LIMITED' ? result.retryAfterSeconds : undefined;
    if (wantsJson(req) || code === 'NOT_FOUND' || code === 'INVALID_USER') return respond.fail(req, res, code, { message, retryAfterSeconds });
    if (retryAfterSeconds !== undefined) res.set('Retry-After', String(retryAfterSeconds));
    const typed = typeof body.email === 'string' ? body.email.slice(0, ECHO_LIMIT) : '';
    return renderForm(req, res, deps, user, { error: message, code, typed }, ERRORS[code].http);
  });
}
