import type { SqlEntityManager } from '@mikro-orm/sql';
import type { Storage } from '../storage/storage.ts';
import { withDeadline } from './sql.ts';

/**
 * How services reach the database: every operation waits at most `timeoutMs` (for start-up and for
 * the statements), so an unreachable or silent database becomes a fast 503, never a hung request.
 * A caller may pass its own EntityManager (`within`), e.g. the host's open transaction, so that
 * verigate's rows commit or roll back with the host's.
 */
export interface DbAccess {
  run<T>(work: (em: SqlEntityManager) => Promise<T>, within?: SqlEntityManager): Promise<T>;
  transaction<T>(work: (tx: SqlEntityManager) => Promise<T>, within?: SqlEntityManager): Promise<T>;
}

export function createDbAccess(storage: Storage, timeoutMs: number): DbAccess {
  async function run<T>(work: (em: SqlEntityManager) => Promise<T>, within?: SqlEntityManager): Promise<T> {
    const started = Date.now();
    const em = within ?? await storage.acquire(timeoutMs);
    return withDeadline(work(em), Math.max(1, timeoutMs - (Date.now() - started)));
  }
  return {
    run,
    transaction(work, within) {
      // Inside the host's transaction already: join it rather than opening a savepoint.
      if (within?.isInTransaction()) return run(work, within);
      return run((em) => em.transactional(work), within);
    },
  };
}
