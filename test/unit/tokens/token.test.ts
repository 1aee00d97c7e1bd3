import { randomBytes } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { createToken, hashToken, isWellFormedToken } from '../../../src/tokens/token.ts';

describe('createToken', () => {
  it('returns 43 characters of unpadded base64url (32 bytes)', () => {
    const token = createToken();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(token, 'base64url')).toHaveLength(32);
  });

  it('is unique across many calls', () => {
    const tokens = new Set(Array.from({ length: 5_000 }, () => createToken()));
    expect(tokens.size).toBe(5_000);
  });

  it('is accepted by isWellFormedToken', () => {
    for (let i = 0; i < 200; i++) expect(isWellFormedToken(createToken())).toBe(true);
  });
});

describe('isWellFormedToken', () => {
  const valid = createToken();

  it('accepts a 43-character base64url string including - and _', () => {
    expect(isWellFormedToken('A'.repeat(41) + '-_')).toBe(true);
  });

  it.each([
    ['empty', ''],
    ['42 characters', 'a'.repeat(42)],
    ['44 characters', 'a'.repeat(44)],
    ['10 kB', 'a'.repeat(10_240)],
    ['a plus sign', `${'a'.repeat(42)}+`],
    ['a slash', `${'a'.repeat(42)}/`],
    ['padding', `${'a'.repeat(42)}=`],
    ['a space', `${'a'.repeat(42)} `],
    ['a trailing newline', `${'a'.repeat(43)}\n`],
    ['a leading newline', `\n${'a'.repeat(43)}`],
    ['a dot', `${'a'.repeat(42)}.`],
    ['non-ASCII', `${'a'.repeat(42)}é`],
  ])('refuses %s', (_name, value) => {
    expect(isWellFormedToken(value)).toBe(false);
  });

  it('refuses a valid token with extra characters around it', () => {
    expect(isWellFormedToken(`${valid}x`)).toBe(false);
    expect(isWellFormedToken(`x${valid}`)).toBe(false);
    expect(isWellFormedToken(` ${valid}`)).toBe(false);
  });

  it.each([[undefined], [null], [43], [{}], [[valid]], [Buffer.from(valid)]])('refuses non-string %p', (value) => {
    expect(isWellFormedToken(value)).toBe(false);
  });
});

describe('hashToken', () => {
  const key = randomBytes(32);
  const token = createToken();

  it('is 64 lower-case hex characters', () => {
    expect(hashToken(key, token)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('is deterministic for the same key and token', () => {
    expect(hashToken(key, token)).toBe(hashToken(Buffer.from(key), token));
  });

  it('differs across keys', () => {
    expect(hashToken(randomBytes(32), token)).not.toBe(hashToken(key, token));
  });

  it('differs across tokens', () => {
    expect(hashToken(key, createToken())).not.toBe(hashToken(key, token));
  });

  it('does not contain the token', () => {
    const hash = hashToken(key, token);
    expect(hash).not.toContain(token);
    expect(hash).not.toContain(token.slice(0, 16));
    expect(hash).not.toContain(Buffer.from(token, 'base64url').toString('hex'));
  });

  it('is HMAC-SHA-256, keyed (matches a known vector)', () => {
    // RFC 4231 test case 2.
    expect(hashToken(Buffer.from('Jefe'), 'what do ya want for nothing?')).toBe(
      '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    );
  });
});
