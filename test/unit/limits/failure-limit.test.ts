import { describe, expect, it } from '@jest/globals';
import { createFailureLimit } from '../../../src/limits/failure-limit.ts';
import { createLimiter, type Limiter } from '../../../src/limits/limiter.ts';
import { resolveLimitOptions } from '../../../src/limits/limit-options.ts';

const KEY = Buffer.alloc(32, 7);
const memoryLimiter = (attemptsPerIp: string) =>
  createLimiter({ limits: resolveLimitOptions({ attemptsPerIp }), store: { kind: 'memory' }, prefix: 't:', keySecret: KEY });

/** Counts what reaches the real limiter underneath. */
function counting(limiter: Limiter, available = () => true) {
  const calls: string[] = [];
  return {
    calls,
    limiter: { ...limiter, available, consume: (checks: Parameters<Limiter['consume']>[0]) => { calls.push(checks.map((c) => c.key).join()); return limiter.consume(checks); } } as Limiter,
  };
}

describe('failure limit (failed link attempts per IP)', () => {
  it('admits without touching the store, counts only failures, and refuses the failure past the limit', async () => {
    const { limiter, calls } = counting(memoryLimiter('3/10m'));
    const limit = createFailureLimit(limiter, 'attemptsPerIp');
    for (let i = 0; i < 10; i++) expect(limit.admit('1.2.3.4')).toEqual({ ok: true });
    expect(calls).toEqual([]);
    for (let i = 0; i < 3; i++) expect((await limit.failed('1.2.3.4')).ok).toBe(true);
    const fourth = await limit.failed('1.2.3.4');
    expect(fourth).toEqual({ ok: false, rule: 'attemptsPerIp', retryAfterSeconds: 600 });
    expect(calls).toHaveLength(4);
  });

  it('remembers a refused key: later attempts are refused before any lookup, until the window ends', async () => {
    let now = 1_000_000;
    const { limiter, calls } = counting(memoryLimiter('1/1m'));
    const limit = createFailureLimit(limiter, 'attemptsPerIp', { now: () => now });
    await limit.failed('ip-a');
    expect((await limit.failed('ip-a')).ok).toBe(false);
    const before = calls.length;
    expect(limit.admit('ip-a')).toEqual({ ok: false, rule: 'attemptsPerIp', retryAfterSeconds: 60 });
    now += 30_500;
    expect(limit.admit('ip-a')).toEqual({ ok: false, rule: 'attemptsPerIp', retryAfterSeconds: 30 });
    expect(limit.admit('ip-b')).toEqual({ ok: true });
    expect(calls).toHaveLength(before);
    now += 30_000;
    expect(limit.admit('ip-a')).toEqual({ ok: true });
  });

  it('keeps at most maxBlocked keys, dropping the oldest', async () => {
    const limit = createFailureLimit(memoryLimiter('1/1h'), 'attemptsPerIp', { maxBlocked: 2 });
    for (const ip of ['a', 'b', 'c']) { await limit.failed(ip); await limit.failed(ip); }
    expect(limit.admit('a').ok).toBe(true);
    expect(limit.admit('b').ok).toBe(false);
    expect(limit.admit('c').ok).toBe(false);
  });

  it('fails closed: refuses to admit anyone while the store is not connected', () => {
    const { limiter } = counting(memoryLimiter('3/10m'), () => false);
    const limit = createFailureLimit(limiter, 'attemptsPerIp');
    expect(() => limit.admit('1.2.3.4')).toThrow(expect.objectContaining({ name: 'ServiceUnavailableError' }));
  });

  it('a closed limiter is not available', async () => {
    const limiter = memoryLimiter('3/10m');
    expect(limiter.available()).toBe(true);
    await limiter.close();
    expect(limiter.available()).toBe(false);
  });
});
