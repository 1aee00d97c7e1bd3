import { describe, expect, it } from '@jest/globals';
import { isExclusivePurpose, TOKEN_PURPOSES } from '../../../src/tokens/token-purpose.ts';

describe('token purposes', () => {
  it('are exactly verify, email_change and change_revoke', () => {
    expect(TOKEN_PURPOSES).toEqual(['verify', 'email_change', 'change_revoke']);
  });

  it.each([['verify', true], ['email_change', true], ['change_revoke', false]] as const)(
    '%s: at most one open per user? %s', (purpose, exclusive) => {
      expect(isExclusivePurpose(purpose)).toBe(exclusive);
    });
});
