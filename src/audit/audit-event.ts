/**
 * What the audit log records. Every event name is stable (hosts alert and filter on them) and
 * appears as `verigate.<name>` in the `event` field of the log line and of the table row.
 */
export const AUDIT_EVENTS = [
  'verification.sent', 'verification.confirmed', 'verification.failed', 'verification.limited',
  'email.changed', 'email.reverted', 'service.call',
  'email.bounced', 'email.complained', 'email.suppression_lifted',
] as const;

export type AuditEventName = (typeof AUDIT_EVENTS)[number];

/** Scalar details only: nothing nested, so a log pipeline can index every field. */
export type AuditDetail = Readonly<Record<string, string | number | boolean | null>>;

/** Who caused an event, as far as the caller knows; passed down from the HTTP layer or the service API. */
export interface AuditContext {
  /** Client IP (stored only as a keyed hash). */
  ip?: string;
  /** The service API key that made the call. */
  keyId?: string;
}

/**
 * One event as the code reports it. `email` is the address in clear: the trail masks it before
 * it reaches any sink. Never put a token, a code or a link in any field.
 */
export interface AuditEntry extends AuditContext {
  event: AuditEventName;
  /** The stored form of the user id (see `normaliseUserId`), when known. */
  userKey?: string | null;
  email?: string | null;
  /** Short machine word: `sent`, `verified`, `failed`, `limited`, `changed`, `reverted`, `ok`, `refused`… */
  outcome: string;
  /** Why, as a stable code (`TOKEN_EXPIRED`, `sendsPerUser`, `UNAUTHENTICATED`…). */
  reason?: string | null;
  detail?: AuditDetail;
}

/** A row of `vg.auditLog(userId)`, newest first. */
export interface AuditRecord {
  id: string;
  /** `verigate.verification.sent` and so on. */
  event: `verigate.${AuditEventName}`;
  userId: string | null;
  /** Masked: `j***@example.com`. */
  email: string | null;
  outcome: string;
  reason: string | null;
  /** HMAC of the client IP: equal for equal IPs, and nothing more. */
  ipHash: string | null;
  keyId: string | null;
  detail: AuditDetail;
  at: Date;
}

/** `vg.auditLog(userId, query)`. */
export interface AuditQuery {
  /** Rows to return, newest first. Default `50`, at most `500`. */
  limit?: number;
  /** Only rows older than this (exclusive), to page back in time. Default: now. */
  before?: Date;
}
