#!/usr/bin/env node
/**
 * `verigate-keys`: service API keys in the database of DATABASE_URL, hashed with a key derived
 * from VERIGATE_SECRET (the app's `secret`).
 *
 *   verigate-keys create --scope read,send --name billing    prints the key, once
 *   verigate-keys list [--json]
 *   verigate-keys revoke <id>
 */
import pg from 'pg';
import { MIN_SECRET_LENGTH } from '../config/resolve-options.ts';
import { deriveKeys } from '../crypto/keys.ts';
import { pgContext } from '../db/sql-context.ts';
import type { ApiKeyInfo } from '../service-api/api-key.ts';
import { apiKeyAdmin, type ApiKeyAdmin } from '../service-api/api-keys.ts';

const USAGE = `usage: verigate-keys create --scope read,send --name <name>
       verigate-keys list [--json]
       verigate-keys revoke <id>
Needs DATABASE_URL and VERIGATE_SECRET (the secret your app gives verigate).`;

const out = (text: string) => process.stdout.write(`${text}\n`);
const err = (text: string) => process.stderr.write(`verigate-keys: ${text}\n`);
/** Reports a refusal and gives the exit code: 2 for usage, 1 for a failed request. */
const refuse = (text: string, code: number) => (err(text), code);

/** `--name billing` and `--name=billing` alike. */
function flag(args: string[], name: string): string | undefined {
  const i = args.findIndex((arg) => arg === `--${name}` || arg.startsWith(`--${name}=`));
  if (i < 0) return undefined;
  return args[i].includes('=') ? args[i].slice(args[i].indexOf('=') + 1) : args[i + 1];
}

const when = (date: Date | null) => (date ? date.toISOString().replace(/\.\d{3}Z$/, 'Z') : '-');

function table(keys: ApiKeyInfo[]): string {
  const rows = [['ID', 'NAME', 'SCOPES', 'CREATED', 'LAST USED', 'STATUS'],
    ...keys.map((k) => [k.id, k.name, k.scopes.join(','), when(k.createdAt), when(k.lastUsedAt), k.revokedAt ? `revoked ${when(k.revokedAt)}` : 'active'])];
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c])).join('  ').trimEnd()).join('\n');
}

async function command(admin: ApiKeyAdmin, args: string[]): Promise<number> {
  const [verb, ...rest] = args;
  if (verb === 'create') {
    const result = await admin.create({ name: flag(rest, 'name'), scopes: flag(rest, 'scope') ?? flag(rest, 'scopes') });
    if (result.status === 'INVALID_NAME') return refuse('--name is required: 1 to 100 letters, digits, spaces or _ . : @ -, e.g. --name billing', 2);
    if (result.status === 'INVALID_SCOPES') return refuse('--scope must list read and/or send, e.g. --scope read,send', 2);
    err(`created key ${result.info.id} "${result.info.name}" (${result.info.scopes.join(', ')}). Store it now: it is not shown again.`);
    out(result.key);
    return 0;
  }
  if (verb === 'list') {
    const keys = await admin.list();
    out(rest.includes('--json') ? JSON.stringify(keys, null, 2) : keys.length ? table(keys) : 'no API keys');
    return 0;
  }
  if (verb === 'revoke' && rest.length === 1) {
    const { status } = await admin.revoke(rest[0]);
    if (status === 'NOT_FOUND') return refuse(`no key with id ${JSON.stringify(rest[0])}`, 1);
    out(status === 'REVOKED' ? `revoked ${rest[0]}` : `${rest[0]} was already revoked`);
    return 0;
  }
  err(USAGE);
  return 2;
}

async function main(): Promise<number> {
  const url = process.env.DATABASE_URL;
  const secret = process.env.VERIGATE_SECRET;
  if (!url) return refuse('set DATABASE_URL, e.g. postgresql://user@localhost:5432/app', 2);
  if (!secret || secret.length < MIN_SECRET_LENGTH) return refuse(`set VERIGATE_SECRET to the secret your app gives verigate (at least ${MIN_SECRET_LENGTH} characters): keys are hashed with it`, 2);
  const pool = new pg.Pool({ connectionString: url, max: 1, connectionTimeoutMillis: 5000 });
  try {
    return await command(apiKeyAdmin((work) => work(pgContext(pool)), deriveKeys(secret).apiKeyHash), process.argv.slice(2));
  } catch (error) {
    if ((error as { code?: string }).code === '42P01') return refuse('the verigate_api_key table is missing: run verigate-migrate first', 1);
    throw error;
  } finally {
    await pool.end();
  }
}

main().then((code) => process.exit(code), (error: unknown) => {
  err(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
