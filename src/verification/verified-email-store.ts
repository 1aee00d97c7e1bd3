import type { SqlContext } from '../db/sql-context.ts';

/** When the (user, canonical address) pair was verified, or null if it is not. */
export async function verifiedAtOf(ctx: SqlContext, userKey: string, canonical: string): Promise<Date | null> {
  const [row] = await ctx.query<{ verified_at: string | Date }>(
    'select verified_at from verigate_verified_email where user_id = $1 and email = $2', [userKey, canonical]);
  return row ? new Date(row.verified_at) : null;
}
