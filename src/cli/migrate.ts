#!/usr/bin/env node
/**
 * `verigate-migrate`: applies verigate's schema to the database in DATABASE_URL.
 * `verigate-migrate --sql` prints the SQL instead, for hosts with their own migration tool.
 */
import pg from 'pg';
import { migrate, migrationSql } from '../migrations/migrate.ts';

async function main(): Promise<number> {
  if (process.argv.includes('--sql')) {
    process.stdout.write(migrationSql());
    return 0;
  }
  const url = process.env.DATABASE_URL;
  if (!url) {
    process.stderr.write('verigate-migrate: set DATABASE_URL, e.g. postgresql://user@localhost:5432/app\n');
    return 2;
  }
  const pool = new pg.Pool({ connectionString: url, max: 1, connectionTimeoutMillis: 5000 });
  try {
    const { applied } = await migrate(pool);
    process.stdout.write(applied.length ? `verigate-migrate: applied ${applied.join(', ')}\n` : 'verigate-migrate: schema is up to date\n');
    return 0;
  } finally {
    await pool.end();
  }
}

main().then((code) => process.exit(code), (error: unknown) => {
  process.stderr.write(`verigate-migrate: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
