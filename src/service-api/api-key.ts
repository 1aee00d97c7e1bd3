import { createHmac, randomBytes } from 'node:crypto';

/** What a key may do: `read` a user's verification state, `send` a verification on a user's behalf. */
export const API_SCOPES = ['read', 'send'] as const;
export type ApiScope = (typeof API_SCOPES)[number];

/** A key as listed: never its secret, which exists only in the one answer that created it. */
export interface ApiKeyInfo {
  id: string;
  name: string;
  scopes: ApiScope[];
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

const PREFIX = 'vgk_';
// Id: 16 hex characters (no '_', so the secret after it may hold any base64url character).
const KEY_FORMAT = /^vgk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

/** A fresh key: `vgk_<id>_<secret>`, 64 bits of id and 256 bits of secret from the CSPRNG. */
export function newApiKey(): { id: string; secret: string; key: string } {
  const id = randomBytes(8).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  return { id, secret, key: `${PREFIX}${id}_${secret}` };
}

/** The id and secret of an `Authorization: Bearer vgk_…` header, or null for anything else. */
export function parseBearerKey(header: unknown): { id: string; secret: string } | null {
  if (typeof header !== 'string' || header.length > 200) return null;
  const match = /^Bearer +(\S+)\s*$/i.exec(header);
  const key = match ? KEY_FORMAT.exec(match[1]) : null;
  return key ? { id: key[1], secret: key[2] } : null;
}

/** The stored form: a keyed HMAC (key derived from `secret`), so a leaked table opens nothing. */
export function hashApiKeySecret(hmacKey: Buffer, id: string, secret: string): string {
  return createHmac('sha256', hmacKey).update(`api-key:${id}:${secret}`).digest('hex');
}

/** `'read,send'` or `['read', 'send']` → the scopes, de-duplicated in a fixed order; null if any is unknown or none given. */
export function parseScopes(input: unknown): ApiScope[] | null {
  const parts = typeof input === 'string' ? input.split(',') : Array.isArray(input) ? input : null;
  if (!parts) return null;
  const names = parts.map((part) => (typeof part === 'string' ? part.trim() : '')).filter((part) => part !== '');
  if (names.length === 0 || names.some((name) => !(API_SCOPES as readonly string[]).includes(name))) return null;
  return API_SCOPES.filter((scope) => names.includes(scope));
}

/** A key's name: what it is for (`billing`), shown in listings and audit rows. */
export function validKeyName(name: unknown): name is string {
  return typeof name === 'string' && /^[\w .:@-]{1,100}$/.test(name) && name.trim() === name;
}
