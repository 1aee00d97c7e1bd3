import type { AddressChangeService } from '../addresses/address-change-service.ts';
import type { ResolvedConfig } from '../config/resolved-config.ts';
import type { DbAccess } from '../db/db-access.ts';
import type { AddressProblem } from '../email/address-policy.ts';
import { parseEmailAddress } from '../email/email-address.ts';
import { normaliseUserId, type UserId } from '../users/user-id.ts';
import type { VerificationService } from '../verification/verification-service.ts';
import { verifiedAtOf } from '../verification/verified-email-store.ts';
import type { AuditContext } from '../audit/audit-event.ts';

/** `GET /users/:id/verification`. */
export interface VerificationState {
  /** The stored form of the id (always a string, whatever type the host uses). */
  userId: string;
  /** The user's current address (from `users.findById`, else the `email` the caller gave), or null. */
  email: string | null;
  verified: boolean;
  verifiedAt: Date | null;
  /** A new address waiting for its link, or null. */
  pendingChange: { email: string; expiresAt: Date } | null;
}

/** Refusals shared by both routes: the id or the address the caller gave cannot be used. */
type LookupFailure =
  | { status: 'INVALID_USER_ID' }
  /** No `users.findById`, so the caller must say which address: `?email=` or `{ email }`. */
  | { status: 'EMAIL_PARAM_REQUIRED' }
  | { status: 'INVALID_EMAIL'; problem?: AddressProblem }
  | { status: 'USER_NOT_FOUND' }
  /** The caller's address is not the user's current one (per `users.findById`). */
  | { status: 'EMAIL_MISMATCH' };

export type StateResult = { status: 'OK'; state: VerificationState } | LookupFailure;

export type ServiceSendResult =
  | { status: 'SENT'; userId: string; expiresAt: Date }
  | { status: 'ALREADY_VERIFIED' }
  /** The user has no address on file and none can be given for them. */
  | { status: 'NO_EMAIL' }
  /** Mail to the user's address bounced for good or drew a complaint: nothing is sent to it. */
  | { status: 'ADDRESS_SUPPRESSED' }
  | { status: 'RATE_LIMITED'; retryAfterSeconds: number }
  | LookupFailure;

interface Lookup { id: UserId; key: string; email: string | null }

/**
 * What the service API does, framework-free. A user's address comes from the host's
 * `users.findById` when there is one (then mail only ever goes to that address, and an `email`
 * from the caller must match it); otherwise the calling service, trusted by its key, names it.
 */
export function createServiceApi(deps: { config: ResolvedConfig; db: DbAccess; verification: VerificationService; addresses: AddressChangeService }) {
  const { config, db, verification, addresses } = deps;
  const findById = config.users?.findById;

  async function lookup(rawId: string, given: unknown): Promise<Lookup | LookupFailure> {
    const id = normaliseUserId(rawId);
    if (!id.ok) return { status: 'INVALID_USER_ID' };
    if (given !== undefined && (typeof given !== 'string' || given.trim() === '')) return { status: 'INVALID_EMAIL' };
    if (!findById) {
      if (given === undefined) return { status: 'EMAIL_PARAM_REQUIRED' };
      return { id: rawId, key: id.key, email: given.trim() };
    }
    const user = await findById(rawId);
    if (!user) return { status: 'USER_NOT_FOUND' };
    const stored = typeof user.email === 'string' && user.email.trim() !== '' ? user.email.trim() : null;
    if (given !== undefined) {
      const a = parseEmailAddress(given);
      const b = stored === null ? null : parseEmailAddress(stored);
      if (!a.ok) return { status: 'INVALID_EMAIL', problem: a.problem };
      if (!b?.ok || a.canonical !== b.canonical) return { status: 'EMAIL_MISMATCH' };
    }
    // The id as the host gives it (42, not '42'), so hooks see the host's own type.
    const own = normaliseUserId(user.id);
    return { id: own.ok && own.key === id.key ? user.id : rawId, key: id.key, email: stored };
  }

  async function state(rawId: string, given: unknown): Promise<StateResult> {
    const user = await lookup(rawId, given);
    if ('status' in user) return user;
    const parsed = user.email === null ? null : parseEmailAddress(user.email);
    if (parsed && !parsed.ok) return { status: 'INVALID_EMAIL', problem: parsed.problem };
    const verifiedAt = parsed ? await db.run((ctx) => verifiedAtOf(ctx, user.key, parsed.canonical)) : null;
    const pendingChange = await addresses.pending({ id: user.key, email: user.email });
    return { status: 'OK', state: { userId: user.key, email: user.email, verified: verifiedAt !== null, verifiedAt, pendingChange } };
  }

  /** Sends a verification on a user's behalf: the same per-user and per-recipient limits as every send (the caller's IP is a service's, not a person's, so no per-IP rule). */
  async function send(rawId: string, given: unknown, context: AuditContext): Promise<ServiceSendResult> {
    const user = await lookup(rawId, given);
    if ('status' in user) return user;
    if (user.email === null) return { status: 'NO_EMAIL' };
    const parsed = parseEmailAddress(user.email);
    // Nothing to send, and no allowance spent on it.
    if (parsed.ok && (await verification.isPairVerified(user.key, parsed.canonical))) return { status: 'ALREADY_VERIFIED' };
    const result = await verification.issue({ id: user.id, email: user.email }, { audit: context });
    switch (result.status) {
      case 'SENT': return { status: 'SENT', userId: user.key, expiresAt: result.expiresAt };
      case 'INVALID_EMAIL': return { status: 'INVALID_EMAIL', problem: result.problem };
      case 'INVALID_USER': return { status: 'INVALID_USER_ID' };
      default: return result;
    }
  }

  return { state, send, usesHostUsers: findById !== undefined };
}

export type ServiceApi = ReturnType<typeof createServiceApi>;
