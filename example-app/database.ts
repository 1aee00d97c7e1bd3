import type { MikroORM } from '@mikro-orm/core';
import type { AbstractSqlDriver, SqlEntityManager } from '@mikro-orm/sql';
import { CREATE_EXAMPLE_USER_TABLE, ExampleUser } from './user-entity.ts';

export type ExampleOrm = MikroORM<AbstractSqlDriver, SqlEntityManager>;

const entities = [ExampleUser];

/**
 * PostgreSQL when a URL is given; otherwise PGlite in memory, so `npm start` works with nothing
 * installed. Drivers are imported lazily: each pulls in a sizeable dependency tree.
 */
async function openOrm(databaseUrl: string | undefined): Promise<ExampleOrm> {
  if (databaseUrl) {
    const { MikroORM } = await import('@mikro-orm/postgresql');
    try {
      return (await MikroORM.init({ clientUrl: databaseUrl, entities })) as unknown as ExampleOrm;
    } catch (error) {
      throw new Error(`cannot open the database at DATABASE_URL: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
  }
  const { MikroORM } = await import('@mikro-orm/pglite');
  return (await MikroORM.init({ dbName: 'memory://', entities })) as unknown as ExampleOrm;
}

/** Opens the database and creates the app's own table; verigate migrates its tables itself at start. */
export async function openDatabase(databaseUrl: string | undefined): Promise<ExampleOrm> {
  const orm = await openOrm(databaseUrl);
  try {
    await orm.em.execute(CREATE_EXAMPLE_USER_TABLE);
    return orm;
  } catch (error) {
    await orm.close(true).catch(() => {});
    throw error;
  }
}
