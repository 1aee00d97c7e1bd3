import { createHmac } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { signWebhook, verifyWebhookSignature } from '../../../src/events/webhook-signature.ts';

const SECRET = 'whsec-unit-0123456789-abcdefghijklmnopqrstuvwxyz';
const OTHER = 'whsec-other-0123456789-abcdefghijklmnopqrstuvwx';
const body = JSON.stringify({ id: '0b9a…', type: 'email.verified', version: 1, data: { userId: '42', email: 'jane@example.com' } });
const now = 1_800_000_000;

describe('verifyWebhookSignature', () => {
  it('accepts a request signed with the secret, within the window (raw string or bytes)', () => {
    const header = signWebhook(body, [SECRET], now - 10);
    expect(verifyWebhookSignature(body, header, SECRET, { now })).toEqual({ status: 'OK', timestamp: now - 10 });
    expect(verifyWebhookSignature(Buffer.from(body), header, SECRET, { now }).status).toBe('OK');
    // The documented scheme, computed independently: HMAC-SHA-256 over `${t}.${body}`, hex.
    const expected = createHmac('sha256', SECRET).update(`${now}.${body}`).digest('hex');
    expect(signWebhook(body, [SECRET], now)).toBe(`t=${now},v1=${expected}`);
  });

  it('rejects forgeries: another secret, an altered body, a truncated or flipped signature', () => {
    expect(verifyWebhookSignature(body, signWebhook(body, [OTHER], now), SECRET, { now })).toEqual({ status: 'BAD_SIGNATURE' });
    const header = signWebhook(body, [SECRET], now);
    expect(verifyWebhookSignature(body.replace('jane', 'mallory'), header, SECRET, { now }).status).toBe('BAD_SIGNATURE');
    expect(verifyWebhookSignature(`${body} `, header, SECRET, { now }).status).toBe('BAD_SIGNATURE');
    const flipped = header.replace(/v1=(.)/, (_, c: string) => `v1=${c === '0' ? '1' : '0'}`);
    expect(verifyWebhookSignature(body, flipped, SECRET, { now }).status).toBe('BAD_SIGNATURE');
  });

  it('rejects a replay: a captured request after the window is EXPIRED, and re-stamping it breaks the signature', () => {
    const captured = signWebhook(body, [SECRET], now);
    expect(verifyWebhookSignature(body, captured, SECRET, { now: now + 301 })).toEqual({ status: 'EXPIRED', timestamp: now });
    expect(verifyWebhookSignature(body, captured, SECRET, { now: now + 300 }).status).toBe('OK');
    const restamped = captured.replace(`t=${now}`, `t=${now + 301}`);
    expect(verifyWebhookSignature(body, restamped, SECRET, { now: now + 301 }).status).toBe('BAD_SIGNATURE');
    // Far in the future is refused too, and the window is configurable.
    expect(verifyWebhookSignature(body, signWebhook(body, [SECRET], now + 3600), SECRET, { now }).status).toBe('EXPIRED');
    expect(verifyWebhookSignature(body, signWebhook(body, [SECRET], now - 20), SECRET, { now, toleranceSeconds: 10 }).status).toBe('EXPIRED');
  });

  it.each([
    ['no header', undefined],
    ['an empty header', ''],
    ['no timestamp', 'v1=' + 'a'.repeat(64)],
    ['no signature', `t=${now}`],
    ['a short signature', `t=${now},v1=abc`],
    ['a non-hex signature', `t=${now},v1=${'z'.repeat(64)}`],
    ['a non-numeric timestamp', `t=soon,v1=${'a'.repeat(64)}`],
    ['garbage', 'Bearer xyz'],
    ['a huge header', `t=${now},${'x'.repeat(5000)}`],
  ])('answers MALFORMED for %s', (_, header) => {
    expect(verifyWebhookSignature(body, header as string | undefined, SECRET, { now })).toEqual({ status: 'MALFORMED' });
  });

  it('supports a secret rotation on both sides: any matching v1 of any given secret passes', () => {
    const both = signWebhook(body, [OTHER, SECRET], now);
    expect(both.split(',')).toHaveLength(3);
    expect(verifyWebhookSignature(body, both, SECRET, { now }).status).toBe('OK');
    expect(verifyWebhookSignature(body, signWebhook(body, [OTHER], now), [SECRET, OTHER], { now }).status).toBe('OK');
    expect(verifyWebhookSignature(body, `${signWebhook(body, [SECRET], now)},v2=whatever`, SECRET, { now }).status).toBe('OK');
  });

  it('refuses to check against an empty secret (a misconfigured receiver must not pass everything)', () => {
    expect(() => verifyWebhookSignature(body, signWebhook(body, [''], now), '', { now })).toThrow(TypeError);
  });
});
