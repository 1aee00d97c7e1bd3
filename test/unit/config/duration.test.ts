import { describe, expect, it } from '@jest/globals';
import { parseDuration } from '../../../src/config/duration.ts';

describe('parseDuration', () => {
  it.each([
    ['30s', 30_000],
    ['15m', 900_000],
    ['24h', 86_400_000],
    ['7d', 604_800_000],
    ['250ms', 250],
    ['1.5h', 5_400_000],
    [' 2m ', 120_000],
    ['2 m', 120_000],
  ])('parses %j as %d ms', (input, expected) => {
    expect(parseDuration(input)).toBe(expected);
  });

  it.each([[1], [30_000], [0.5], [86_400_000]])('accepts the number %p as milliseconds', (value) => {
    expect(parseDuration(value)).toBe(value);
  });

  it.each([
    ['soon'],
    [''],
    ['10'],
    ['10 years'],
    ['5y'],
    ['-5m'],
    ['0s'],
    ['0'],
    ['1e3s'],
    ['15M'],
    ['1h30m'],
    ['m'],
    ['Infinityh'],
  ])('refuses the string %j', (input) => {
    expect(parseDuration(input)).toBeNull();
  });

  it.each([[0], [-1], [-0], [Number.NaN], [Number.POSITIVE_INFINITY], [Number.NEGATIVE_INFINITY]])(
    'refuses the number %p',
    (input) => {
      expect(parseDuration(input)).toBeNull();
    },
  );

  it.each([[null], [undefined], [true], [{}], [['1s']]])('refuses %p', (input) => {
    expect(parseDuration(input)).toBeNull();
  });
});
