import { randomBytes } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { open, seal } from '../../../src/crypto/seal.ts';

const key = randomBytes(32);
const message = { kind: 'verify', to: 'alice@example.com', email: { subject: 'Confirm', text: 'https://app.example.com/verify/confirm?token=SECRETTOKEN123' } };

function parts(sealed: string): [string, string, string, string] {
  const split = sealed.split('.');
  expect(split).toHaveLength(4);
  return [split[0], split[1], split[2], split[3]];
}

function flipFirstByte(base64url: string): string {
  const bytes = Buffer.from(base64url, 'base64url');
  bytes[0] ^= 0x01;
  return bytes.toString('base64url');
}

describe('seal / open', () => {
  it('round-trips JSON values', () => {
    for (const value of [message, 'text', 42, null, [1, 'two', { three: 3 }], { unicode: 'Ünï 😀 \u2028' }]) {
      expect(open(key, seal(key, value))).toEqual(value);
    }
  });

  it('produces v1.<iv>.<tag>.<ciphertext> in base64url with a 12-byte IV and 16-byte tag', () => {
    const [version, iv, tag, body] = parts(seal(key, message));
    expect(version).toBe('v1');
    for (const part of [iv, tag, body]) expect(part).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(Buffer.from(iv, 'base64url')).toHaveLength(12);
    expect(Buffer.from(tag, 'base64url')).toHaveLength(16);
  });

  it('uses a fresh IV each time, so equal values seal differently', () => {
    const a = seal(key, message);
    const b = seal(key, message);
    expect(a).not.toBe(b);
    expect(parts(a)[1]).not.toBe(parts(b)[1]);
  });

  it('never contains the plaintext', () => {
    const sealed = seal(key, message);
    expect(sealed).not.toContain('alice');
    expect(sealed).not.toContain('SECRETTOKEN123');
    expect(sealed).not.toContain(Buffer.from(JSON.stringify(message)).toString('base64url').slice(0, 20));
    expect(Buffer.from(sealed.split('.')[3], 'base64url').toString('utf8')).not.toContain('alice');
  });

  it('throws on tampered ciphertext', () => {
    const [version, iv, tag, body] = parts(seal(key, message));
    expect(() => open(key, [version, iv, tag, flipFirstByte(body)].join('.'))).toThrow();
  });

  it('throws on a tampered tag', () => {
    const [version, iv, tag, body] = parts(seal(key, message));
    expect(() => open(key, [version, iv, flipFirstByte(tag), body].join('.'))).toThrow();
  });

  it('throws on a tampered IV', () => {
    const [version, iv, tag, body] = parts(seal(key, message));
    expect(() => open(key, [version, flipFirstByte(iv), tag, body].join('.'))).toThrow();
  });

  it('throws on truncated ciphertext', () => {
    const [version, iv, tag, body] = parts(seal(key, message));
    expect(() => open(key, [version, iv, tag, body.slice(0, -4)].join('.'))).toThrow();
    expect(() => open(key, [version, iv, tag, ''].join('.'))).toThrow();
  });

  // GCM tags may be legally shortened; without authTagLength Node accepts a 4-byte prefix of the
  // real tag, cutting forgery cost from 2^128 to 2^32. open() must insist on the full 16 bytes.
  it('throws on a truncated (short) authentication tag', () => {
    const [version, iv, tag, body] = parts(seal(key, message));
    for (const length of [4, 8, 12, 15]) {
      const short = Buffer.from(tag, 'base64url').subarray(0, length).toString('base64url');
      expect(() => open(key, [version, iv, short, body].join('.'))).toThrow();
    }
  });

  it('throws with the wrong key', () => {
    const sealed = seal(key, message);
    expect(() => open(randomBytes(32), sealed)).toThrow();
  });

  it.each(['', 'garbage', 'v1', 'v1.', 'v1..', 'v1.a.b', 'v2.AAAA.AAAA.AAAA', '....', 'v1.!!!.@@@.###'])(
    'throws on garbage %j',
    (sealed) => {
      expect(() => open(key, sealed)).toThrow();
    },
  );

  it('throws on a payload with a different version', () => {
    const [, iv, tag, body] = parts(seal(key, message));
    expect(() => open(key, ['v2', iv, tag, body].join('.'))).toThrow(/unreadable/);
  });
});
