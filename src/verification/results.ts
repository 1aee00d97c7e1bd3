import type { AddressProblem } from '../email/address-policy.ts';
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
  | { status: 'INVALID_EMAIL'; problem: AddressProblem }
  /** Mail to the address bounced for good or drew a complaint: nothing is sent to it; ask for another address. */
  | { status: 'ADDRESS_SUPPRESSED' }
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

/** Outcomes of typing the code from the mail instead of opening its link. */
export type CodeResult =
  | { status: 'VERIFIED'; userId: UserId; email: string }
  /** Not 8 characters of the code alphabet: no attempt was counted. */
  | { status: 'CODE_MALFORMED' }
  | { status: 'CODE_INVALID'; attemptsLeft: number }
  /** Too many wrong codes for this token: ask for a new mail (its link still works). */
  | { status: 'CODE_LOCKED' }
  /** No open link (and so no code) for this user: none sent, used, expired or superseded. */
  | { status: 'NO_OPEN_TOKEN' }
  | { status: 'INVALID_USER' };
