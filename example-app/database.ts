import type { MikroORM } from '@mikro-orm/core';
import type { AppLogging } from './logging.ts';
import type { AbstractSqlDriver, SqlEntityManager } from '@mikro-orm/sql';
import { CREATE_EXAMPLE_USER_TABLE, ExampleUser } from './user-entity.ts';

export type ExampleOrm = MikroORM<AbstractSqlDriver, SqlEntityManager>;

const entities = [ExampleUser];

/**
 * PostgreSQL when a URL is given; otherwise PGlite in memory, so `npm start` works with nothing
 * installed. Drivers are imported lazily: each pulls in a sizeable dependency tree.
 */
async function openOrm(databaseUrl: string | undefined, logging: AppLogging['orm']): Promise<ExampleOrm> {
  if (databaseUrl) {
    const { MikroORM } = await import('@mikro-orm/postgresql');
    try {
      // Every wait bounded, so an unreachable or silent database gives a fast 503 (see http-errors.ts)
      // instead of requests that hang: connecting and pool waits 1 s, statements 1 s on the server, 1.5 s on the client.
      return (await MikroORM.init({
        clientUrl: databaseUrl, entities, ...logging,
        driverOptions: { connectionTimeoutMillis: 1000, statement_timeout: 1000, query_timeout: 1500 },
      })) as unknown as ExampleOrm;
    } catch (error) {
      throw new Error(`cannot open the database at DATABASE_URL: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
  }
  const { MikroORM } = await import('@mikro-orm/pglite');
  return (await MikroORM.init({ dbName: 'memory://', entities, ...logging })) as unknown as ExampleOrm;
}

/** Opens the database and creates the app's own table; verigate migrates its tables itself at start. */
export async function openDatabase(databaseUrl: string | undefined, logging: AppLogging['orm'] = { debug: false }): Promise<ExampleOrm> {
  const orm = await openOrm(databaseUrl, logging);
  try {
    for (const statement of CREATE_EXAMPLE_USER_TABLE) await orm.em.execute(statement);
    return orm;
  } catch (error) {
    await orm.close(true).catch(() => {});
    throw error;
  }
}
