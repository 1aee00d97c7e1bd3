import type { UserIdType } from '../users/user-id.ts';

/** Bumped only for a change a receiver must handle (a field removed or its meaning changed); new fields do not bump it. */
export const EVENT_SCHEMA_VERSION = 1;

/** What verigate tells other services, each written to the outbox by the statement that makes the change. */
export const EVENT_TYPES = ['email.verification_sent', 'email.verified', 'email.change_requested', 'email.changed', 'email.change_reverted',
  'email.bounced', 'email.complained'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** Where events go: a Redis Stream and/or a signed webhook. Also the outbox `channel` of their rows (mail rows are `'mail'`). */
export type EventSink = 'redis' | 'webhook';

/** Who the event is about: the id in its stored form (always a string) and the type the host gave it in. */
interface EventUser {
  /** `'42'` for a host's numeric id 42: a JSON number could not carry every bigint. Restore it with `userIdType`. */
  userId: string;
  userIdType: UserIdType;
}

/** The `data` of each event type. Addresses are canonical (NFC local part, lower-case punycode domain); no token, code or link ever. */
export interface EventData {
  /** A link was queued to `email`; it expires at `expiresAt` (ISO 8601, UTC). */
  'email.verification_sent': EventUser & { email: string; expiresAt: string };
  /** The user proved they own `email` (their current address). */
  'email.verified': EventUser & { email: string };
  /** A link was queued to `newEmail`; the account keeps `previousEmail` (null: it had none) until it is opened. */
  'email.change_requested': EventUser & { previousEmail: string | null; newEmail: string; expiresAt: string };
  /** `email` is proven and now the account's address (the host's `setEmail` accepted it). */
  'email.changed': EventUser & { previousEmail: string | null; email: string };
  /** The owner of the previous address used the undo link: `email` is the account's (verified) address again, `revertedEmail` is gone. */
  'email.change_reverted': EventUser & { email: string; revertedEmail: string };
  /**
   * Mail to `email` bounced for good (`kind: 'hard'`, or `'soft'` once soft bounces reached the
   * threshold): verigate sends nothing more to it and withdrew its verification from `userIds`
   * (stored forms; empty when nobody had it verified). About an address, not one user.
   */
  'email.bounced': { email: string; kind: 'hard' | 'soft'; reason: string | null; userIds: string[] };
  /** The recipient of `email` reported a mail as spam: suppressed and withdrawn as for a bounce. */
  'email.complained': { email: string; reason: string | null; userIds: string[] };
}

/** One event, as the JSON body of a webhook and the `payload` field of a stream entry. */
export type VerigateEvent = {
  [T in EventType]: {
    /** Unique per event (a UUID); a redelivery carries the same id, so receivers dedupe on it. */
    id: string;
    type: T;
    version: typeof EVENT_SCHEMA_VERSION;
    /** When the change committed, by the database's clock (ISO 8601, UTC, milliseconds). */
    occurredAt: string;
    data: EventData[T];
  };
}[EventType];
