import { timingSafeEqual } from 'node:crypto';
import type { SqlContext } from '../db/sql-context.ts';
import type { Limiter } from '../limits/limiter.ts';
import { refusalOf } from '../verification/send-limits.ts';
import { hashApiKeySecret, newApiKey, parseBearerKey, parseScopes, validKeyName, type ApiKeyInfo, type ApiScope } from './api-key.ts';
import { findApiKey, insertApiKey, listApiKeys, revokeApiKey, touchApiKey } from './api-key-store.ts';

/** Runs work on a connection: verigate's `DbAccess.run`, or a plain pool in the CLI. */
export type RunSql = <T>(work: (ctx: SqlContext) => Promise<T>) => Promise<T>;

export type CreateKeyResult =
  | { status: 'CREATED'; /** The whole key, `vgk_<id>_<secret>`: shown once, stored nowhere. */ key: string; info: ApiKeyInfo }
  | { status: 'INVALID_NAME' }
  | { status: 'INVALID_SCOPES' };

export type RevokeKeyResult = { status: 'REVOKED' | 'ALREADY_REVOKED' | 'NOT_FOUND' };

export interface ApiKeyAdmin {
  create(input: { name: unknown; scopes: unknown }): Promise<CreateKeyResult>;
  list(): Promise<ApiKeyInfo[]>;
  revoke(id: unknown): Promise<RevokeKeyResult>;
}

/** Creating, listing and revoking keys: for the CLI and for a host's own admin screen (`vg.apiKeys`). */
export function apiKeyAdmin(run: RunSql, hmacKey: Buffer): ApiKeyAdmin {
  return {
    async create({ name, scopes }) {
      if (!validKeyName(name)) return { status: 'INVALID_NAME' };
      const parsed = parseScopes(scopes);
      if (!parsed) return { status: 'INVALID_SCOPES' };
      const fresh = newApiKey();
      const info = await run((ctx) => insertApiKey(ctx, { id: fresh.id, name, scopes: parsed, secretHash: hashApiKeySecret(hmacKey, fresh.id, fresh.secret) }));
      return { status: 'CREATED', key: fresh.key, info };
    },
    list: () => run(listApiKeys),
    async revoke(id) {
      if (typeof id !== 'string' || !/^[0-9a-f]{16}$/.test(id)) return { status: 'NOT_FOUND' };
      return { status: await run((ctx) => revokeApiKey(ctx, id)) };
    },
  };
}

/** Why a call was refused; the caller sees only 401 / 403 / 429, the audit log sees the reason. */
export type KeyCheck =
  | { ok: true; key: ApiKeyInfo }
  | { ok: false; status: 'UNAUTHENTICATED'; reason: 'MISSING' | 'MALFORMED' | 'UNKNOWN_KEY' | 'WRONG_SECRET' | 'REVOKED'; keyId?: string }
  | { ok: false; status: 'FORBIDDEN'; reason: 'SCOPE'; keyId: string }
  | { ok: false; status: 'RATE_LIMITED'; reason: 'serviceCallsPerKey'; keyId: string; retryAfterSeconds: number };

// Compared against when the id is unknown, so an unknown id costs the same as a wrong secret.
const NO_HASH = Buffer.alloc(32);

/**
 * Checks an `Authorization` header for a scope: the key's hash compared in constant time, then
 * revocation, scope and the key's rate limit, in that order. A refusal changes nothing: no limit
 * point is taken before the key proves itself, and "last used" moves only for an admitted call.
 */
export function apiKeyGuard(run: RunSql, hmacKey: Buffer, limiter: Limiter) {
  return async function check(authorization: unknown, scope: ApiScope): Promise<KeyCheck> {
    if (authorization === undefined || authorization === '') return { ok: false, status: 'UNAUTHENTICATED', reason: 'MISSING' };
    const presented = parseBearerKey(authorization);
    if (!presented) return { ok: false, status: 'UNAUTHENTICATED', reason: 'MALFORMED' };
    const row = await run((ctx) => findApiKey(ctx, presented.id));
    const stored = row && /^[0-9a-f]{64}$/.test(row.secretHash) ? Buffer.from(row.secretHash, 'hex') : NO_HASH;
    const matches = timingSafeEqual(Buffer.from(hashApiKeySecret(hmacKey, presented.id, presented.secret), 'hex'), stored);
    if (!row) return { ok: false, status: 'UNAUTHENTICATED', reason: 'UNKNOWN_KEY' };
    if (!matches) return { ok: false, status: 'UNAUTHENTICATED', reason: 'WRONG_SECRET', keyId: row.id };
    if (row.revokedAt) return { ok: false, status: 'UNAUTHENTICATED', reason: 'REVOKED', keyId: row.id };
    if (!row.scopes.includes(scope)) return { ok: false, status: 'FORBIDDEN', reason: 'SCOPE', keyId: row.id };
    const limited = await refusalOf(limiter, [{ rule: 'serviceCallsPerKey', key: row.id }]);
    if (limited) return { ok: false, status: 'RATE_LIMITED', reason: 'serviceCallsPerKey', keyId: row.id, retryAfterSeconds: limited.retryAfterSeconds };
    await run((ctx) => touchApiKey(ctx, row.id));
    const { secretHash: _, ...key } = row;
    return { ok: true, key };
  };
}

export type ApiKeyGuard = ReturnType<typeof apiKeyGuard>;
