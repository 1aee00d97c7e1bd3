import { createHmac, randomBytes } from 'node:crypto';

const TOKEN_BYTES = 32;
/** 32 bytes in unpadded base64url. */
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** A fresh single-use token: 32 bytes from the CSPRNG, base64url. Only ever sent by email. */
export function createToken(): string {
  return randomBytes(TOKEN_BYTES).toString('base64url');
}

/** Cheap shape check, so junk (empty, 10 kB, wrong alphabet) is refused without a database round trip. */
export function isWellFormedToken(value: unknown): value is string {
  return typeof value === 'string' && TOKEN_PATTERN.test(value);
}

/**
 * What the database stores instead of the token: a keyed hash (HMAC-SHA-256, hex). Keyed so that a
 * copy of the table alone cannot even be used to test guesses.
 */
export function hashToken(key: Buffer, token: string): string {
  return createHmac('sha256', key).update(token).digest('hex');
}
