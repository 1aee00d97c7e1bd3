import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { SqlContext } from '../../src/db/sql-context.ts';
import { mikroOrmContext } from '../../src/db/mikro-orm.ts';
import {
  consumeToken, findOpenToken, insertToken, issueToken, reopenToken, supersedeOpenTokens, type NewToken,
} from '../../src/tokens/token-store.ts';
import type { TokenPurpose } from '../../src/tokens/token-purpose.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { ageTokens } from '../helpers/time-travel.ts';

// The token store's statements on a real database, one behaviour at a time.
let db: TestDatabase;
let ctx: SqlContext;
const HOUR = 3_600_000;

beforeAll(async () => {
  db = await createTestDatabase();
  ctx = mikroOrmContext(db.orm.em.fork());
});
afterAll(async () => { await db.close(); });

function token(userId: string, purpose: TokenPurpose, extra: Partial<NewToken> = {}): NewToken {
  return { id: randomUUID(), purpose, userId, userIdType: 'string', email: 'a@example.com', tokenHash: randomUUID(), ttlMs: HOUR, ...extra };
}
const mail = (recipient: string) => ({ id: randomUUID(), kind: 'verify', recipient, payload: 'sealed' });
const rows = (userId: string) => db.orm.em.fork().execute<Array<Record<string, unknown>>>(
  'select purpose, email, new_email, code_hash, used_at, superseded_at, expires_at, created_at from verigate_token where user_id = ? order by created_at', [userId]);
const open = async (userId: string) => (await rows(userId)).filter((r) => r.used_at === null && r.superseded_at === null);

describe('issueToken', () => {
  it('writes the token with its pending address and code hash, and its mails, expiring ttl after the database\'s now', async () => {
    const user = randomUUID();
    const to = `${randomUUID()}@example.com`;
    const outcome = await issueToken(ctx, token(user, 'email_change', { newEmail: 'b@example.com', codeHash: 'c0de', ttlMs: 90_000.4 }), [mail(to), mail(to)]);
    expect(outcome.status).toBe('ISSUED');
    const [row] = await rows(user);
    expect(row).toMatchObject({ purpose: 'email_change', email: 'a@example.com', new_email: 'b@example.com', code_hash: 'c0de' });
    expect(new Date(row.expires_at as string).getTime() - new Date(row.created_at as string).getTime()).toBe(90_000);
    expect((outcome as { expiresAt: Date }).expiresAt).toEqual(new Date(row.expires_at as string));
    expect(await db.orm.em.fork().execute(`select 1 from verigate_outbox where recipient = ? and status = 'pending'`, [to])).toHaveLength(2);
  });

  it('stores no pending address or code when none is given', async () => {
    const user = randomUUID();
    await issueToken(ctx, token(user, 'verify'), []);
    expect((await rows(user))[0]).toMatchObject({ new_email: null, code_hash: null });
  });

  it('supersedes the open token of the same purpose only', async () => {
    const user = randomUUID();
    await issueToken(ctx, token(user, 'verify'), []);
    await issueToken(ctx, token(user, 'email_change'), []);
    await issueToken(ctx, token(user, 'verify'), []);
    expect((await open(user)).map((r) => r.purpose).sort()).toEqual(['email_change', 'verify']);
    expect(await rows(user)).toHaveLength(3);
  });

  it('with unlessVerified, writes nothing for a verified pair; without it, issues anyway', async () => {
    const user = randomUUID();
    await db.orm.em.fork().execute('insert into verigate_verified_email (user_id, email, verified_at) values (?, ?, now())', [user, 'a@example.com']);
    const to = `${randomUUID()}@example.com`;
    expect(await issueToken(ctx, token(user, 'verify'), [mail(to)], { unlessVerified: true })).toEqual({ status: 'ALREADY_VERIFIED' });
    expect(await rows(user)).toHaveLength(0);
    expect(await db.orm.em.fork().execute('select 1 from verigate_outbox where recipient = ?', [to])).toHaveLength(0);
    expect((await issueToken(ctx, token(user, 'verify'), [])).status).toBe('ISSUED');
    expect(await rows(user)).toHaveLength(1);
  });
});

describe('insertToken', () => {
  it('adds an undo link beside the open ones, superseding none', async () => {
    const user = randomUUID();
    const first = await insertToken(ctx, token(user, 'change_revoke'), []);
    expect(first).toBeInstanceOf(Date);
    await insertToken(ctx, token(user, 'change_revoke'), []);
    expect(await open(user)).toHaveLength(2);
  });

  it.each(['verify', 'email_change'] as const)('refuses a token of purpose %s, which must supersede through issueToken', async (purpose) => {
    const user = randomUUID();
    await expect(insertToken(ctx, token(user, purpose), [])).rejects.toThrow(`use issueToken for ${purpose} tokens`);
    expect(await rows(user)).toHaveLength(0);
  });
});

