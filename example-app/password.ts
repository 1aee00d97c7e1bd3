import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

export const PASSWORD_MIN_LENGTH = 8;
/** Bounds the KDF input so a huge "password" cannot be used to burn CPU. */
export const PASSWORD_MAX_LENGTH = 1024;

// N = 2^15, r = 8: about 32 MiB and tens of milliseconds per hash on a laptop.
const COST = { N: 2 ** 15, r: 8, p: 1 } as const;
const KEY_LENGTH = 32;
const SALT_BYTES = 16;
// Refuse parameters from a stored hash that would make verification a denial of service.
const MAX_N = 2 ** 20;
const MAX_R = 32;
const MAX_P = 16;

function derive(password: string, salt: Buffer, keyLength: number, cost: { N: number; r: number; p: number }): Promise<Buffer> {
  // Node's default maxmem (32 MiB) is just below what N = 2^15, r = 8 needs.
  const options: ScryptOptions = { ...cost, maxmem: 256 * cost.N * cost.r + 1024 * 1024 };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, keyLength, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

/** Length in code points, so an emoji counts as one character, as a person would count it. */
function characterCount(password: string): number {
  let count = 0;
  for (const _ of password) count++;
  return count;
}

/** A reason a password cannot be used, or `null` when it is acceptable. */
export function passwordProblem(password: unknown): string | null {
  const message = `Choose a password of ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters.`;
  if (typeof password !== 'string' || password.length > PASSWORD_MAX_LENGTH * 2) return message;
  const length = characterCount(password);
  return length < PASSWORD_MIN_LENGTH || length > PASSWORD_MAX_LENGTH ? message : null;
}

/** `scrypt$N$r$p$saltB64$hashB64`: parameters travel with the hash so they can be raised later. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, KEY_LENGTH, COST);
  return ['scrypt', COST.N, COST.r, COST.p, salt.toString('base64'), key.toString('base64')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = parts.slice(1, 4).map(Number);
  const validCost = Number.isInteger(N) && N > 1 && (N & (N - 1)) === 0 && N <= MAX_N
    && Number.isInteger(r) && r >= 1 && r <= MAX_R && Number.isInteger(p) && p >= 1 && p <= MAX_P;
  if (!validCost) return false;
  const salt = Buffer.from(parts[4], 'base64');
  const expected = Buffer.from(parts[5], 'base64');
  if (salt.length === 0 || expected.length < 16) return false;
  const actual = await derive(password, salt, expected.length, { N, r, p });
  return timingSafeEqual(actual, expected);
}

let dummyHash: Promise<string> | undefined;

/**
 * Spends the same time as a real check, for sign-ins with an unknown email, so response timing
 * does not reveal which addresses have accounts.
 */
export async function burnPasswordCheck(password: string): Promise<false> {
  dummyHash ??= hashPassword(randomBytes(16).toString('base64'));
  await verifyPassword(password, await dummyHash);
  return false;
}
