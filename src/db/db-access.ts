import type { Storage } from '../storage/storage.ts';
import { withDeadline, type SqlContext, type SqlDriver } from './sql-context.ts';

/**
 * How services reach the database: every operation waits at most `timeoutMs` (for start-up and for
 * its statements), so an unreachable or silent database becomes a fast 503, never a hung request.
 * A caller may pass the context of the host's open transaction (`within`), so that verigate's
 * rows commit or roll back with the host's.
 */
export interface DbAccess {
  run<T>(work: (ctx: SqlContext) => Promise<T>, within?: SqlContext): Promise<T>;
  /** Inside `within` (already the host's transaction) the work simply joins it. */
  transaction<T>(work: (ctx: SqlContext) => Promise<T>, within?: SqlContext): Promise<T>;
}

export function createDbAccess(storage: Storage, timeoutMs: number): DbAccess {
  const bounded = <T>(use: (driver: SqlDriver) => Promise<T>) =>
    withDeadline(storage.acquire(timeoutMs).then(use), timeoutMs);
  return {
    run: (work, within) => (within ? withDeadline(work(within), timeoutMs) : bounded((driver) => driver.run(work))),
    transaction: (work, within) => (within ? withDeadline(work(within), timeoutMs) : bounded((driver) => driver.transaction(work))),
  };
}