describe('consumeToken', () => {
  const consume = (hash: string, purpose: TokenPurpose, options: Partial<{ recordVerified: boolean; supersede: TokenPurpose[] }> = {}) =>
    consumeToken(ctx, purpose, hash, { recordVerified: true, supersede: [], ...options });
  const verified = (user: string) => db.orm.em.fork().execute<Array<{ email: string }>>('select email from verigate_verified_email where user_id = ?', [user]);

  it('hands back the consumed token, records the pair, and only for its own purpose', async () => {
    const user = randomUUID();
    const t = token(user, 'verify');
    await issueToken(ctx, t, []);
    expect(await consume(t.tokenHash, 'email_change')).toEqual({ consumed: null, reason: 'INVALID' });
    expect(await consume(t.tokenHash, 'verify')).toEqual({
      consumed: { id: t.id, purpose: 'verify', userId: user, userIdType: 'string', email: 'a@example.com', newEmail: null },
    });
    expect(await verified(user)).toEqual([{ email: 'a@example.com' }]);
    expect(await consume(t.tokenHash, 'verify')).toEqual({ consumed: null, reason: 'USED', userId: user });
  });

  it('records the pending address for a change, and nothing without recordVerified', async () => {
    const user = randomUUID();
    const change = token(user, 'email_change', { newEmail: 'new@example.com' });
    await issueToken(ctx, change, []);
    expect((await consume(change.tokenHash, 'email_change')).consumed?.newEmail).toBe('new@example.com');
    expect(await verified(user)).toEqual([{ email: 'new@example.com' }]);
    const other = randomUUID();
    const plain = token(other, 'verify');
    await issueToken(ctx, plain, []);
    expect((await consume(plain.tokenHash, 'verify', { recordVerified: false })).consumed).not.toBeNull();
    expect(await verified(other)).toEqual([]);
  });

  it('never records an empty address (an account that had none)', async () => {
    const user = randomUUID();
    const first = token(user, 'verify', { email: '' });
    await issueToken(ctx, first, []);
    expect((await consume(first.tokenHash, 'verify')).consumed).not.toBeNull();
    expect(await verified(user)).toEqual([]);
  });

  it('closes the user\'s open tokens of the listed purposes, and only those', async () => {
    const user = randomUUID();
    const stranger = randomUUID();
    const [v, change, undo, theirs] = [token(user, 'verify'), token(user, 'email_change'), token(user, 'change_revoke'), token(stranger, 'email_change')];
    for (const t of [v, change, theirs]) await issueToken(ctx, t, []);
    await insertToken(ctx, undo, []);
    await consume(v.tokenHash, 'verify', { supersede: ['verify', 'email_change'] });
    expect(await consume(change.tokenHash, 'email_change')).toEqual({ consumed: null, reason: 'SUPERSEDED', userId: user });
    expect((await open(user)).map((r) => r.purpose)).toEqual(['change_revoke']);
    expect(await open(stranger)).toHaveLength(1);
  });

  it('explains an expired token, and an old verify link whose address got verified another way', async () => {
    const user = randomUUID();
    const old = token(user, 'verify');
    await issueToken(ctx, old, []);
    await ageTokens(db, HOUR + 1, user);
    expect(await consume(old.tokenHash, 'verify')).toEqual({ consumed: null, reason: 'EXPIRED', userId: user });
    const fresh = token(user, 'verify');
    await issueToken(ctx, fresh, []);
    await consume(fresh.tokenHash, 'verify');
    expect(await consume(old.tokenHash, 'verify')).toEqual({ consumed: null, reason: 'ALREADY_VERIFIED', userId: user });
    // Not for changes: a newer change may have moved the account on since.
    const change = token(user, 'email_change');
    await issueToken(ctx, change, []);
    await issueToken(ctx, token(user, 'email_change'), []);
    expect(await consume(change.tokenHash, 'email_change')).toEqual({ consumed: null, reason: 'SUPERSEDED', userId: user });
  });
});

describe('reopenToken, supersedeOpenTokens, findOpenToken', () => {
  it('reopens a consumed token so its link works again', async () => {
    const user = randomUUID();
    const t = token(user, 'email_change');
    await issueToken(ctx, t, []);
    const { consumed } = await consumeToken(ctx, 'email_change', t.tokenHash, { recordVerified: false, supersede: [] });
    await reopenToken(ctx, consumed!.id);
    expect((await consumeToken(ctx, 'email_change', t.tokenHash, { recordVerified: false, supersede: [] })).consumed?.id).toBe(t.id);
  });

  it('supersedes the user\'s open tokens of the given purposes and counts them', async () => {
    const user = randomUUID();
    await issueToken(ctx, token(user, 'verify'), []);
    await issueToken(ctx, token(user, 'email_change'), []);
    await insertToken(ctx, token(user, 'change_revoke'), []);
    expect(await supersedeOpenTokens(ctx, user, ['verify', 'change_revoke'])).toBe(2);
    expect((await open(user)).map((r) => r.purpose)).toEqual(['email_change']);
    expect(await supersedeOpenTokens(ctx, user, ['verify'])).toBe(0);
  });

  it('finds the newest open, unexpired token of a purpose, without its secret', async () => {
    const user = randomUUID();
    expect(await findOpenToken(ctx, user, 'email_change')).toBeNull();
    await issueToken(ctx, token(user, 'email_change', { email: 'old@example.com', newEmail: 'new@example.com' }), []);
    const found = await findOpenToken(ctx, user, 'email_change');
    expect(found).toEqual({ email: 'old@example.com', newEmail: 'new@example.com', expiresAt: expect.any(Date) });
    expect(found!.expiresAt.getTime()).toBeGreaterThan(Date.now() + HOUR - 60_000);
    expect(await findOpenToken(ctx, user, 'verify')).toBeNull();
    await ageTokens(db, HOUR + 1, user);
    expect(await findOpenToken(ctx, user, 'email_change')).toBeNull();
  });
});
