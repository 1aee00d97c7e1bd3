import type { EmailAddressProblem } from '../email/email-address.ts';
import type { UserId } from '../users/user-id.ts';

/**
 * Expected outcomes are values, not exceptions, and carry no prose: the HTTP layer picks the
 * words. Status names double as the JSON error codes, so each is mapped in exactly one place.
 */
export type IssueResult =
  | { status: 'SENT'; expiresAt: Date }
  | { status: 'ALREADY_VERIFIED' }
  /** The user has no address on file: ask for one (add-email) instead. */
  | { status: 'NO_EMAIL' }
  | { status: 'INVALID_EMAIL'; problem: EmailAddressProblem }
  /** The id is missing or of an unusable type; a host bug, reported as a value so it never becomes a 500. */
  | { status: 'INVALID_USER' }
  | { status: 'RATE_LIMITED'; retryAfterSeconds: number };

export type ConfirmResult =
  | { status: 'VERIFIED'; userId: UserId; email: string }
  | { status: 'ALREADY_VERIFIED' }
  | { status: 'TOKEN_INVALID' }
  | { status: 'TOKEN_EXPIRED' }
  | { status: 'TOKEN_USED' }
  | { status: 'TOKEN_SUPERSEDED' };

export type ConfirmStatus = ConfirmResult['status'];
