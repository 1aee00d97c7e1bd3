import type { AddressProblem } from '../email/address-policy.ts';
import type { UserId } from '../users/user-id.ts';

/** Outcomes of asking for a new (or first) address. A taken address answers `SENT` too: the requester learns nothing. */
export type StartChangeResult =
  | { status: 'SENT'; expiresAt: Date }
  | { status: 'INVALID_USER' }
  | { status: 'INVALID_EMAIL'; problem: AddressProblem }
  | { status: 'SAME_ADDRESS' }
  /** Mail to the new address bounced for good or drew a complaint: nothing is sent to it. */
  | { status: 'ADDRESS_SUPPRESSED' }
  /** A change of an existing address needs the current password (or a recent sign-in). */
  | { status: 'REAUTH_REQUIRED' }
  | { status: 'WRONG_PASSWORD' }
  /** The host gave no `users.setEmail` (or, for a change, neither `verifyPassword` nor `recentLogin`). */
  | { status: 'NOT_SUPPORTED' }
  | { status: 'RATE_LIMITED'; retryAfterSeconds: number };

export type TokenFailure = 'TOKEN_INVALID' | 'TOKEN_EXPIRED' | 'TOKEN_USED' | 'TOKEN_SUPERSEDED';

export type ConfirmChangeResult =
  | { status: 'CHANGED'; userId: UserId; previousEmail: string | null; email: string }
  /** The link was for an address that is already this account's verified address. */
  | { status: 'ALREADY_VERIFIED' }
  /** The account's address moved on since the change was requested; the change is refused. */
  | { status: 'CHANGE_STALE' }
  | { status: TokenFailure };

export type UndoChangeResult =
  | { status: 'REVERTED'; userId: UserId; email: string; revertedEmail: string }
  /** The address was changed outside verigate since; nothing was restored. */
  | { status: 'UNDO_STALE' }
  | { status: 'ALREADY_VERIFIED' }
  | { status: TokenFailure };

/** A change waiting for its link, for the pending page. */
export interface PendingChange {
  /** Canonical pending address. */
  email: string;
  expiresAt: Date;
}
