/**
 * Expected outcomes are values, not exceptions. Status names double as the JSON error codes, so
 * the HTTP layer maps each one in exactly one place.
 */
export type IssueResult =
  | { status: 'SENT'; expiresAt: Date }
  | { status: 'ALREADY_VERIFIED' }
  | { status: 'INVALID_EMAIL'; message: string };

export type ConfirmResult =
  | { status: 'VERIFIED'; userId: string; email: string }
  | { status: 'ALREADY_VERIFIED' }
  | { status: 'TOKEN_INVALID' }
  | { status: 'TOKEN_EXPIRED' }
  | { status: 'TOKEN_USED' }
  | { status: 'TOKEN_SUPERSEDED' };

export type ConfirmStatus = ConfirmResult['status'];
