import type { DbAccess } from '../db/db-access.ts';
import { normaliseUserId, type UserId } from '../users/user-id.ts';

/** `userKey` is the stored form of the id, for ending the user's sessions. */
export type RevokeResult = { status: 'REVOKED'; pairs: number; userKey: string } | { status: 'INVALID_USER' };

/**
 * Withdraws every verification of a user and closes their open links, in one transaction: the
 * gate closes for them at the next database check. Sessions that cached the pair are ended by the
 * web layer through the session index.
 */
export async function revokeVerification(db: DbAccess, userId: UserId): Promise<RevokeResult> {
  const id = normaliseUserId(userId);
  if (!id.ok) return { status: 'INVALID_USER' };
  const pairs = await db.transaction(async (tx) => {
    const removed = await tx.query('delete from verigate_verified_email where user_id = $1 returning 1', [id.key]);
    await tx.query(`update verigate_token set superseded_at = now()
      where user_id = $1 and used_at is null and superseded_at is null`, [id.key]);
    return removed.length;
  });
  return { status: 'REVOKED', pairs, userKey: id.key };
}
