import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { MikroORM } from '@mikro-orm/postgresql';
import { PG_ADMIN_URL, databaseUrl } from '../helpers/services.ts';

const run = promisify(execFile);
const cli = fileURLToPath(new URL('../../src/cli/migrate.ts', import.meta.url));
const name = `verigate_cli_${randomBytes(5).toString('hex')}`;
let admin: MikroORM;

beforeAll(async () => {
  admin = await MikroORM.init({ clientUrl: PG_ADMIN_URL, entities: [], discovery: { warnWhenNoEntities: false } });
  await admin.em.execute(`create database ${name}`);
});
afterAll(async () => {
  await admin.em.execute(`drop database if exists ${name} with (force)`);
  await admin.close();
});

const migrateCli = (env: Record<string, string>, args: string[] = []) =>
  run(process.execPath, [cli, ...args], { env: { PATH: process.env.PATH ?? '', ...env } });

describe('verigate-migrate', () => {
  it('creates the tables on a fresh database, then reports it up to date', async () => {
    const first = await migrateCli({ DATABASE_URL: databaseUrl(name) });
    expect(first.stdout).toContain('applied 0001-initial, 0002-one-open-token, 0003-session-index, 0004-events');
    const second = await migrateCli({ DATABASE_URL: databaseUrl(name) });
    expect(second.stdout).toContain('schema is up to date');
    const orm = await MikroORM.init({ clientUrl: databaseUrl(name), entities: [], discovery: { warnWhenNoEntities: false } });
    try {
      const tables = await orm.em.execute(`select table_name from information_schema.tables where table_name like 'verigate_%' order by 1`);
      expect(tables.map((t) => t.table_name)).toEqual(['verigate_api_key', 'verigate_audit', 'verigate_inbound_event', 'verigate_migrations', 'verigate_outbox', 'verigate_session', 'verigate_suppressed', 'verigate_token', 'verigate_verified_email']);
    } finally {
      await orm.close();
    }
  });

  it('prints the SQL with --sql, without touching a database', async () => {
    const { stdout } = await migrateCli({}, ['--sql']);
    expect(stdout).toContain('create table if not exists verigate_token');
  });

  it('explains a missing DATABASE_URL and exits 2', async () => {
    await expect(migrateCli({})).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('set DATABASE_URL') });
  });
});
