import { mikroOrmDriver, type MikroOrmEntityManager } from '../db/mikro-orm.ts';
import { openPgDriver } from '../db/pg-driver.ts';
import type { SqlDriver } from '../db/sql-context.ts';
import { describeError } from '../logging/redact.ts';
import { runMigrations } from '../migrations/migrate.ts';
import type { Logger } from '../ports/logger.ts';
import type { ResolvedDatabaseSettings } from './database-settings.ts';

/**
 * Where verigate's tables live: the host's MikroORM (`em`) or verigate's own pool (`database`).
 * Either way it comes up in the background, so `emailVerification()` stays synchronous and a
 * CommonJS host needs no top-level await.
 */
export interface Storage {
  /**
   * The connection source once ready. During the first start-up attempt it waits up to `waitMs`;
   * after a failed attempt it fails as unavailable at once (a fast 503).
   */
  acquire(waitMs: number): Promise<SqlDriver>;
  /** Resolves once the database is reachable and migrated. Never rejects, unless called after `close()`. */
  ready(): Promise<void>;
  /** Stops retrying and closes the pool verigate opened (never the host's ORM). */
  close(): Promise<void>;
}

export class ServiceUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ServiceUnavailableError';
  }
}

const FIRST_RETRY_MS = 500;
// Capped low so a database that comes back is noticed within seconds, without hammering one that is down.
const MAX_RETRY_MS = 5_000;

export function createStorage(options: {
  em?: MikroOrmEntityManager;
  database?: ResolvedDatabaseSettings;
  migrate: boolean;
  logger: Logger;
}): Storage {
  const { logger } = options;
  let driver: SqlDriver | undefined;
  let closed = false;
  let lastError: unknown;
  let retryTimer: NodeJS.Timeout | undefined;
  let signalReady!: () => void;
  const readyPromise = new Promise<void>((resolve) => { signalReady = resolve; });
  const waiters = new Set<() => void>();

  async function startOnce(): Promise<SqlDriver> {
    const candidate = options.em ? mikroOrmDriver(options.em) : await openPgDriver(options.database!);
    try {
      if (options.migrate) await runMigrations(candidate);
      return candidate;
    } catch (error) {
      await candidate.close().catch(() => {});
      throw error;
    }
  }

  // Start-up retries until it works: a database that comes up after the app is the normal case in
  // orchestrated deployments, and requests meanwhile get a fast 503 rather than a hang.
  function start(delayMs: number): void {
    startOnce().then((ready) => {
      if (closed) return void ready.close().catch(() => {});
      driver = ready;
      signalReady();
      for (const wake of waiters) wake();
    }, (error: unknown) => {
      lastError = error;
      for (const wake of waiters) wake();
      if (closed) return;
      logger.warn(`database not ready; retrying in ${Math.round(delayMs / 100) / 10} s`, { error: describeError(error) });
      retryTimer = setTimeout(() => start(Math.min(MAX_RETRY_MS, delayMs * 2)), delayMs);
      retryTimer.unref();
    });
  }
  start(FIRST_RETRY_MS);

  function unavailable(): ServiceUnavailableError {
    return new ServiceUnavailableError(`verigate's database is not ready${lastError ? `: ${describeError(lastError)}` : ''}`, { cause: lastError });
  }

  return {
    async acquire(waitMs) {
      if (closed) throw new ServiceUnavailableError('verigate is closed');
      if (driver) return driver;
      if (waitMs > 0 && lastError === undefined) {
        await new Promise<void>((resolve) => {
          const done = () => { clearTimeout(timer); waiters.delete(done); resolve(); };
          const timer = setTimeout(done, waitMs);
          waiters.add(done);
        });
      }
      if (driver) return driver;
      throw unavailable();
    },
    ready() {
      if (closed && !driver) return Promise.reject(new ServiceUnavailableError('verigate is closed'));
      return readyPromise;
    },
    async close() {
      closed = true;
      clearTimeout(retryTimer);
      for (const wake of waiters) wake();
      await driver?.close();
    },
  };
}
