import { createHash } from 'node:crypto';
import type { Logger } from '../ports/logger.ts';
import type { Listening } from './notify-listener.ts';

/**
 * Where a statement runs: a pooled connection, a transaction (verigate's or the host's). Every
 * statement verigate issues goes through `query`, with **bound** parameters (`$1`, `$2`, …).
 */
export interface SqlContext {
  query<T = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<T[]>;
  /**
   * The host's MikroORM EntityManager behind this context, when verigate runs on the host's ORM:
   * handed to `users.setEmail` so a MikroORM adapter can write in verigate's transaction.
   */
  readonly em?: unknown;
}

/** A connection source: verigate's own pool or the host's ORM. */
export interface SqlDriver {
  /** Runs `work` with statements in autocommit mode. */
  run<T>(work: (ctx: SqlContext) => Promise<T>): Promise<T>;
  /** Runs `work` in one transaction: committed if it resolves, rolled back if it throws. */
  transaction<T>(work: (ctx: SqlContext) => Promise<T>): Promise<T>;
  /** Closes what verigate opened (never the host's ORM). */
  close(): Promise<void>;
  /** LISTENs on a channel while the returned handle is open; absent where the driver cannot. */
  listen?(channel: string, onNotify: () => void, logger: Logger): Promise<Listening>;
}

/** Anything with node-postgres' `query(text, values)`: a `pg.Pool`, a `pg.PoolClient` inside the host's transaction. */
export interface PgQueryable {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
}

/** node-postgres' named-statement form: parsed and planned once per connection, then only bound and executed. */
interface PgPreparable {
  query(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: unknown[] }>;
}

/** Thrown when a statement does not finish in time; `isInfrastructureError` treats it as an outage. */
export class DatabaseTimeoutError extends Error {
  readonly code = 'ETIMEDOUT';

  constructor(ms: number, what = 'database') {
    super(`${what} did not answer within ${ms} ms`);
    this.name = 'DatabaseTimeoutError';
  }
}

/** Rejects after `ms` unless `promise` settles first. The operation itself is left to its client's own timeouts. */
export function withDeadline<T>(promise: Promise<T>, ms: number, what = 'database'): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DatabaseTimeoutError(ms, what)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

const statementNames = new Map<string, string>();

/** A stable name per statement text (the texts are verigate's own constants, so the map stays small). */
function statementName(text: string): string {
  let name = statementNames.get(text);
  if (!name) {
    name = `verigate_${createHash('sha256').update(text).digest('hex').slice(0, 16)}`;
    statementNames.set(text, name);
  }
  return name;
}

/**
 * A context over anything pg-like. With `prepare` (verigate's own pool), statements with
 * parameters run as named prepared statements; the host's own client (its transaction) is used
 * plainly, leaving its connection as it was.
 */
export function pgContext(client: PgQueryable, options: { prepare?: boolean } = {}): SqlContext {
  return {
    async query<T>(text: string, params: readonly unknown[] = []) {
      if (options.prepare && params.length > 0) {
        return (await (client as unknown as PgPreparable).query({ name: statementName(text), text, values: params as unknown[] })).rows as T[];
      }
      return (await client.query(text, params as unknown[])).rows as T[];
    },
  };
}
