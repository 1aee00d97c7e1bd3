import type { SqlContext } from '../db/sql-context.ts';
import type { ApiKeyInfo, ApiScope } from './api-key.ts';

/** Every statement on `verigate_api_key`. */

interface KeyRow {
  id: string;
  name: string;
  secret_hash: string;
  scopes: string;
  created_at: string | Date;
  last_used_at: string | Date | null;
  revoked_at: string | Date | null;
}

const date = (value: string | Date | null) => (value === null ? null : new Date(value));

function infoOf(row: KeyRow): ApiKeyInfo {
  return {
    id: row.id, name: row.name, scopes: row.scopes.split(',') as ApiScope[],
    createdAt: new Date(row.created_at), lastUsedAt: date(row.last_used_at), revokedAt: date(row.revoked_at),
  };
}

export async function insertApiKey(ctx: SqlContext, key: { id: string; name: string; secretHash: string; scopes: readonly ApiScope[] }): Promise<ApiKeyInfo> {
  const [row] = await ctx.query<KeyRow>(`insert into verigate_api_key (id, name, secret_hash, scopes, created_at)
    values ($1, $2, $3, $4, now()) returning *`, [key.id, key.name, key.secretHash, key.scopes.join(',')]);
  return infoOf(row);
}

export async function listApiKeys(ctx: SqlContext): Promise<ApiKeyInfo[]> {
  return (await ctx.query<KeyRow>('select * from verigate_api_key order by created_at, id')).map(infoOf);
}

/** Revokes a key for good; true if it was live until now. */
export async function revokeApiKey(ctx: SqlContext, id: string): Promise<'REVOKED' | 'ALREADY_REVOKED' | 'NOT_FOUND'> {
  const [row] = await ctx.query<{ was_live: boolean }>(`update verigate_api_key k set revoked_at = coalesce(k.revoked_at, now())
    from (select id, revoked_at from verigate_api_key where id = $1 for update) old
    where k.id = old.id returning old.revoked_at is null as was_live`, [id]);
  return !row ? 'NOT_FOUND' : row.was_live ? 'REVOKED' : 'ALREADY_REVOKED';
}

/** The key with this id, hash included, for the constant-time check. */
export async function findApiKey(ctx: SqlContext, id: string): Promise<(ApiKeyInfo & { secretHash: string }) | null> {
  const [row] = await ctx.query<KeyRow>('select * from verigate_api_key where id = $1', [id]);
  return row ? { ...infoOf(row), secretHash: row.secret_hash } : null;
}

// At most one write per key per minute: "last used" is for spotting dead keys, not a request log (the audit log is that).
export async function touchApiKey(ctx: SqlContext, id: string): Promise<void> {
  await ctx.query(`update verigate_api_key set last_used_at = now()
    where id = $1 and revoked_at is null and (last_used_at is null or last_used_at < now() - interval '1 minute')`, [id]);
}
