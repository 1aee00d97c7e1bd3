import { randomBytes } from 'node:crypto';
import { MikroORM } from '@mikro-orm/postgresql';
import type { EntitySchema } from '@mikro-orm/core';
import { verigateEntities } from '../../src/entities/index.ts';
import { migrate } from '../../src/migrations/migrate.ts';
import { PG_ADMIN_URL, databaseUrl } from './services.ts';

export interface TestDatabase {
  name: string;
  url: string;
  orm: MikroORM;
  /** Every SQL statement the ORM ran since the last `queries.length = 0`. */
  queries: string[];
  close(): Promise<void>;
}

async function admin<T>(fn: (orm: MikroORM) => Promise<T>): Promise<T> {
  const orm = await MikroORM.init({ clientUrl: PG_ADMIN_URL, entities: [...verigateEntities], pool: { min: 0, max: 1 } });
  try {
    return await fn(orm);
  } finally {
    await orm.close();
  }
}

/**
 * A fresh PostgreSQL database per test file, migrated with verigate's shipped migration, so test
 * files run in parallel without seeing each other's outbox rows. Dropped on close.
 */
export async function createTestDatabase(extraEntities: EntitySchema[] = []): Promise<TestDatabase> {
  const name = `verigate_t_${randomBytes(6).toString('hex')}`;
  await admin((orm) => orm.em.execute(`create database ${name}`));
  const queries: string[] = [];
  const orm = await MikroORM.init({
    clientUrl: databaseUrl(name),
    entities: [...verigateEntities, ...extraEntities],
    debug: ['query'],
    logger: (message: string) => queries.push(message),
    pool: { min: 0, max: 10 },
  });
  await migrate(orm.em);
  queries.length = 0;
  return {
    name,
    url: databaseUrl(name),
    orm,
    queries,
    async close() {
      await orm.close(true);
      await admin((a) => a.em.execute(`drop database if exists ${name} with (force)`));
    },
  };
}
