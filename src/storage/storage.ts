import type { SqlEntityManager } from '@mikro-orm/sql';
import { describeError } from '../logging/redact.ts';
import { migrate } from '../migrations/migrate.ts';
import type { Logger } from '../ports/logger.ts';
import type { ResolvedDatabaseSettings } from './database-settings.ts';
import { openOwnDatabase, type OwnDatabase } from './own-database.ts';

/**
 * Where verigate's tables live: the host's MikroORM (`em`) or verigate's own connection
 * (`database`). Either way it comes up in the background, so `emailVerification()` stays
 * synchronous and a CommonJS host needs no top-level await.
 */
export interface Storage {
  /**
   * A fresh EntityManager fork for one operation. During the first start-up attempt it waits up to
   * `waitMs`; after a failed attempt it fails as unavailable at once (a fast 503).
   */
  acquire(waitMs: number): Promise<SqlEntityManager>;
  /** Resolves once the database is reachable and migrated. Never rejects, unless called after `close()`. */
  ready(): Promise<void>;
  /** True when verigate runs on the host's ORM, so host adapters may join verigate's transactions. */
  readonly sharesHostOrm: boolean;
  /** Stops retrying and closes the connection verigate opened (never the host's). */
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
  em?: SqlEntityManager;
  database?: ResolvedDatabaseSettings;
  migrate: boolean;
  logger: Logger;
}): Storage {
  const { logger } = options;
  let em: SqlEntityManager | undefined;
  let own: OwnDatabase | undefined;
  let closed = false;
  let lastError: unknown;
  let retryTimer: NodeJS.Timeout | undefined;
  let signalReady!: () => void;
  const readyPromise = new Promise<void>((resolve) => { signalReady = resolve; });
  const waiters = new Set<() => void>();

  async function startOnce(): Promise<void> {
    if (options.em) {
      if (options.migrate) await migrate(options.em);
      em = options.em;
      return;
    }
    const opened = await openOwnDatabase(options.database!);
    try {
      if (options.migrate) await migrate(opened.em);
    } catch (error) {
      await opened.close();
      throw error;
    }
    own = opened;
    em = opened.em;
  }

  // Start-up retries until it works: a database that comes up after the app is the normal case in
  // orchestrated deployments, and requests meanwhile get a fast 503 rather than a hang.
  function start(delayMs: number): void {
    startOnce().then(() => {
      if (closed) return void own?.close();
      signalReady();
      for (const wake of waiters) wake();
    }, (error: unknown) => {
      lastError = error;
      if (closed) return;
      const next = Math.min(MAX_RETRY_MS, delayMs * 2);
      logger.warn(`database not ready; retrying in ${Math.round(delayMs / 100) / 10} s`, { error: describeError(error) });
      retryTimer = setTimeout(() => start(next), delayMs);
      retryTimer.unref();
    });
  }
  start(FIRST_RETRY_MS);

  function unavailable(): ServiceUnavailableError {
    return new ServiceUnavailableError(`verigate's database is not ready${lastError ? `: ${describeError(lastError)}` : ''}`, { cause: lastError });
  }

  return {
    sharesHostOrm: options.em !== undefined,
    async acquire(waitMs) {
      if (closed) throw new ServiceUnavailableError('verigate is closed');
      if (em) return em.fork();
      // Only the first start-up attempt is worth waiting for; once one failed, answer at once.
      if (waitMs > 0 && lastError === undefined) {
        await new Promise<void>((resolve) => {
          const done = () => { clearTimeout(timer); waiters.delete(done); resolve(); };
          const timer = setTimeout(done, waitMs);
          waiters.add(done);
        });
      }
      if (em) return (em as SqlEntityManager).fork();
      throw unavailable();
    },
    ready() {
      if (closed && !em) return Promise.reject(new ServiceUnavailableError('verigate is closed'));
      return readyPromise;
    },
    async close() {
      closed = true;
      clearTimeout(retryTimer);
      for (const wake of waiters) wake();
      await own?.close();
    },
  };
}
