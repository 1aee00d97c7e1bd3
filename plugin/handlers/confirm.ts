import { asyncHandler } from '../async-handler.ts';
import { RESULT_SLUGS } from '../outcomes.ts';
import type { HandlerDeps } from './deps.ts';
import { renderTokenPage } from './token-page.ts';
import { afterAddressProven } from './session-effects.ts';
import { tokenSubmitHandler } from './token-submit.ts';

/** GET /confirm?token=… — the button that confirms the current address. */
export function confirmPageHandler(deps: HandlerDeps) {
  return asyncHandler((req, res) => renderTokenPage(req, res, deps,
    { view: 'verify-confirm', titleKey: 'confirm.title', action: '/confirm', invalidSlug: RESULT_SLUGS.TOKEN_INVALID }));
}

/** POST /confirm — consumes the link that proves the current address. */
export function confirmSubmitHandler(deps: HandlerDeps) {
  return tokenSubmitHandler(deps, (token) => deps.verification.confirm(token),
    (req, result) => (result.status === 'VERIFIED' ? afterAddressProven(req, deps, result.userId) : Promise.resolve()));
}
