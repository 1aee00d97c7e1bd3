import { isMikroOrmEntityManager, mikroOrmDriver, type MikroOrmEntityManager } from '../db/mikro-orm.ts';
import { pgContext, type PgQueryable, type SqlDriver } from '../db/sql-context.ts';
import { initialMigration } from './0001-initial.ts';
import { oneOpenTokenMigration } from './0002-one-open-token.ts';
import { sessionIndexMigration } from './0003-session-index.ts';
import { eventsMigration } from './0004-events.ts';
import { serviceApiAuditMigration } from './0005-service-api-audit.ts';
import { bouncesMigration } from './0006-bounces.ts';
import type { VerigateMigration } from './migration.ts';

/** Every schema step verigate ships, oldest first. */
export const verigateMigrations: readonly VerigateMigration[] = [initialMigration, oneOpenTokenMigration, sessionIndexMigration, eventsMigration, serviceApiAuditMigration,
  bouncesMigration];

// Arbitrary constant: serialises concurrent migrators (several app instances starting at once).
const LOCK_KEY = 727_451_390;

export interface MigrateResult {
  applied: string[];
}

/**
 * Brings verigate's tables up to date through a driver. Safe on every start and from several
 * processes at once: a transaction-scoped advisory lock serialises migrators, and applied steps
 * are recorded in `verigate_migrations`, apart from the host's own migration table.
 */
export async function runMigrations(driver: SqlDriver): Promise<MigrateResult> {
  return driver.transaction(async (tx) => {
    await tx.query('select pg_advisory_xact_lock($1)', [LOCK_KEY]);
    await tx.query(`create table if not exists verigate_migrations (
      id varchar(100) primary key, applied_at timestamptz not null default now())`);
    const rows = await tx.query<{ id: string }>('select id from verigate_migrations');
    const done = new Set(rows.map((row) => row.id));
    const applied: string[] = [];
    for (const migration of verigateMigrations) {
      if (done.has(migration.id)) continue;
      for (const statement of migration.statements) await tx.query(statement);
      await tx.query('insert into verigate_migrations (id) values ($1)', [migration.id]);
      applied.push(migration.id);
    }
    return { applied };
  });
}

/** A `pg.Pool` (or anything with `connect()` giving a client with `query` and `release`). */
interface PgPoolLike {
  connect(): Promise<PgQueryable & { release(error?: Error): void }>;
}

function poolDriver(pool: PgPoolLike): SqlDriver {
  return {
    run: async (work) => work(pgContext(pool as unknown as PgQueryable)),
    async transaction(work) {
      const client = await pool.connect();
      try {
        await client.query('begin');
        const result = await work(pgContext(client));
        await client.query('commit');
        return result;
      } catch (error) {
        await client.query('rollback').catch(() => {});
        throw error;
      } finally {
        client.release();
      }
    },
    close: async () => {},
  };
}

/**
 * Applies verigate's migrations with your MikroORM EntityManager (`orm.em`) or a `pg.Pool`.
 * verigate does this itself at start unless `migrate: false`; call it from your deploy step instead if you prefer.
 */
export async function migrate(target: MikroOrmEntityManager | PgPoolLike): Promise<MigrateResult> {
  return runMigrations(isMikroOrmEntityManager(target) ? mikroOrmDriver(target) : poolDriver(target));
}

/** The SQL of every step, for hosts that run migrations with their own tool. */
export function migrationSql(): string {
  return verigateMigrations.map((m) => `-- ${m.id}\n${m.statements.join(';\n')};\n`).join('\n');
}
