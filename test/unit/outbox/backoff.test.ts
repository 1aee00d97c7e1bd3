import { describe, expect, it } from '@jest/globals';
import { retryDelayMs } from '../../../src/outbox/backoff.ts';

const HOUR = 3_600_000;
const BASE = 30_000;
const mid = () => 0.5; // jitter factor exactly 1.0
const low = () => 0; // jitter factor 0.8
const high = () => 1; // jitter factor 1.2 (upper bound)

describe('retryDelayMs', () => {
  it('attempt 1 equals base times jitter', () => {
    expect(retryDelayMs(1, BASE, mid)).toBe(BASE);
    expect(retryDelayMs(1, BASE, low)).toBe(BASE * 0.8);
    expect(retryDelayMs(1, BASE, high)).toBe(BASE * 1.2);
    expect(retryDelayMs(1, BASE, () => 0.25)).toBe(Math.round(BASE * 0.9));
  });

  it('doubles with each attempt', () => {
    const delays = [1, 2, 3, 4, 5, 6].map((attempt) => retryDelayMs(attempt, BASE, mid));
    expect(delays).toEqual([30_000, 60_000, 120_000, 240_000, 480_000, 960_000]);
    for (let i = 1; i < delays.length; i++) expect(delays[i]).toBe(delays[i - 1] * 2);
  });

  it('treats attempt 0 and negatives like attempt 1', () => {
    expect(retryDelayMs(0, BASE, mid)).toBe(BASE);
    expect(retryDelayMs(-3, BASE, mid)).toBe(BASE);
  });

  it('caps the delay at one hour before jitter', () => {
    expect(retryDelayMs(8, BASE, mid)).toBe(HOUR); // 30 s · 2^7 = 64 min → capped
    expect(retryDelayMs(50, BASE, mid)).toBe(HOUR);
    expect(retryDelayMs(10_000, BASE, mid)).toBe(HOUR);
    expect(retryDelayMs(1, 10 * HOUR, mid)).toBe(HOUR);
  });

  it('keeps jitter within ±20 % of the capped delay', () => {
    expect(retryDelayMs(50, BASE, low)).toBe(HOUR * 0.8);
    expect(retryDelayMs(50, BASE, high)).toBe(HOUR * 1.2);
    for (let i = 0; i < 500; i++) {
      const delay = retryDelayMs(20, BASE);
      expect(delay).toBeGreaterThanOrEqual(HOUR * 0.8);
      expect(delay).toBeLessThanOrEqual(HOUR * 1.2);
    }
  });

  it('keeps jitter within ±20 % of the exponential delay with the default random', () => {
    for (let attempt = 1; attempt <= 6; attempt++) {
      const expected = BASE * 2 ** (attempt - 1);
      for (let i = 0; i < 50; i++) {
        const delay = retryDelayMs(attempt, BASE);
        expect(delay).toBeGreaterThanOrEqual(expected * 0.8);
        expect(delay).toBeLessThanOrEqual(expected * 1.2);
      }
    }
  });

  it('returns whole milliseconds', () => {
    expect(Number.isInteger(retryDelayMs(3, 1_234, () => 0.3333))).toBe(true);
  });

  it('uses the injected random source', () => {
    let calls = 0;
    retryDelayMs(2, BASE, () => {
      calls++;
      return 0.5;
    });
    expect(calls).toBe(1);
  });
});
