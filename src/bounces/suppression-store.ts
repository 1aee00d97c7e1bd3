import type { SqlContext } from '../db/sql-context.ts';
import type { BounceKind } from './bounce-results.ts';

/** Where an address stands after a report. */
export interface RecordedReport {
  suppressed: boolean;
  /** This report suppressed it (it was not before). */
  newly: boolean;
  /** Soft bounces within the window, this one included. */
  softBounces: number;
}

// The soft bounces still inside the window, this one added; never longer than the threshold.
const RECENT_SOFT = `array(select t from unnest(s.soft_recent || now()) as t
  where t > now() - $4::bigint * interval '1 millisecond' order by t desc limit $3::int)`;
const SUPPRESSES = (recent: string) => `$2::text <> 'soft' or cardinality(${recent}) >= $3::int`;

/**
 * One statement, so concurrent reports for one address neither lose a count nor both insert: a
 * hard bounce or a complaint suppresses at once, a soft one when the window holds `threshold` of
 * them. A suppression is never undone by a later report (only by `liftSuppression`).
 */
const RECORD = `insert into verigate_suppressed as s (email, last_kind, reports, soft_recent, suppressed_at, suppressed_kind, first_seen_at, last_seen_at, last_reason)
  values ($1::text, $2::text, 1, case when $2::text = 'soft' then array[now()] else '{}'::timestamptz[] end,
          case when $2::text <> 'soft' or $3::int <= 1 then now() end, case when $2::text <> 'soft' or $3::int <= 1 then $2::text end, now(), now(), $5::text)
  on conflict (email) do update set
    reports = s.reports + 1, last_kind = excluded.last_kind, last_seen_at = now(), last_reason = coalesce(excluded.last_reason, s.last_reason),
    soft_recent = case when $2::text = 'soft' then ${RECENT_SOFT} else s.soft_recent end,
    suppressed_at = coalesce(s.suppressed_at, case when ${SUPPRESSES(RECENT_SOFT)} then now() end),
    suppressed_kind = coalesce(s.suppressed_kind, case when ${SUPPRESSES(RECENT_SOFT)} then $2::text end)
  returning suppressed_at is not null as suppressed, suppressed_at = now() as newly, cardinality(soft_recent) as soft_bounces`;

export async function recordReport(ctx: SqlContext, report: { email: string; kind: BounceKind; reason: string | null; threshold: number; windowMs: number }): Promise<RecordedReport> {
  const [row] = await ctx.query<{ suppressed: boolean; newly: boolean; soft_bounces: number }>(RECORD,
    [report.email, report.kind, report.threshold, Math.round(report.windowMs), report.reason]);
  return { suppressed: row.suppressed, newly: row.newly === true, softBounces: Number(row.soft_bounces) };
}

/** Whether no mail may go to this canonical address. */
export async function isSuppressed(ctx: SqlContext, email: string): Promise<boolean> {
  const rows = await ctx.query('select 1 from verigate_suppressed where email = $1 and suppressed_at is not null', [email]);
  return rows.length > 0;
}

/** Which of these canonical addresses are suppressed (one round trip for a batch). */
export async function suppressedAmong(ctx: SqlContext, emails: readonly string[]): Promise<Set<string>> {
  if (emails.length === 0) return new Set();
  const rows = await ctx.query<{ email: string }>('select email from verigate_suppressed where email = any($1::text[]) and suppressed_at is not null', [[...new Set(emails)]]);
  return new Set(rows.map((row) => row.email));
}

/** Forgets an address's reports (its owner fixed the mailbox); true when it was suppressed. */
export async function liftSuppression(ctx: SqlContext, email: string): Promise<boolean> {
  const rows = await ctx.query<{ suppressed: boolean }>('delete from verigate_suppressed where email = $1 returning suppressed_at is not null as suppressed', [email]);
  return rows[0]?.suppressed === true;
}
