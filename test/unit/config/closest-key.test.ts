import { describe, expect, it } from '@jest/globals';
import { closestKey } from '../../../src/config/closest-key.ts';

const TOP = ['baseUrl', 'secret', 'em', 'mail', 'tokenTtl', 'environment', 'appName', 'views', 'layout',
  'loginPath', 'afterVerifyPath', 'getUser', 'hooks', 'logger', 'clock', 'worker'] as const;

describe('closestKey', () => {
  it.each([
    ['baseURL', 'baseUrl'],
    ['basUrl', 'baseUrl'],
    ['baseurl', 'baseUrl'],
    ['base_url', 'baseUrl'],
    ['tokenTTL', 'tokenTtl'],
    ['secert', 'secret'],
    ['enviroment', 'environment'],
    ['afterVerifiedPath', 'afterVerifyPath'],
    ['hook', 'hooks'],
  ])('suggests %s → %s', (input, expected) => {
    expect(closestKey(input, TOP)).toBe(expected);
  });

  it('suggests within nested key sets', () => {
    expect(closestKey('form', ['from', 'transport'])).toBe('from');
    expect(closestKey('pollIntervall', ['autoStart', 'pollInterval', 'maxAttempts'])).toBe('pollInterval');
    expect(closestKey('onVerifed', ['onVerificationSent', 'onVerified'])).toBe('onVerified');
  });

  it.each(['zzzzzzzzzz', 'database', 'password', 'qwertyuiopasdf'])('returns undefined for unrelated %j', (input) => {
    expect(closestKey(input, TOP)).toBeUndefined();
  });

  it('returns undefined with no known keys', () => {
    expect(closestKey('baseUrl', [])).toBeUndefined();
  });

  it('returns an exact match', () => {
    expect(closestKey('worker', TOP)).toBe('worker');
  });
});
