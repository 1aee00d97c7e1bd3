import { describe, expect, it } from '@jest/globals';
import { createLimiter } from '../../../src/limits/limiter.ts';
import { resolveLimitOptions } from '../../../src/limits/limit-options.ts';
import { refusalOf, sendChecks } from '../../../src/verification/send-limits.ts';

describe('sendChecks', () => {
  it('counts the recipient and the user, and over HTTP the client IP', () => {
    expect(sendChecks('u1', 'a@example.com', { ip: '203.0.113.9' })).toEqual([
      { rule: 'sendsPerRecipient', key: 'a@example.com' },
      { rule: 'sendsPerUser', key: 'u1' },
      { rule: 'sendsPerIp', key: '203.0.113.9' },
    ]);
  });

  it('without an IP (a call from code, not a request) counts recipient and user only', () => {
    expect(sendChecks('u1', 'a@example.com')).toEqual([
      { rule: 'sendsPerRecipient', key: 'a@example.com' },
      { rule: 'sendsPerUser', key: 'u1' },
    ]);
    expect(sendChecks('u1', 'a@example.com', { ip: '' })).toHaveLength(2);
  });

  it('has no user to count for an anonymous send', () => {
    expect(sendChecks(null, 'a@example.com', { ip: '203.0.113.9' })).toEqual([
      { rule: 'sendsPerRecipient', key: 'a@example.com' },
      { rule: 'sendsPerIp', key: '203.0.113.9' },
    ]);
  });

  it('counts only the user when an earlier step already counted recipient and IP', () => {
    expect(sendChecks('u1', 'a@example.com', { ip: '203.0.113.9', recipientCounted: true })).toEqual([{ rule: 'sendsPerUser', key: 'u1' }]);
  });
});

describe('refusalOf', () => {
  const limiter = () => createLimiter({
    limits: resolveLimitOptions({ sendsPerUser: '2/1h' }), store: { kind: 'memory' }, prefix: 't:', keySecret: Buffer.alloc(32, 7),
  });

  it('is null while allowed, then the refusal with the wait in seconds', async () => {
    const l = limiter();
    const check = [{ rule: 'sendsPerUser' as const, key: 'u1' }];
    expect(await refusalOf(l, check)).toBeNull();
    expect(await refusalOf(l, check)).toBeNull();
    const refused = await refusalOf(l, check);
    expect(refused).toEqual({ status: 'RATE_LIMITED', retryAfterSeconds: expect.any(Number) });
    expect(refused!.retryAfterSeconds).toBeGreaterThan(3590);
    expect(refused!.retryAfterSeconds).toBeLessThanOrEqual(3600);
    await l.close();
  });
});
