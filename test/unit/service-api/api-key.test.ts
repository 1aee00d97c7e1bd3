import { describe, expect, it } from '@jest/globals';
import { hashApiKeySecret, newApiKey, parseBearerKey, parseScopes, validKeyName } from '../../../src/service-api/api-key.ts';

describe('API keys', () => {
  it('are vgk_<16 hex id>_<43 base64url secret>, fresh every time, and parse back from a Bearer header', () => {
    const a = newApiKey();
    const b = newApiKey();
    expect(a.key).toMatch(/^vgk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    expect(a.id).not.toBe(b.id);
    expect(a.secret).not.toBe(b.secret);
    expect(parseBearerKey(`Bearer ${a.key}`)).toEqual({ id: a.id, secret: a.secret });
    expect(parseBearerKey(`bearer  ${a.key} `)).toEqual({ id: a.id, secret: a.secret });
  });

  it('refuses anything else without guessing', () => {
    const { key } = newApiKey();
    for (const header of [undefined, '', key, `Basic ${key}`, `Bearer ${key}x`, `Bearer ${key.toUpperCase()}`, `Bearer ${key} extra`,
      `Bearer ${key.replace('vgk_', 'vgx_')}`, `Bearer vgk_${'g'.repeat(16)}_${'a'.repeat(43)}`, ['Bearer', key], `Bearer ${key}${' '.repeat(200)}`]) {
      expect([header, parseBearerKey(header)]).toEqual([header, null]);
    }
  });

  it('hash to a keyed HMAC: the same key and secret give the same hash, any other key or secret another', () => {
    const k1 = Buffer.alloc(32, 1);
    const k2 = Buffer.alloc(32, 2);
    const h = hashApiKeySecret(k1, 'id', 'secret');
    expect(h).toMatch(/^[0-9a-f]{64}$/);
    expect(hashApiKeySecret(k1, 'id', 'secret')).toBe(h);
    expect(hashApiKeySecret(k2, 'id', 'secret')).not.toBe(h);
    expect(hashApiKeySecret(k1, 'id', 'secreT')).not.toBe(h);
    expect(hashApiKeySecret(k1, 'id2', 'secret')).not.toBe(h);
  });

  it('take scopes read and send only, in a fixed order', () => {
    expect(parseScopes('send,read')).toEqual(['read', 'send']);
    expect(parseScopes(' read , read ')).toEqual(['read']);
    expect(parseScopes(['send'])).toEqual(['send']);
    for (const bad of ['', ',', 'read,admin', 'READ', [], [1], undefined, 7]) expect([bad, parseScopes(bad)]).toEqual([bad, null]);
  });

  it('take names people can read', () => {
    expect(validKeyName('billing')).toBe(true);
    expect(validKeyName('billing service: eu-1')).toBe(true);
    for (const bad of ['', ' billing', 'a\nb', 'x'.repeat(101), '<b>', undefined, 3]) expect([bad, validKeyName(bad)]).toEqual([bad, false]);
  });
});
