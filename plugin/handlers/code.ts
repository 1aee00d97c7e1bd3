import { describeError } from '../../src/logging/redact.ts';
import { asyncHandler } from '../async-handler.ts';
import { wantsJson } from '../negotiate.ts';
import { ERRORS, errorWords, type ErrorCode } from '../outcomes.ts';
import { routerPath } from '../router-path.ts';
import { bodyOf, signedInUser, withinIpLimit, type HandlerDeps } from './deps.ts';
import { renderPending } from './pending.ts';
import { afterAddressProven } from './session-effects.ts';

const REFUSALS: Record<string, ErrorCode> = {
  CODE_MALFORMED: 'CODE_MALFORMED', CODE_INVALID: 'CODE_INVALID', CODE_LOCKED: 'CODE_LOCKED',
  NO_OPEN_TOKEN: 'CODE_EXPIRED', CHANGE_STALE: 'CHANGE_STALE', INVALID_USER: 'INVALID_USER',
};

/**
 * POST /code — the code from the mail, for people whose mail scanner or webmail breaks links or
 * who read mail on another device. Session-bound (the code is short, so it only counts for the
 * signed-in user, with few attempts), so CSRF-protected. `for=change` applies a pending address.
 */
export function codeHandler(deps: HandlerDeps) {
  const { config, verification, addresses, respond, csrf } = deps;
  return asyncHandler(async (req, res) => {
    const user = await signedInUser(req, res, deps, routerPath(config, '/pending'));
    if (!user) return;
    if (!csrf.accepts(req)) return respond.fail(req, res, 'CSRF_INVALID');
    if (!(await withinIpLimit(req, res, deps, ['codeAttemptsPerIp']))) return;
    const body = bodyOf(req);
    const me = { id: user.id, email: user.email };
    const who = { ip: req.ip };
    const result = body.for === 'change' ? await addresses.confirmCode(me, body.code, who) : await verification.confirmCode(me, body.code, who);

    if (result.status === 'VERIFIED' || result.status === 'CHANGED') {
      await afterAddressProven(req, deps, result.userId).catch((error: unknown) =>
        config.logger.error('could not end or rotate sessions after a confirmed code', { error: describeError(error) }));
      if (wantsJson(req)) return void res.json({ status: result.status });
      return res.redirect(303, routerPath(config, deps.results.path(result.status)));
    }
    const code = REFUSALS[result.status] ?? 'CODE_INVALID';
    const attemptsLeft = result.status === 'CODE_INVALID' ? result.attemptsLeft : undefined;
    const message = attemptsLeft !== undefined
      ? respond.text(req, 'error.CODE_INVALID.attemptsLeft', { attemptsLeft })
      : respond.text(req, errorWords(code).message);
    if (wantsJson(req) || code === 'INVALID_USER') return respond.fail(req, res, code, { message, details: attemptsLeft !== undefined ? { attemptsLeft } : {} });
    return renderPending(req, res, deps, user, { code, message, status: ERRORS[code].http });
  });
}
