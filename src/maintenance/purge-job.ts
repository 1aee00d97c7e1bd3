import type { DbAccess } from '../db/db-access.ts';
import type { Clock } from '../ports/clock.ts';
import type { Logger } from '../ports/logger.ts';
import { describeError } from '../logging/redact.ts';
import { purgeExpired, type PurgeResult } from './purge.ts';

const EVERY_MS = 3_600_000;

export interface PurgeJob {
  /** Purges now. */
  run(): Promise<PurgeResult>;
  /** Purges if the last run was over an hour ago; for the worker's poll. Never throws. */
  runIfDue(): Promise<void>;
}

/** Deletes are idempotent, so several app instances may each run this without coordination. */
export function createPurgeJob(deps: { db: DbAccess; clock: Clock; logger: Logger; retentionMs: number; sessionLifetimeMs: number; auditRetentionMs?: number; softWindowMs?: number }): PurgeJob {
  let lastRun = -Infinity;
  const run = async () => {
    lastRun = deps.clock.now().getTime();
    const result = await purgeExpired(deps.db, deps.retentionMs, deps.sessionLifetimeMs, deps.auditRetentionMs, deps.softWindowMs);
    if (result.tokens || result.messages || result.sessions || result.audit || result.inboundEvents || result.softBounces) deps.logger.info('purged old rows', { ...result });
    return result;
  };
  return {
    run,
    async runIfDue() {
      if (deps.clock.now().getTime() - lastRun < EVERY_MS) return;
      try {
        await run();
      } catch (error) {
        deps.logger.warn('purge failed; will retry next hour', { error: describeError(error) });
      }
    },
  };
}
