import type { TestDatabase } from './database.ts';

/**
 * verigate decides expiry and leases by the database's clock, so tests "move time" by moving
 * rows back: as if `ms` had passed for them. Scoped to one user's tokens when `userId` is given.
 */
export async function ageTokens(db: TestDatabase, ms: number, userId?: string): Promise<void> {
  await db.orm.em.fork().execute(
    `update verigate_token set created_at = created_at - ? * interval '1 millisecond', expires_at = expires_at - ? * interval '1 millisecond'
     where ? or user_id = ?`, [ms, ms, userId === undefined, userId ?? '']);
}

/** Moves every outbox row `ms` into the past (retries come due, leases run out, sent rows age). */
export async function ageOutbox(db: TestDatabase, ms: number): Promise<void> {
  await db.orm.em.fork().execute(
    `update verigate_outbox set next_attempt_at = next_attempt_at - ? * interval '1 millisecond',
       updated_at = updated_at - ? * interval '1 millisecond', created_at = created_at - ? * interval '1 millisecond'`, [ms, ms, ms]);
}
