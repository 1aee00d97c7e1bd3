import { asyncHandler } from '../async-handler.ts';
import type { HandlerDeps } from './deps.ts';
import { renderTokenPage } from './token-page.ts';
import { afterAddressProven } from './session-effects.ts';
import { tokenSubmitHandler } from './token-submit.ts';

/** GET /confirm?token=… — the button that confirms the current address. */
export function confirmPageHandler(deps: HandlerDeps) {
  return asyncHandler((req, res) => renderTokenPage(req, res, deps,
    { view: 'verify-confirm', titleKey: 'confirm.title', action: '/confirm' }));
}

/** POST /confirm — consumes the link that proves the current address. */
export function confirmSubmitHandler(deps: HandlerDeps) {
  const { inStatement } = deps.sessions;
  // With the session index in verigate's table, the consuming statement also takes the user's other
  // sessions out of it: a confirmation is one round trip to PostgreSQL.
  return tokenSubmitHandler(deps,
    (token, context, req) => deps.verification.confirm(token, inStatement ? { ...context, endSessions: { keepHash: inStatement.keepHash(req) } } : context),
    (req, result) => (result.status === 'VERIFIED' ? afterAddressProven(req, deps, result.userId, result.endedSessions) : Promise.resolve()));
}
