import { describe, expect, it } from '@jest/globals';
import { describeDuration } from '../../../src/verification/describe-duration.ts';

describe('describeDuration', () => {
  it.each([
    [86_400_000, '1 day'],
    [7 * 86_400_000, '7 days'],
    [24 * 3_600_000, '1 day'],
    [36 * 3_600_000, '36 hours'],
    [3_600_000, '1 hour'],
    [15 * 60_000, '15 minutes'],
    [60_000, '1 minute'],
    [90_000, '2 minutes'],
    [10_000, '1 minute'],
  ])('%d ms reads as %s', (ms, text) => {
    expect(describeDuration(ms)).toBe(text);
  });
});
