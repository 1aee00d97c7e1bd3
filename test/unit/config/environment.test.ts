import { describe, expect, it } from '@jest/globals';
import { environmentFromNodeEnv, isNonProduction } from '../../../src/config/environment.ts';

describe('the one environment rule', () => {
  it.each([
    ['development', 'development'], ['test', 'test'],
    ['production', 'production'], ['Production', 'production'], ['PRODUCTION', 'production'], ['staging', 'production'],
    ['Development', 'production'], ['dev', 'production'], [' development', 'production'], ['', 'production'], [undefined, 'production'],
  ] as const)('NODE_ENV=%p → %s', (nodeEnv, expected) => {
    expect(environmentFromNodeEnv(nodeEnv)).toBe(expected);
    expect(isNonProduction(nodeEnv)).toBe(expected !== 'production');
  });
});
