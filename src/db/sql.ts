import type { SqlEntityManager } from '@mikro-orm/sql';
import { CompiledQuery } from 'kysely';

/**
 * Something that can run SQL: an EntityManager (a fork of verigate's or the host's), or one inside
 * a transaction, in which case every statement joins that transaction.
 */
export type SqlContext = SqlEntityManager;

interface QueryExecutor {
  executeQuery(query: CompiledQuery): Promise<{ rows: unknown[]; numAffectedRows?: bigint }>;
}

interface LoggingConnection {
  getClient(): QueryExecutor;
  executeQuery?: <T>(query: string, cb: () => Promise<T>, context?: Record<string, unknown>) => Promise<T>;
}

/** Thrown when a statement does not finish in time; `isInfrastructureError` treats it as an outage. */
export class DatabaseTimeoutError extends Error {
  readonly code = 'ETIMEDOUT';

  constructor(ms: number) {
    super(`database did not answer within ${ms} ms`);
    this.name = 'DatabaseTimeoutError';
  }
}

/** Rejects after `ms` unless `promise` settles first. The statement itself is left to the pool's own timeouts. */
export function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DatabaseTimeoutError(ms)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/**
 * Runs one statement with **bound** parameters (`$1`, `$2`, …), unlike `em.execute`, which
 * interpolates values into the SQL text on the client. Inside `em.transactional` it uses that
 * transaction's connection. Queries still pass through MikroORM's query logger, and driver errors
 * are converted like the ORM's own (e.g. `UniqueConstraintViolationException`).
 */
export async function sql<T = Record<string, unknown>>(ctx: SqlContext, text: string, params: readonly unknown[] = []): Promise<T[]> {
  const connection = ctx.getConnection() as unknown as LoggingConnection;
  const executor = (ctx.getTransactionContext() as QueryExecutor | undefined) ?? connection.getClient();
  const run = async () => (await executor.executeQuery(CompiledQuery.raw(text, params as unknown[]))).rows as T[];
  try {
    // executeQuery is how MikroORM logs queries (debug mode, the host's logger); fall back if it moves.
    return typeof connection.executeQuery === 'function'
      ? await connection.executeQuery(text, run, { query: text, params })
      : await run();
  } catch (error) {
    throw ctx.getPlatform().getExceptionConverter().convertException(error as Error);
  }
}
