import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { isInfrastructureError } from '../../../src/http/infrastructure-error.ts';
import { createLimiter, type Limiter, type LimitCheck } from '../../../src/limits/limiter.ts';
import { resolveLimitOptions, type LimitOptions } from '../../../src/limits/limit-options.ts';
import type { Logger } from '../../../src/ports/logger.ts';

const SECRET = Buffer.alloc(32, 7);
const silent: Logger = { info: () => {}, warn: () => {}, error: () => {} };
const user = (key: string): LimitCheck => ({ rule: 'sendsPerUser', key });
const ip = (key: string): LimitCheck => ({ rule: 'sendsPerIp', key });

function memoryLimiter(limits?: LimitOptions | false): Limiter {
  return createLimiter({ limits: resolveLimitOptions(limits), store: { kind: 'memory' }, prefix: 'unit:', keySecret: SECRET, logger: silent });
}

async function consumeTimes(limiter: Limiter, checks: LimitCheck[], times: number) {
  const results = [];
  for (let i = 0; i < times; i++) results.push(await limiter.consume(checks));
  return results;
}

describe('createLimiter (memory store)', () => {
  beforeEach(() => {
    jest.useFakeTimers({ now: new Date('2030-01-01T00:00:00Z'), doNotFake: ['nextTick', 'queueMicrotask'] });
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('allows the default 3 sends per user per hour, then tells how long to wait', async () => {
    const limiter = memoryLimiter();
    const results = await consumeTimes(limiter, [user('u1')], 5);
    expect(results.slice(0, 3)).toEqual([{ ok: true }, { ok: true }, { ok: true }]);
    expect(results[3]).toEqual({ ok: false, rule: 'sendsPerUser', retryAfterSeconds: 3600 });
    jest.advanceTimersByTime(20 * 60_000);
    expect(await limiter.consume([user('u1')])).toEqual({ ok: false, rule: 'sendsPerUser', retryAfterSeconds: 2400 });
  });

  it('opens again when the window ends', async () => {
    const limiter = memoryLimiter({ sendsPerUser: '2/1m' });
    await consumeTimes(limiter, [user('u1')], 2);
    expect((await limiter.consume([user('u1')])).ok).toBe(false);
    jest.advanceTimersByTime(60_000);
    expect(await limiter.consume([user('u1')])).toEqual({ ok: true });
  });

  it('rounds the wait up and never below 1 second', async () => {
    const limiter = memoryLimiter({ sendsPerUser: '1/10s' });
    await limiter.consume([user('u1')]);
    jest.advanceTimersByTime(8_500);
    expect(await limiter.consume([user('u1')])).toEqual({ ok: false, rule: 'sendsPerUser', retryAfterSeconds: 2 });
    jest.advanceTimersByTime(1_499);
    expect(await limiter.consume([user('u1')])).toEqual({ ok: false, rule: 'sendsPerUser', retryAfterSeconds: 1 });
  });

  it('enforces every window of a rule and reports the longest wait', async () => {
    const limiter = memoryLimiter({ sendsPerUser: ['2/1m', '3/1h'] });
    expect(await consumeTimes(limiter, [user('u1')], 3)).toEqual([{ ok: true }, { ok: true }, { ok: false, rule: 'sendsPerUser', retryAfterSeconds: 60 }]);
    jest.advanceTimersByTime(60_000);
    expect(await limiter.consume([user('u1')])).toEqual({ ok: true });
    // Now both windows are full: the hour is the longer wait.
    expect(await limiter.consume([user('u1')])).toEqual({ ok: false, rule: 'sendsPerUser', retryAfterSeconds: 3540 });
  });

  it('reports the wait of a longer window that is full too, without taking from it', async () => {
    const limiter = memoryLimiter({ sendsPerUser: ['1/1m', '1/1h'] });
    await limiter.consume([user('u1')]);
    expect(await limiter.consume([user('u1')])).toEqual({ ok: false, rule: 'sendsPerUser', retryAfterSeconds: 3600 });
    expect(await limiter.peek([user('u1')])).toEqual({ ok: false, rule: 'sendsPerUser', retryAfterSeconds: 3600 });
  });

  it('gives points back when refused, so hammering the short window does not spend the long one', async () => {
    const limiter = memoryLimiter({ sendsPerUser: ['1/1m', '3/1h'] });
    expect(await limiter.consume([user('u1')])).toEqual({ ok: true });
    for (let i = 0; i < 20; i++) expect((await limiter.consume([user('u1')])).ok).toBe(false);
    jest.advanceTimersByTime(60_000);
    expect(await limiter.consume([user('u1')])).toEqual({ ok: true });
    jest.advanceTimersByTime(60_000);
    expect(await limiter.consume([user('u1')])).toEqual({ ok: true });
    jest.advanceTimersByTime(60_000);
    expect(await limiter.consume([user('u1')])).toEqual({ ok: false, rule: 'sendsPerUser', retryAfterSeconds: 3600 - 180 });
  });

  it('gives points back to every window after a refusal, so a burst does not lock the long window', async () => {
    const limiter = memoryLimiter({ sendsPerUser: ['2/1m', '3/1h'] });
    const burst = await Promise.all(Array.from({ length: 30 }, () => limiter.consume([user('u1')])));
    expect(burst.filter((r) => r.ok)).toHaveLength(2);
    jest.advanceTimersByTime(60_000);
    expect(await limiter.consume([user('u1')])).toEqual({ ok: true });
  });

  it('counts several rules at once and names the one that refused', async () => {
    const limiter = memoryLimiter({ sendsPerIp: '2/1h' });
    expect(await limiter.consume([user('a'), ip('10.0.0.1')])).toEqual({ ok: true });
    expect(await limiter.consume([user('b'), ip('10.0.0.1')])).toEqual({ ok: true });
    expect(await limiter.consume([user('c'), ip('10.0.0.1')])).toEqual({ ok: false, rule: 'sendsPerIp', retryAfterSeconds: 3600 });
    // c's refused send from the busy IP did not cost c anything.
    expect(await consumeTimes(limiter, [user('c'), ip('10.0.0.2')], 2)).toEqual([{ ok: true }, { ok: true }]);
    expect(await limiter.consume([user('c'), ip('10.0.0.3')])).toEqual({ ok: true });
    expect(await limiter.consume([user('c'), ip('10.0.0.4')])).toEqual({ ok: false, rule: 'sendsPerUser', retryAfterSeconds: 3600 });
  });

  it('picks the rule with the longest wait when several refuse', async () => {
    const limiter = memoryLimiter({ sendsPerUser: '1/1h', sendsPerRecipient: '1/1d' });
    const checks: LimitCheck[] = [user('u1'), { rule: 'sendsPerRecipient', key: 'a@example.com' }];
    await limiter.consume(checks);
    expect(await limiter.consume(checks)).toEqual({ ok: false, rule: 'sendsPerRecipient', retryAfterSeconds: 86_400 });
  });

  it('keeps keys and rules apart', async () => {
    const limiter = memoryLimiter({ sendsPerUser: '1/1h', passwordAttemptsPerUser: '1/1h' });
    expect(await limiter.consume([user('u1')])).toEqual({ ok: true });
    expect(await limiter.consume([user('u2')])).toEqual({ ok: true });
    expect(await limiter.consume([{ rule: 'passwordAttemptsPerUser', key: 'u1' }])).toEqual({ ok: true });
    expect((await limiter.consume([user('u1')])).ok).toBe(false);
  });

  it('lets everything through with limits: false, and ignores a rule set to false', async () => {
    const off = memoryLimiter(false);
    for (const result of await consumeTimes(off, [user('u1'), ip('10.0.0.1')], 100)) expect(result).toEqual({ ok: true });
    const noIp = memoryLimiter({ sendsPerIp: false, sendsPerUser: '1000/1h' });
    for (const result of await consumeTimes(noIp, [user('u1'), ip('10.0.0.1')], 50)) expect(result).toEqual({ ok: true });
  });

  it('peeks without taking a point', async () => {
    const limiter = memoryLimiter({ sendsPerUser: '2/1h' });
    expect(await limiter.peek([user('u1')])).toEqual({ ok: true });
    await limiter.consume([user('u1')]);
    for (let i = 0; i < 5; i++) expect(await limiter.peek([user('u1')])).toEqual({ ok: true });
    await limiter.consume([user('u1')]);
    expect(await limiter.peek([user('u1')])).toEqual({ ok: false, rule: 'sendsPerUser', retryAfterSeconds: 3600 });
  });

  it('resets every window of a rule for one key', async () => {
    const limiter = memoryLimiter({ passwordAttemptsPerUser: ['2/15m', '5/1d'] });
    const attempt: LimitCheck = { rule: 'passwordAttemptsPerUser', key: 'u1' };
    await consumeTimes(limiter, [attempt], 2);
    expect((await limiter.consume([attempt])).ok).toBe(false);
    await limiter.reset('passwordAttemptsPerUser', 'u1');
    expect(await consumeTimes(limiter, [attempt], 2)).toEqual([{ ok: true }, { ok: true }]);
  });

  it('answers ok for an empty list of checks', async () => {
    expect(await memoryLimiter().consume([])).toEqual({ ok: true });
  });

  it('keeps two limiters in one process independent', async () => {
    const a = memoryLimiter({ sendsPerUser: '1/1h' });
    const b = memoryLimiter({ sendsPerUser: '1/1h' });
    expect(await a.consume([user('u1')])).toEqual({ ok: true });
    expect(await b.consume([user('u1')])).toEqual({ ok: true });
  });

  it('refuses unknown rules and empty keys as programming errors', async () => {
    const limiter = memoryLimiter();
    await expect(limiter.consume([{ rule: 'sendsPerUzer' as never, key: 'u1' }])).rejects.toThrow(TypeError);
    await expect(limiter.consume([user('')])).rejects.toThrow(/non-empty string/);
  });

  it('fails closed once closed', async () => {
    const limiter = memoryLimiter();
    await limiter.close();
    const error = await limiter.consume([user('u1')]).then(() => null, (e: unknown) => e);
    expect(isInfrastructureError(error)).toBe(true);
  });

  it('needs a real key secret', () => {
    expect(() => createLimiter({ limits: false, store: { kind: 'memory' }, prefix: 'p:', keySecret: Buffer.alloc(8) })).toThrow(/keySecret/);
  });
});
