import { describe, expect, it } from '@jest/globals';
import type { SqlContext } from '../../../src/db/sql-context.ts';
import { insertToken, issueToken, type NewToken } from '../../../src/tokens/token-store.ts';

// The retry around the issue statement, on a context that answers as the statement would under
// contention: a row with no expiry means a concurrent issue won the unique index and nothing was written.
type Answer = { already_verified: boolean; expires_at: string | null };
function contended(answers: Answer[]): SqlContext & { calls: number; params: unknown[][] } {
  const ctx = {
    calls: 0,
    params: [] as unknown[][],
    async query<T>(_text: string, params: readonly unknown[] = []): Promise<T[]> {
      ctx.params.push([...params]);
      return [answers[Math.min(ctx.calls++, answers.length - 1)] as T];
    },
  };
  return ctx;
}
const LOST: Answer = { already_verified: false, expires_at: null };
const token: NewToken = { id: 'id', purpose: 'verify', userId: 'u', userIdType: 'string', email: 'a@example.com', tokenHash: 'h', ttlMs: 1000 };

describe('issueToken under contention', () => {
  it('runs the statement again until it writes, then reports the expiry', async () => {
    const ctx = contended([LOST, LOST, { already_verified: false, expires_at: '2030-01-01T00:00:00.000Z' }]);
    expect(await issueToken(ctx, token, [])).toEqual({ status: 'ISSUED', expiresAt: new Date('2030-01-01T00:00:00.000Z') });
    expect(ctx.calls).toBe(3);
    // The very same statement each time: same token, same mails.
    expect(ctx.params[2]).toEqual(ctx.params[0]);
  });

  it('stops at once when the pair turned out verified', async () => {
    const ctx = contended([LOST, { already_verified: true, expires_at: null }]);
    expect(await issueToken(ctx, token, [], { unlessVerified: true })).toEqual({ status: 'ALREADY_VERIFIED' });
    expect(ctx.calls).toBe(2);
  });

  it('gives up after 50 attempts with an error that names the purpose', async () => {
    const ctx = contended([LOST]);
    await expect(issueToken(ctx, { ...token, purpose: 'email_change' }, [])).rejects
      .toThrow('verigate: could not issue a email_change token after 50 attempts (constant contention on one user)');
    expect(ctx.calls).toBe(50);
  }, 20_000);

  it('insertToken reports a statement that wrote nothing as a bug', async () => {
    await expect(insertToken(contended([{ already_verified: true, expires_at: null }]), { ...token, purpose: 'change_revoke' }, []))
      .rejects.toThrow('verigate: token was not inserted');
  });
});
