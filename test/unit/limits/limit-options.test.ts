import { describe, expect, it } from '@jest/globals';
import { VerigateConfigError } from '../../../src/config/config-error.ts';
import { DEFAULT_LIMITS, LIMIT_RULES, resolveLimitOptions } from '../../../src/limits/limit-options.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

function configError(value: unknown): VerigateConfigError {
  try {
    resolveLimitOptions(value);
  } catch (error) {
    expect(error).toBeInstanceOf(VerigateConfigError);
    return error as VerigateConfigError;
  }
  throw new Error(`expected ${JSON.stringify(value)} to be refused`);
}

describe('resolveLimitOptions', () => {
  it('gives the documented defaults when limits is omitted', () => {
    expect(resolveLimitOptions(undefined)).toEqual({
      sendsPerUser: [{ points: 3, durationMs: HOUR }, { points: 10, durationMs: DAY }],
      sendsPerRecipient: [{ points: 3, durationMs: HOUR }, { points: 10, durationMs: DAY }],
      sendsPerIp: [{ points: 20, durationMs: HOUR }],
      attemptsPerIp: [{ points: 30, durationMs: 10 * MIN }],
      passwordAttemptsPerUser: [{ points: 5, durationMs: 15 * MIN }],
      codeAttemptsPerIp: [{ points: 10, durationMs: 10 * MIN }],
      serviceCallsPerKey: [{ points: 600, durationMs: MIN }],
    });
    expect(Object.keys(DEFAULT_LIMITS)).toEqual([...LIMIT_RULES]);
  });

  it('returns frozen settings, down to each window', () => {
    const limits = resolveLimitOptions({});
    if (!limits) throw new Error('expected limits');
    expect(Object.isFrozen(limits)).toBe(true);
    expect(Object.isFrozen(limits.sendsPerUser)).toBe(true);
    expect(Object.isFrozen(limits.sendsPerUser[0])).toBe(true);
  });

  it('overrides only the rules it names', () => {
    const limits = resolveLimitOptions({ sendsPerIp: ['5/1m', { points: 50, duration: '1d' }], attemptsPerIp: '100/1h' });
    if (!limits) throw new Error('expected limits');
    expect(limits.sendsPerIp).toEqual([{ points: 5, durationMs: MIN }, { points: 50, durationMs: DAY }]);
    expect(limits.attemptsPerIp).toEqual([{ points: 100, durationMs: HOUR }]);
    expect(limits.sendsPerUser).toEqual([{ points: 3, durationMs: HOUR }, { points: 10, durationMs: DAY }]);
  });

  it.each([
    ['3/1h', { points: 3, durationMs: HOUR }],
    [' 30 / 10m ', { points: 30, durationMs: 10 * MIN }],
    ['1/1s', { points: 1, durationMs: 1000 }],
    ['7/0.5m', { points: 7, durationMs: 30_000 }],
    [{ points: 4, duration: 90_000 }, { points: 4, durationMs: 90_000 }],
    [{ points: 4, duration: '2h' }, { points: 4, durationMs: 2 * HOUR }],
  ])('accepts the window %j', (window, expected) => {
    const limits = resolveLimitOptions({ codeAttemptsPerIp: [window] });
    expect(limits && limits.codeAttemptsPerIp).toEqual([expected]);
  });

  it('turns everything off with false, and one rule off with rule: false', () => {
    expect(resolveLimitOptions(false)).toBe(false);
    const limits = resolveLimitOptions({ sendsPerIp: false });
    expect(limits && limits.sendsPerIp).toEqual([]);
    expect(limits && limits.sendsPerUser).toHaveLength(2);
  });

  it.each([
    ['a string', 'strict', /limits must be an object/],
    ['an array', ['3/1h'], /limits must be an object/],
    ['true', true, /limits must be an object/],
    ['a window without a unit', { sendsPerUser: '3/60' }, /whole number of seconds/],
    ['an unknown unit', { sendsPerUser: '3/1w' }, /whole number of seconds/],
    ['no slash', { sendsPerUser: '3 per hour' }, /not a window like '3\/1h'/],
    ['zero points', { sendsPerUser: '0/1h' }, /points must be a whole number of 1 or more/],
    ['fractional points', { sendsPerUser: { points: 1.5, duration: '1h' } }, /points must be a whole number/],
    ['points as a string', { sendsPerUser: { points: '3', duration: '1h' } }, /points must be a whole number/],
    ['a sub-second window', { sendsPerUser: '3/500ms' }, /at least 1s/],
    ['a fractional-second window', { sendsPerUser: '3/1.5s' }, /whole number of seconds/],
    ['a negative duration', { sendsPerUser: { points: 3, duration: -1000 } }, /whole number of seconds/],
    ['an empty list', { sendsPerUser: [] }, /empty list/],
    ['two windows of one length', { sendsPerUser: ['3/1h', '5/60m'] }, /same duration/],
    ['a number', { sendsPerUser: 3 }, /must be a window like '3\/1h'/],
    ['null', { sendsPerUser: null }, /must be a window like '3\/1h'/],
    ['true for a rule', { sendsPerUser: true }, /must be a window like '3\/1h'/],
  ])('refuses %s with VERIGATE_INVALID_LIMITS and a hint', (_name, value, message) => {
    const error = configError(value);
    expect(error.code).toBe('VERIGATE_INVALID_LIMITS');
    expect(error.message).toMatch(message);
    expect(error.hint.length).toBeGreaterThan(10);
  });

  it.each([
    ['sendsPerUsr', 'sendsPerUser'],
    ['sendPerIp', 'sendsPerIp'],
    ['attemptsPerIP', 'attemptsPerIp'],
    ['passwordAttemptPerUser', 'passwordAttemptsPerUser'],
    ['codeAttemptPerIp', 'codeAttemptsPerIp'],
  ])('suggests the rule a misspelt %s was meant to be', (key, meant) => {
    const error = configError({ [key]: '3/1h' });
    expect(error.code).toBe('VERIGATE_INVALID_LIMITS');
    expect(error.message).toContain(`Unknown option limits.${key}`);
    expect(error.hint).toBe(`Did you mean limits.${meant}?`);
  });

  it('lists the rules when a key resembles none', () => {
    expect(configError({ maximumEverything: 1 }).hint).toContain('Known rules: sendsPerUser');
  });

  it('suggests points or duration for a misspelt window key', () => {
    const error = configError({ sendsPerUser: { points: 3, duraton: '1h' } });
    expect(error.hint).toBe('Did you mean duration?');
  });
});
