import type { DbAccess } from '../db/db-access.ts';
import { PURGE_AUDIT } from '../audit/audit-store.ts';

export interface PurgeResult {
  tokens: number;
  messages: number;
  sessions: number;
  /** Audit rows older than the audit retention. */
  audit: number;
  /** Records of processed inbound events (a redelivery older than `retention` would be acted on again). */
  inboundEvents: number;
  /** Addresses whose soft bounces all fell out of `bounces.softWindow` without suppressing them. */
  softBounces: number;
}

// Small batches keep each statement short (well inside the statement timeout) and the locks brief,
// even when a backlog of millions of rows is purged for the first time.
const BATCH = 5000;

const PURGE_TOKENS = `with gone as (delete from verigate_token where id in (
  select id from verigate_token where expires_at < now() - $1::bigint * interval '1 millisecond' limit $2) returning 1)
  select count(*)::int as n from gone`;
const PURGE_MESSAGES = `with gone as (delete from verigate_outbox where id in (
  select id from verigate_outbox where status in ('sent', 'dead', 'suppressed') and updated_at < now() - $1::bigint * interval '1 millisecond' limit $2) returning 1)
  select count(*)::int as n from gone`;

const PURGE_SESSIONS = `with gone as (delete from verigate_session where (user_id, sid_hash) in (
  select user_id, sid_hash from verigate_session where created_at < now() - $1::bigint * interval '1 millisecond' limit $2) returning 1)
  select count(*)::int as n from gone`;

const PURGE_INBOUND_EVENTS = `with gone as (delete from verigate_inbound_event where (stream, event_id) in (
  select stream, event_id from verigate_inbound_event where processed_at < now() - $1::bigint * interval '1 millisecond' limit $2) returning 1)
  select count(*)::int as n from gone`;

// Only counts that never suppressed: a suppression stays until it is lifted.
const PURGE_SOFT_BOUNCES = `with gone as (delete from verigate_suppressed where email in (
  select email from verigate_suppressed where suppressed_at is null and last_seen_at < now() - $1::bigint * interval '1 millisecond' limit $2) returning 1)
  select count(*)::int as n from gone`;

async function purgeAll(db: DbAccess, statement: string, ageMs: number): Promise<number> {
  let total = 0;
  for (;;) {
    const [{ n }] = await db.run((ctx) => ctx.query<{ n: number }>(statement, [ageMs, BATCH]));
    total += n;
    if (n < BATCH) return total;
  }
}

/**
 * Keeps tables bounded: deletes tokens that expired more than `retentionMs` ago and outbox rows
 * that were sent, parked dead or skipped as suppressed that long ago (they hold addresses, personal data), by the
 * database's clock. Tokens are kept for a while after expiry so an old link still explains itself.
 * Session-index rows go once older than the longest a session can live, audit rows after the
 * audit retention (`audit.retention`, 90 days by default), soft-bounce counts once their window passed.
 */
export async function purgeExpired(db: DbAccess, retentionMs: number, sessionLifetimeMs = 30 * 86_400_000, auditRetentionMs = 90 * 86_400_000,
  softWindowMs = 7 * 86_400_000): Promise<PurgeResult> {
  const age = Math.round(retentionMs);
  return {
    tokens: await purgeAll(db, PURGE_TOKENS, age),
    messages: await purgeAll(db, PURGE_MESSAGES, age),
    // Index entries of sessions that can no longer be alive in the host's store.
    sessions: await purgeAll(db, PURGE_SESSIONS, Math.round(sessionLifetimeMs)),
    // Even with the table off now: rows written while it was on still age out.
    audit: await purgeAll(db, PURGE_AUDIT, Math.round(auditRetentionMs)),
    inboundEvents: await purgeAll(db, PURGE_INBOUND_EVENTS, age),
    softBounces: await purgeAll(db, PURGE_SOFT_BOUNCES, Math.round(softWindowMs)),
  };
}
