import type { SqlEntityManager } from '@mikro-orm/sql';
import { initialMigration } from './0001-initial.ts';
import { oneOpenTokenMigration } from './0002-one-open-token.ts';
import type { VerigateMigration } from './migration.ts';

/** Every schema step verigate ships, oldest first. */
export const verigateMigrations: readonly VerigateMigration[] = [initialMigration, oneOpenTokenMigration];

// Arbitrary constant: serialises concurrent migrators (several app instances starting at once).
const LOCK_KEY = 727_451_390;

export interface MigrateResult {
  applied: string[];
}

/**
 * Brings verigate's tables up to date. Safe to call on every start and from several processes at
 * once: it takes a transaction-scoped advisory lock and records applied steps in `verigate_migrations`,
 * which is separate from the host's own migration table.
 */
export async function migrate(em: SqlEntityManager): Promise<MigrateResult> {
  return em.fork().transactional(async (tx) => {
    await tx.execute('select pg_advisory_xact_lock(?)', [LOCK_KEY]);
    await tx.execute(`create table if not exists verigate_migrations (
      id varchar(100) primary key, applied_at timestamptz not null default now())`);
    const rows = await tx.execute<{ id: string }[]>('select id from verigate_migrations');
    const done = new Set(rows.map((row) => row.id));
    const applied: string[] = [];
    for (const migration of verigateMigrations) {
      if (done.has(migration.id)) continue;
      for (const statement of migration.statements) await tx.execute(statement);
      await tx.execute('insert into verigate_migrations (id) values (?)', [migration.id]);
      applied.push(migration.id);
    }
    return { applied };
  });
}

/** The SQL of every step, for hosts that run migrations with their own tool. */
export function migrationSql(): string {
  return verigateMigrations.map((m) => `-- ${m.id}\n${m.statements.join(';\n')};\n`).join('\n');
}
