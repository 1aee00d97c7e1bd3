import { describe, expect, it } from '@jest/globals';
import { auditedLimiter } from '../../../src/audit/audited-limiter.ts';
import type { AuditEntry } from '../../../src/audit/audit-event.ts';
import type { AuditTrail } from '../../../src/audit/audit-trail.ts';
import { createLimiter } from '../../../src/limits/limiter.ts';
import { resolveLimitOptions } from '../../../src/limits/limit-options.ts';

function setup() {
  const entries: AuditEntry[] = [];
  const trail: AuditTrail = { record: async (entry) => { entries.push(entry); }, forUser: async () => [] };
  let now = 0;
  const limiter = createLimiter({ limits: resolveLimitOptions({ sendsPerUser: '1/1h' }), store: { kind: 'memory' }, prefix: 't:', keySecret: Buffer.alloc(32, 7) });
  return { entries, limiter: auditedLimiter(limiter, trail, () => now), tick: (ms: number) => { now += ms; } };
}

const send = [{ rule: 'sendsPerRecipient' as const, key: 'jdoe@gmail.com' }, { rule: 'sendsPerUser' as const, key: 'u1' }, { rule: 'sendsPerIp' as const, key: '10.0.0.9' }];

describe('auditedLimiter', () => {
  it('reports a refusal with whom it stopped: the user, the recipient (masked later), the IP and the rule', async () => {
    const { entries, limiter } = setup();
    expect((await limiter.consume(send)).ok).toBe(true);
    expect(entries).toEqual([]);
    expect((await limiter.consume(send)).ok).toBe(false);
    expect(entries).toEqual([{ event: 'verification.limited', outcome: 'limited', reason: 'sendsPerUser', userKey: 'u1', email: 'jdoe@gmail.com', ip: '10.0.0.9', detail: { retryAfterSeconds: 3600 } }]);
  });

  it('reports the same refusal once a minute, so a flood of 429s writes no flood of rows', async () => {
    const { entries, limiter, tick } = setup();
    await limiter.consume(send);
    for (let i = 0; i < 20; i++) await limiter.consume(send);
    expect(entries).toHaveLength(1);
    tick(60_000);
    await limiter.consume(send);
    expect(entries).toHaveLength(2);
    // Another user is reported at once.
    await limiter.consume([{ rule: 'sendsPerUser', key: 'u2' }]);
    await limiter.consume([{ rule: 'sendsPerUser', key: 'u2' }]);
    expect(entries.at(-1)).toMatchObject({ userKey: 'u2' });
  });
});
