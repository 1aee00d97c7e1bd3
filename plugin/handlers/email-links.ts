import { asyncHandler } from '../async-handler.ts';
import type { HandlerDeps } from './deps.ts';
import { renderTokenPage } from './token-page.ts';
import { afterAddressProven, afterChangeUndone } from './session-effects.ts';
import { tokenSubmitHandler } from './token-submit.ts';

/** GET /email/confirm?token=… — the button that applies a new address. */
export function emailConfirmPageHandler(deps: HandlerDeps) {
  return asyncHandler((req, res) => renderTokenPage(req, res, deps,
    { view: 'email-confirm', titleKey: 'changeConfirm.title', action: '/email/confirm' }));
}

/** GET /email/undo?token=… — the button that restores the previous address. */
export function emailUndoPageHandler(deps: HandlerDeps) {
  return asyncHandler((req, res) => renderTokenPage(req, res, deps,
    { view: 'email-undo', titleKey: 'undo.title', action: '/email/undo' }));
}

/** POST /email/confirm — consumes the link and switches the address through the host's `users.setEmail`. */
export function emailConfirmSubmitHandler(deps: HandlerDeps) {
  return tokenSubmitHandler(deps, (token, context) => deps.addresses.confirm(token, context),
    (req, result) => (result.status === 'CHANGED' ? afterAddressProven(req, deps, result.userId) : Promise.resolve()));
}

/** POST /email/undo — restores the previous address and cancels every open link of the account. */
export function emailUndoSubmitHandler(deps: HandlerDeps) {
  return tokenSubmitHandler(deps, (token, context) => deps.addresses.undo(token, context),
    (req, result) => (result.status === 'REVERTED' ? afterChangeUndone(req, deps, result.userId) : Promise.resolve()));
}
