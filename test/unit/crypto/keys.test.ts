import { describe, expect, it } from '@jest/globals';
import { deriveKeys } from '../../../src/crypto/keys.ts';

const SECRET = 'a-long-random-secret-of-at-least-32-characters!';

describe('deriveKeys', () => {
  it('is deterministic per secret', () => {
    const a = deriveKeys(SECRET);
    const b = deriveKeys(SECRET);
    expect(a.tokenHash.equals(b.tokenHash)).toBe(true);
    expect(a.outboxSeal.equals(b.outboxSeal)).toBe(true);
  });

  it('derives 32-byte Buffers', () => {
    const keys = deriveKeys(SECRET);
    expect(Buffer.isBuffer(keys.tokenHash)).toBe(true);
    expect(Buffer.isBuffer(keys.outboxSeal)).toBe(true);
    expect(keys.tokenHash).toHaveLength(32);
    expect(keys.outboxSeal).toHaveLength(32);
  });

  it('uses independent 32-byte keys per purpose', () => {
    const keys = deriveKeys(SECRET);
    const all = [keys.tokenHash, keys.outboxSeal, keys.lookupHash, keys.dataSeal, keys.apiKeyHash, keys.auditHash];
    for (const key of all) expect(key).toHaveLength(32);
    expect(new Set(all.map((k) => k.toString('hex'))).size).toBe(all.length);
  });

  it('derives different keys from different secrets', () => {
    const a = deriveKeys(SECRET);
    const b = deriveKeys(`${SECRET}x`);
    expect(a.tokenHash.equals(b.tokenHash)).toBe(false);
    expect(a.outboxSeal.equals(b.outboxSeal)).toBe(false);
  });

  it('does not use the secret itself as a key', () => {
    const keys = deriveKeys(SECRET);
    const raw = Buffer.from(SECRET).subarray(0, 32);
    expect(keys.tokenHash.equals(raw)).toBe(false);
    expect(keys.outboxSeal.equals(raw)).toBe(false);
    expect(keys.tokenHash.toString('latin1')).not.toContain(SECRET.slice(0, 8));
  });

  it('returns a frozen object', () => {
    const keys = deriveKeys(SECRET);
    expect(Object.isFrozen(keys)).toBe(true);
  });
});
