import type { SqlContext } from '../db/sql-context.ts';

/**
 * The address the account should hold now, as far as verigate applied changes: the newest
 * confirmed change made after the one being undone, else that change's own new address if it was
 * confirmed, else `restored` (the change never applied). A change and its undo link are written
 * in one transaction, so they share `created_at` (`now()` is the transaction's start). Undo compares-and-sets from this, so a
 * chain of changes (A→B→C) still returns to A, while a change the host made on its own is left alone.
 */
export async function expectedCurrentEmail(ctx: SqlContext, userKey: string, undoTokenId: string, restored: string): Promise<string | null> {
  const [row] = await ctx.query<{ new_email: string }>(`
    select c.new_email from verigate_token c, verigate_token u
    where u.id = $2 and c.user_id = $1 and c.purpose = 'email_change' and c.used_at is not null
      and c.created_at >= u.created_at
    order by c.used_at desc limit 1`, [userKey, undoTokenId]);
  if (row) return row.new_email;
  return restored === '' ? null : restored;
}
