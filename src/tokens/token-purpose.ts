/**
 * What a token may be used for. A token of one purpose never passes for another.
 * - `verify`: proves the user's current address;
 * - `email_change`: proves a *pending* address (a change, or a first address for an account
 *   without one) before it is applied;
 * - `change_revoke`: the undo link sent to the previous address after a change.
 */
export const TOKEN_PURPOSES = ['verify', 'email_change', 'change_revoke'] as const;
export type TokenPurpose = (typeof TOKEN_PURPOSES)[number];

/**
 * At most one open token per user for these purposes (a unique index): a newer one supersedes the
 * older. Undo links are exempt, so a second change cannot void the owner's way back from the first.
 */
export function isExclusivePurpose(purpose: TokenPurpose): boolean {
  return purpose !== 'change_revoke';
}
