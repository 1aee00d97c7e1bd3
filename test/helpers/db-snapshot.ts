import type { TestDatabase } from './database.ts';

const VERIGATE_TABLES = ['verigate_token', 'verigate_verified_email', 'verigate_outbox', 'verigate_session'] as const;

/**
 * Every row of verigate's tables (and any `extra` host tables), as one comparable string: take one
 * before and one after a refused request to prove it changed nothing. Tables that do not exist
 * (a host table of another helper app) read as null.
 */
export async function snapshotRows(db: TestDatabase, extra: readonly string[] = []): Promise<string> {
  const em = db.orm.em.fork();
  const out: Record<string, unknown> = {};
  for (const table of [...VERIGATE_TABLES, ...extra]) {
    const [exists] = await em.execute('select to_regclass(?) as t', [table]);
    out[table] = exists.t ? (await em.execute(`select coalesce(json_agg(r order by r::text), '[]') as rows from ${table} r`))[0].rows : null;
  }
  return JSON.stringify(out);
}

/** Which tables differ between two snapshots, and how many rows each had: short enough for a failure message. */
export function changedTables(before: string, after: string): string[] {
  const a = JSON.parse(before) as Record<string, unknown[] | null>;
  const b = JSON.parse(after) as Record<string, unknown[] | null>;
  return Object.keys({ ...a, ...b })
    .filter((table) => JSON.stringify(a[table]) !== JSON.stringify(b[table]))
    .map((table) => `${table}: ${a[table]?.length ?? 'none'} → ${b[table]?.length ?? 'none'} rows`);
}
