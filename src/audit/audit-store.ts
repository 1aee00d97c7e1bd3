import type { SqlContext } from '../db/sql-context.ts';
import type { AuditDetail, AuditEventName, AuditRecord } from './audit-event.ts';

/** A row ready to store: already masked and hashed. */
export interface AuditRow {
  id: string;
  event: `verigate.${AuditEventName}`;
  userId: string | null;
  email: string | null;
  outcome: string;
  reason: string | null;
  ipHash: string | null;
  keyId: string | null;
  detail: AuditDetail;
}

// Milliseconds, so a row's `at` handed back as `before` pages exactly (JavaScript dates hold no microseconds).
const INSERT = `insert into verigate_audit (id, event, user_id, email, outcome, reason, ip_hash, key_id, detail, created_at)
  values ($1::uuid, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, date_trunc('milliseconds', clock_timestamp()))`;

export async function insertAuditRow(ctx: SqlContext, row: AuditRow): Promise<void> {
  await ctx.query(INSERT, [row.id, row.event, row.userId, row.email, row.outcome, row.reason, row.ipHash, row.keyId, JSON.stringify(row.detail)]);
}

const BY_USER = `select id, event, user_id, email, outcome, reason, ip_hash, key_id, detail, created_at from verigate_audit
  where user_id = $1 and created_at < coalesce($2::timestamptz, 'infinity'::timestamptz)
  order by created_at desc, id desc limit $3`;

interface StoredRow {
  id: string;
  event: AuditRecord['event'];
  user_id: string | null;
  email: string | null;
  outcome: string;
  reason: string | null;
  ip_hash: string | null;
  key_id: string | null;
  detail: AuditDetail | string | null;
  created_at: string | Date;
}

/** A user's rows, newest first, older than `before` when given. */
export async function auditRowsOf(ctx: SqlContext, userKey: string, before: Date | null, limit: number): Promise<AuditRecord[]> {
  const rows = await ctx.query<StoredRow>(BY_USER, [userKey, before ? before.toISOString() : null, limit]);
  return rows.map((row) => ({
    id: row.id,
    event: row.event,
    userId: row.user_id,
    email: row.email,
    outcome: row.outcome,
    reason: row.reason,
    ipHash: row.ip_hash,
    keyId: row.key_id,
    // Drivers differ: node-postgres parses jsonb, some hand back the text.
    detail: Object.freeze(typeof row.detail === 'string' ? JSON.parse(row.detail) : row.detail ?? {}),
    at: new Date(row.created_at),
  }));
}

/** For the purge job: rows older than the audit retention, in batches. */
export const PURGE_AUDIT = `with gone as (delete from verigate_audit where id in (
  select id from verigate_audit where created_at < now() - $1::bigint * interval '1 millisecond' limit $2) returning 1)
  select count(*)::int as n from gone`;
