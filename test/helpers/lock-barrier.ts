import pg from 'pg';
import type { TestDatabase } from './database.ts';

export interface HeldLocks {
  /** Ends the test's transaction (a commit that changed nothing), letting the waiters go. */
  release(): Promise<void>;
}

/**
 * Runs `sql` (a `select … for update`) in a transaction of the test's own connection and keeps it
 * open: a barrier that concurrent statements touching those rows must wait at. With
 * `waitForLockWaiters` the test knows they are all waiting before it lets them go, so a race is
 * forced every run instead of left to the scheduler.
 */
export async function holdRowLocks(db: TestDatabase, sql: string, params: unknown[] = []): Promise<HeldLocks> {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  await client.query('begin');
  const { rowCount } = await client.query(sql, params);
  if (!rowCount) {
    await client.end();
    throw new Error(`holdRowLocks: ${sql} locked no row`);
  }
  return {
    async release() {
      try {
        await client.query('commit');
      } finally {
        await client.end();
      }
    },
  };
}

/**
 * Resolves once `count` sessions of the test database wait for a lock, or as soon as `unless`
 * settles (the statements finished without waiting); rejects after `timeoutMs`.
 */
export async function waitForLockWaiters(db: TestDatabase, count: number, { timeoutMs = 15_000, unless }: { timeoutMs?: number; unless?: Promise<unknown> } = {}): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let settled = false;
  unless?.then(() => { settled = true; }, () => { settled = true; });
  for (;;) {
    if (settled) return;
    const [{ n }] = await db.orm.em.fork().execute<Array<{ n: number }>>(
      `select count(*)::int as n from pg_stat_activity where datname = ? and wait_event_type = 'Lock'`, [db.name]);
    if (n >= count) return;
    if (Date.now() > deadline) throw new Error(`waitForLockWaiters: ${n} of ${count} sessions waiting after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
