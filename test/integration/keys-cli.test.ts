import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import express from 'express';
import { MikroORM } from '@mikro-orm/postgresql';
import request from 'supertest';
import { emailVerification, type EmailVerification } from '../../plugin/index.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { PG_ADMIN_URL, TEST_SECRET, databaseUrl } from '../helpers/services.ts';

const run = promisify(execFile);
const cli = fileURLToPath(new URL('../../src/cli/keys.ts', import.meta.url));
let db: TestDatabase;
let vg: EmailVerification;
let app: express.Express;

beforeAll(async () => {
  db = await createTestDatabase();
  vg = emailVerification({
    baseUrl: 'https://app.test/verify', secret: TEST_SECRET, database: db.url, mail: { from: 'a@app.test', transport: 'smtp://127.0.0.1:1' },
    logger: { info() {}, warn() {}, error() {} }, worker: { autoStart: false }, limits: false,
  });
  app = express().use('/svc', vg.serviceRouter());
  await vg.ready();
});
afterAll(async () => {
  await vg.close();
  await db.close();
});

const keys = (args: string[], env: Record<string, string> = {}) =>
  run(process.execPath, [cli, ...args], { env: { PATH: process.env.PATH ?? '', DATABASE_URL: db.url, VERIGATE_SECRET: TEST_SECRET, ...env } });
const lookup = (key: string) => request(app).get('/svc/users/u1/verification?email=a@example.com').set('Authorization', `Bearer ${key}`);

// Every step starts a Node process (about 0.5 s each on an idle machine, several under load).
jest.setTimeout(90_000);

describe('verigate-keys', () => {
  it('creates a key it prints once, lists it without its secret, and revokes it; the app honours each step', async () => {
    const created = await keys(['create', '--scope', 'read,send', '--name', 'billing']);
    const key = created.stdout.trim();
    expect(key).toMatch(/^vgk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    const id = key.slice(4, 20);
    expect(created.stderr).toContain(`created key ${id} "billing" (read, send)`);
    expect(created.stderr).toContain('not shown again');
    await lookup(key).expect(200);

    const list = (await keys(['list'])).stdout;
    expect(list).toMatch(new RegExp(`${id}\\s+billing\\s+read,send\\s+\\S+Z\\s+\\S+Z\\s+active`));
    expect(list).not.toContain(key.slice(21));
    const [row] = await db.orm.em.fork().execute('select secret_hash from verigate_api_key where id = ?', [id]);
    expect(row.secret_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(row)).not.toContain(key.slice(21));

    expect((await keys(['revoke', id])).stdout.trim()).toBe(`revoked ${id}`);
    await lookup(key).expect(401);
    expect((await keys(['revoke', id])).stdout.trim()).toBe(`${id} was already revoked`);
    const json = JSON.parse((await keys(['list', '--json'])).stdout);
    expect(json.find((k: { id: string }) => k.id === id)).toMatchObject({ name: 'billing', scopes: ['read', 'send'], lastUsedAt: expect.any(String), revokedAt: expect.any(String) });
  });

  it('hashes with the app secret: a key made with another secret opens nothing', async () => {
    const other = (await keys(['create', '--scope', 'read', '--name', 'elsewhere'], { VERIGATE_SECRET: 'another-secret-0123456789-abcdefghijklmnop' })).stdout.trim();
    await lookup(other).expect(401);
  });

  it('explains every mistake with a non-zero exit and writes nothing', async () => {
    const before = (await db.orm.em.fork().execute('select count(*)::int as n from verigate_api_key'))[0].n;
    // Each is its own process; run side by side.
    await Promise.all([
      expect(keys(['create', '--scope', 'read,admin', '--name', 'x'])).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('--scope must list read and/or send') }),
      expect(keys(['create', '--scope', 'read'])).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('--name is required') }),
      expect(keys(['revoke', 'ffffffffffffffff'])).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('no key with id') }),
      expect(keys(['rotate'])).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('usage: verigate-keys create') }),
      expect(keys(['list'], { VERIGATE_SECRET: 'short' })).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('VERIGATE_SECRET') }),
      expect(keys(['list'], { DATABASE_URL: '' })).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('set DATABASE_URL') }),
    ]);
    expect((await db.orm.em.fork().execute('select count(*)::int as n from verigate_api_key'))[0].n).toBe(before);
  });

  it('says to migrate first on a database without verigate’s tables', async () => {
    const name = `verigate_keys_${randomBytes(5).toString('hex')}`;
    const admin = await MikroORM.init({ clientUrl: PG_ADMIN_URL, entities: [], discovery: { warnWhenNoEntities: false } });
    try {
      await admin.em.execute(`create database ${name}`);
      await expect(keys(['list'], { DATABASE_URL: databaseUrl(name) })).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('run verigate-migrate first') });
    } finally {
      await admin.em.execute(`drop database if exists ${name} with (force)`);
      await admin.close();
    }
  });
});
