import { CompiledQuery } from 'kysely';
import { listenOnPglite, listenOnPool, type PgliteForListen, type PgPoolForListen } from './notify-listener.ts';
import type { SqlContext, SqlDriver } from './sql-context.ts';

/**
 * The part of a MikroORM SQL EntityManager (`orm.em`) verigate uses, written out so verigate's
 * types do not require MikroORM: hosts without it never install it.
 */
export interface MikroOrmEntityManager {
  fork(...args: never[]): unknown;
  getConnection(...args: never[]): unknown;
  getTransactionContext(...args: never[]): unknown;
  getPlatform(...args: never[]): unknown;
  transactional(...args: never[]): Promise<unknown>;
}

/** What verigate calls on it, typed for use here. */
interface UsableEntityManager {
  fork(): UsableEntityManager;
  getConnection(): unknown;
  getTransactionContext(): unknown;
  getPlatform(): { getExceptionConverter(): { convertException(error: Error): Error } };
  transactional<T>(work: (em: UsableEntityManager) => Promise<T>): Promise<T>;
}

interface QueryExecutor {
  executeQuery(query: CompiledQuery): Promise<{ rows: unknown[] }>;
}

interface KyselyConnection {
  getClient(): QueryExecutor;
  executeQuery?: <T>(query: string, cb: () => Promise<T>, context?: Record<string, unknown>) => Promise<T>;
}

export function isMikroOrmEntityManager(value: unknown): value is MikroOrmEntityManager {
  const em = value as Partial<MikroOrmEntityManager> | null;
  return typeof em === 'object' && em !== null && typeof em.fork === 'function' && typeof em.getConnection === 'function'
    && typeof em.getTransactionContext === 'function';
}

/**
 * Statements through the host's ORM with **bound** parameters, unlike `em.execute`, which
 * interpolates values into the SQL text. Inside `em.transactional` it uses that transaction's
 * connection. Queries still pass through MikroORM's query logger, and driver errors are converted
 * like the ORM's own (e.g. `UniqueConstraintViolationException`).
 */
export function mikroOrmContext(host: MikroOrmEntityManager): SqlContext {
  const em = host as unknown as UsableEntityManager;
  return {
    em,
    async query<T>(text: string, params: readonly unknown[] = []) {
      const connection = em.getConnection() as KyselyConnection;
      const executor = (em.getTransactionContext() as QueryExecutor | undefined) ?? connection.getClient();
      const run = async () => (await executor.executeQuery(CompiledQuery.raw(text, params as unknown[]))).rows as T[];
      try {
        // executeQuery is how MikroORM logs queries (debug mode, the host's logger); fall back if it moves.
        return typeof connection.executeQuery === 'function'
          ? await connection.executeQuery(text, run, { query: text, params })
          : await run();
      } catch (error) {
        throw em.getPlatform().getExceptionConverter().convertException(error as Error);
      }
    },
  };
}

/** The host's ORM as verigate's connection source; closing it is the host's business. */
export function mikroOrmDriver(host: MikroOrmEntityManager): SqlDriver {
  const em = host as unknown as UsableEntityManager;
  return {
    run: (work) => work(mikroOrmContext(em.fork() as unknown as MikroOrmEntityManager)),
    transaction: (work) => em.fork().transactional((tx) => work(mikroOrmContext(tx as unknown as MikroOrmEntityManager))),
    close: async () => {},
    async listen(channel, onNotify, logger) {
      // The driver's own pool (PostgreSQL) or PGlite instance; anything else polls only.
      const native = await (em.getConnection() as { getNativeClient?: () => Promise<unknown> }).getNativeClient?.().catch(() => undefined);
      if (native && typeof (native as PgPoolForListen).connect === 'function') return listenOnPool(native as PgPoolForListen, channel, onNotify, logger);
      if (native && typeof (native as PgliteForListen).listen === 'function') return listenOnPglite(native as PgliteForListen, channel, onNotify);
      return { close: async () => {} };
    },
  };
}
