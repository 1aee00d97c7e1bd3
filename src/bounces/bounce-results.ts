/**
 * - `hard`: the address does not exist or refuses mail for good (5xx, "user unknown");
 * - `soft`: a passing failure (mailbox full, greylisted, server down), counted toward `bounces.softThreshold`;
 * - `complaint`: the recipient marked a mail as spam (a feedback loop report).
 */
export const BOUNCE_KINDS = ['hard', 'soft', 'complaint'] as const;
export type BounceKind = (typeof BOUNCE_KINDS)[number];

/** Which address bounced: the address itself (matched by canonical form), or the mail, by its Message-ID (`<outboxId@domain>`), its outbox id or its VERP envelope sender. */
export type BounceTarget = { address: string; messageId?: never } | { messageId: string; address?: never };

export interface BounceReport {
  kind: BounceKind;
  /** What the receiving server or the ESP said (`550 5.1.1 user unknown`); kept (at most 200 characters) for support. Optional. */
  reason?: string;
  /**
   * The report's own id (the ESP's event id), when it has one: a report with an id seen before
   * changes nothing (`DUPLICATE`), so a redelivered webhook does not count a soft bounce twice.
   * Remembered for `retention`. Optional.
   */
  eventId?: string;
}

/** What the report was refused for (a value the sender got wrong, never thrown). */
export type BounceProblem = 'TARGET' | 'ADDRESS' | 'MESSAGE_ID' | 'KIND' | 'REASON' | 'EVENT_ID';

export type BounceResult =
  /**
   * No mail goes to `email` any more: a hard bounce, a complaint, or the soft bounce that reached
   * the threshold (or one more, for an address already suppressed). Every verification of the
   * address was withdrawn (`userIds`: the users whose gate closed, ids in stored form) and its open
   * links closed. `newlySuppressed` is false when it already was.
   */
  | { status: 'SUPPRESSED'; email: string; kind: BounceKind; newlySuppressed: boolean; withdrawn: number; userIds: string[] }
  /** A soft bounce under the threshold: counted (`softBounces` within the window), nothing else changed. */
  | { status: 'COUNTED'; email: string; softBounces: number; threshold: number }
  /** `eventId` was reported before: nothing changed. */
  | { status: 'DUPLICATE' }
  /** No mail with that id is known: never sent by verigate, or purged after `retention`. */
  | { status: 'UNKNOWN_MESSAGE' }
  | { status: 'INVALID_REPORT'; problem: BounceProblem };

export type LiftResult = { status: 'LIFTED'; email: string } | { status: 'NOT_SUPPRESSED' } | { status: 'INVALID_ADDRESS' };

/** One row of `verifiedAddresses()`. */
export interface VerifiedAddress {
  /** The user id in its stored form (always a string: `'42'` for 42). */
  userId: string;
  /** Canonical address (NFC local part, lower-case punycode domain). */
  email: string;
  verifiedAt: Date;
}
