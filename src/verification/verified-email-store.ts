import type { SqlContext } from '../db/sql-context.ts';

/** When the (user, canonical address) pair was verified, or null if it is not. */
export async function verifiedAtOf(ctx: SqlContext, userKey: string, canonical: string): Promise<Date | null> {
  const [row] = await ctx.query<{ verified_at: string | Date }>(
    'select verified_at from verigate_verified_email where user_id = $1 and email = $2', [userKey, canonical]);
  return row ? new Date(row.verified_at) : null;
}

/** Withdraws every user's verification of a canonical address; returns the users' ids. */
export async function withdrawAddress(ctx: SqlContext, email: string): Promise<string[]> {
  const rows = await ctx.query<{ user_id: string }>('delete from verigate_verified_email where email = $1 returning user_id', [email]);
  return rows.map((row) => row.user_id);
}

// Keyset pagination on the primary key: each page is an index range scan, however far in.
const VERIFIED_PAGE = `select v.user_id, v.email, v.verified_at from verigate_verified_email v
  where (v.user_id, v.email) > ($1, $2)
    and not exists (select 1 from verigate_suppressed s where s.email = v.email and s.suppressed_at is not null)
  order by v.user_id, v.email limit $3`;

/** Verified pairs whose address is not suppressed, after `(userId, email)` in key order (`['', '']` for the first page). */
export async function verifiedPage(ctx: SqlContext, after: readonly [string, string], limit: number): Promise<{ userId: string; email: string; verifiedAt: Date }[]> {
  const rows = await ctx.query<{ user_id: string; email: string; verified_at: string | Date }>(VERIFIED_PAGE, [after[0], after[1], limit]);
  return rows.map((row) => ({ userId: row.user_id, email: row.email, verifiedAt: new Date(row.verified_at) }));
}
