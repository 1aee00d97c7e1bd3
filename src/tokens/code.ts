import { createHmac, randomInt } from 'node:crypto';

/** No 0/O, 1/I/L: nothing a person can misread or mistype into another valid character. 31 symbols, 8 of them ≈ 39.6 bits. */
export const CODE_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
export const CODE_LENGTH = 8;
/** Wrong codes a token tolerates before its code stops working (its link still does). */
export const MAX_CODE_ATTEMPTS = 5;

/** A fresh code from the CSPRNG, without modulo bias. */
export function createCode(): string {
  let code = '';
  for (let i = 0; i < CODE_LENGTH; i++) code += CODE_ALPHABET[randomInt(CODE_ALPHABET.length)];
  return code;
}

/** `ABCD-EFGH`: how a code is shown in mail, easier to read and type. */
export function formatCode(code: string): string {
  return `${code.slice(0, 4)}-${code.slice(4)}`;
}

/**
 * What a person typed, as a code, or `null` if it cannot be one: case and separators (spaces,
 * dashes) are forgiven, and the lookalikes the alphabet leaves out are read as what they resemble
 * (`0`→`O` is not in the alphabet, so `0` is refused rather than guessed).
 */
export function normaliseCode(input: unknown): string | null {
  if (typeof input !== 'string' || input.length > 32) return null;
  const code = input.toUpperCase().replace(/[\s-]/g, '');
  if (code.length !== CODE_LENGTH) return null;
  for (const ch of code) if (!CODE_ALPHABET.includes(ch)) return null;
  return code;
}

/** Stored instead of the code: keyed, so a copy of the table cannot be brute-forced offline. */
export function hashCode(key: Buffer, code: string): string {
  return createHmac('sha256', key).update(`code:${code}`).digest('hex');
}
