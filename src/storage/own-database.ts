import type { SqlEntityManager } from '@mikro-orm/sql';
import type { ResolvedDatabaseSettings } from './database-settings.ts';

export interface OwnDatabase {
  em: SqlEntityManager;
  close(): Promise<void>;
}

/**
 * Opens verigate's own MikroORM instance on PostgreSQL. Every wait is bounded: connecting and
 * getting a pooled connection (`connectTimeout`), each statement on the server
 * (`statement_timeout`) and on the client (`query_timeout`, which also covers a server that
 * accepted the connection and then went silent).
 */
export async function openOwnDatabase(settings: ResolvedDatabaseSettings): Promise<OwnDatabase> {
  // Loaded on demand: a host on its own ORM (or PGlite) never pulls in the pg driver through us.
  const { MikroORM } = await import('@mikro-orm/postgresql');
  const orm = await MikroORM.init({
    entities: [],
    discovery: { warnWhenNoEntities: false },
    clientUrl: settings.url,
    host: settings.host,
    port: settings.port,
    user: settings.user,
    password: settings.password,
    dbName: settings.database,
    pool: { min: 0, max: settings.poolMax },
    driverOptions: {
      connectionTimeoutMillis: settings.connectTimeoutMs,
      statement_timeout: settings.statementTimeoutMs,
      query_timeout: settings.statementTimeoutMs + 1000,
      ...(settings.ssl !== undefined ? { ssl: settings.ssl } : {}),
    },
    // verigate logs through its own logger; the ORM's default console logging stays off.
    debug: false,
  });
  return {
    em: orm.em as unknown as SqlEntityManager,
    close: () => orm.close(true),
  };
}
