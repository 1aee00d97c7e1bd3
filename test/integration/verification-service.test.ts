import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { deriveKeys } from '../../src/crypto/keys.ts';
import { open } from '../../src/crypto/seal.ts';
import type { EmailRenderer, RenderedEmail } from '../../src/ports/mail.ts';
import { hashToken } from '../../src/tokens/token.ts';
import { createTestCore } from '../helpers/core.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { TEST_SECRET } from '../helpers/services.ts';
import { ageTokens } from '../helpers/time-travel.ts';
import { holdRowLocks, waitForLockWaiters } from '../helpers/lock-barrier.ts';

const HOUR = 3_600_000;
let db: TestDatabase;
// The renderer is pure presentation; the core's contract is that it receives the link.
const links: string[] = [];
const codes: string[] = [];
const rendered: Array<{ kind: string; link?: string }> = [];
const renderer: EmailRenderer = {
  async render(kind, data) {
    rendered.push({ kind, link: data.link });
    if (kind !== 'verify') return { subject: kind, html: '', text: '' };
    links.push(data.link!);
    codes.push(data.code!);
    return { subject: `Confirm (${kind})`, html: `<a href="${data.link}">go</a>`, text: data.link! };
  },
};

const cores: Array<{ close(): Promise<void> }> = [];

function service(overrides: { tokenTtl?: string; hooks?: Record<string, unknown>; databaseTimeout?: string; users?: Record<string, unknown> } = {}) {
  const core = createTestCore(db, renderer, overrides as never);
  cores.push(core);
  return { svc: core.verification, keys: deriveKeys(TEST_SECRET), core };
}

const lastToken = () => new URL(links.at(-1)!).searchParams.get('token')!;
const newUser = () => ({ id: randomUUID(), email: `User.${randomUUID().slice(0, 8)}@Example.COM` });

beforeAll(async () => { db = await createTestDatabase(); });
afterAll(async () => {
  for (const core of cores) await core.close();
  await db.close();
});

describe('issue', () => {
  it('stores only a keyed hash of the token, bound to the canonical email, with a sealed outbox row', async () => {
    const { svc, keys } = service();
    const user = newUser();
    const before = Date.now();
    const result = await svc.issue(user);
    expect(result.status).toBe('SENT');
    // Expiry comes from the database's clock: 24 h after the row was written.
    const expiresAt = (result as { expiresAt: Date }).expiresAt.getTime();
    expect(expiresAt).toBeGreaterThanOrEqual(before + 24 * HOUR - 1000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 24 * HOUR + 1000);
    const token = lastToken();
    expect(links.at(-1)).toBe(`https://app.test/verify/confirm?token=${token}`);

    const rows = await db.orm.em.fork().execute('select * from verigate_token where user_id = ?', [user.id]);
    expect(rows).toHaveLength(1);
    expect(rows[0].token_hash).toBe(hashToken(keys.tokenHash, token));
    expect(rows[0].email).toBe(user.email.replace('Example.COM', 'example.com'));
    expect(JSON.stringify(rows)).not.toContain(token);

    const outbox = await db.orm.em.fork().execute('select * from verigate_outbox where recipient = ?', [user.email]);
    expect(outbox).toHaveLength(1);
    expect(outbox[0].status).toBe('pending');
    expect(JSON.stringify(outbox)).not.toContain(token);
    expect(open<RenderedEmail>(keys.outboxSeal, outbox[0].payload).text).toContain(token);
  });

  it('supersedes the older open token of the same user', async () => {
    const { svc } = service();
    const user = newUser();
    await svc.issue(user);
    const first = lastToken();
    await svc.issue(user);
    const second = lastToken();
    expect(await svc.confirm(first)).toEqual({ status: 'TOKEN_SUPERSEDED' });
    expect((await svc.confirm(second)).status).toBe('VERIFIED');
  });

  it('refuses an invalid stored address without writing anything', async () => {
    const { svc } = service();
    const id = randomUUID();
    expect(await svc.issue({ id, email: 'x@y.com\r\nBcc: z@evil.test' })).toMatchObject({ status: 'INVALID_EMAIL' });
    expect(await db.orm.em.fork().execute('select 1 from verigate_token where user_id = ?', [id])).toHaveLength(0);
  });

  it('answers ALREADY_VERIFIED for a verified pair and queues nothing', async () => {
    const { svc } = service();
    const user = newUser();
    await svc.issue(user);
    await svc.confirm(lastToken());
    const queued = async () => (await db.orm.em.fork().execute('select 1 from verigate_outbox where recipient = ?', [user.email])).length;
    const tokens = async () => (await db.orm.em.fork().execute('select 1 from verigate_token where user_id = ?', [user.id])).length;
    const [mailsBefore, tokensBefore] = [await queued(), await tokens()];
    expect(await svc.issue(user)).toEqual({ status: 'ALREADY_VERIFIED' });
    expect(await queued()).toBe(mailsBefore);
    expect(await tokens()).toBe(tokensBefore);
  });
});

describe('confirm', () => {
  it('verifies once, then reports the token as used', async () => {
    const { svc } = service();
    const user = newUser();
    await svc.issue(user);
    const token = lastToken();
    expect(await svc.isVerified(user)).toBe(false);
    expect(await svc.confirm(token)).toEqual({ status: 'VERIFIED', userId: user.id, email: user.email.replace('Example.COM', 'example.com') });
    expect(await svc.isVerified(user)).toBe(true);
    expect(await svc.isVerified({ id: user.id, email: user.email.toLowerCase().replace('user', 'other') })).toBe(false);
    expect(await svc.confirm(token)).toEqual({ status: 'TOKEN_USED' });
  });

  it('reports an expired token as expired, and leaves it unused', async () => {
    const { svc } = service({ tokenTtl: '1h' });
    const user = newUser();
    await svc.issue(user);
    const token = lastToken();
    await ageTokens(db, HOUR + 1, user.id);
    expect(await svc.confirm(token)).toEqual({ status: 'TOKEN_EXPIRED' });
    expect(await svc.isVerified(user)).toBe(false);
    const [row] = await db.orm.em.fork().execute('select used_at from verigate_token where user_id = ?', [user.id]);
    expect(row.used_at).toBeNull();
  });

  it('answers ALREADY_VERIFIED for an old link once the address was verified another way', async () => {
    const { svc } = service();
    const user = newUser();
    await svc.issue(user);
    const old = lastToken();
    await svc.issue(user);
    await svc.confirm(lastToken());
    expect(await svc.confirm(old)).toEqual({ status: 'ALREADY_VERIFIED' });
  });

  it.each([
    ['empty', ''],
    ['missing', undefined],
    ['10 kB', 'a'.repeat(10_240)],
    ['wrong alphabet', '!'.repeat(43)],
    ['well-formed but unknown', 'A'.repeat(43)],
    ['non-string', { $ne: null }],
  ])('treats a %s token as invalid', async (_label, token) => {
    const { svc } = service();
    expect(await svc.confirm(token)).toEqual({ status: 'TOKEN_INVALID' });
  });

  it('treats a tampered token (one character changed) as invalid', async () => {
    const { svc } = service();
    await svc.issue(newUser());
    const token = lastToken();
    const tampered = (token[0] === 'A' ? 'B' : 'A') + token.slice(1);
    expect(await svc.confirm(tampered)).toEqual({ status: 'TOKEN_INVALID' });
    expect((await svc.confirm(token)).status).toBe('VERIFIED');
  });

  it('lets exactly one of 20 concurrent confirmations of one token succeed', async () => {
    const { svc } = service();
    const user = newUser();
    await svc.issue(user);
    const token = lastToken();
    const results = await Promise.all(Array.from({ length: 20 }, () => svc.confirm(token)));
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 'VERIFIED')).toHaveLength(1);
    expect(statuses.filter((s) => s === 'TOKEN_USED')).toHaveLength(19);
    const rows = await db.orm.em.fork().execute('select * from verigate_verified_email where user_id = ?', [user.id]);
    expect(rows).toHaveLength(1);
  });

  it('leaves one open link when two issues both supersede before either inserts (the interleaving forced by a lock the test holds)', async () => {
    // Both statements take their snapshot, then queue on the row lock of the open link; released
    // together, the second sees the first's new link only through the one-open-link unique index.
    const { svc } = service({ databaseTimeout: '30s' });
    const user = newUser();
    await svc.issue(user);
    const held = await holdRowLocks(db, 'select 1 from verigate_token where user_id = $1 and used_at is null and superseded_at is null for update', [user.id]);
    const racing = Promise.all([svc.issue(user), svc.issue(user)]);
    try {
      await waitForLockWaiters(db, 2, { unless: racing });
    } finally {
      await held.release();
    }
    expect((await racing).map((r) => r.status)).toEqual(['SENT', 'SENT']);
    const open = await db.orm.em.fork().execute(
      'select 1 from verigate_token where user_id = ? and used_at is null and superseded_at is null', [user.id]);
    expect(open).toHaveLength(1);
    expect(await db.orm.em.fork().execute('select 1 from verigate_token where user_id = ?', [user.id])).toHaveLength(3);
  });

  it('leaves exactly one open link after concurrent issues, and concurrent confirms of them never error', async () => {
    const { svc } = service();
    const user = newUser();
    const first = links.length;
    // A crowd of resends for one user: every one is answered (retrying past the unique index), one link stays open.
    await Promise.all(Array.from({ length: 20 }, () => svc.issue(user)));
    const tokens = links.slice(first).map((l) => new URL(l).searchParams.get('token')!);
    expect(tokens).toHaveLength(20);
    const open = await db.orm.em.fork().execute(
      'select 1 from verigate_token where user_id = ? and used_at is null and superseded_at is null', [user.id]);
    expect(open).toHaveLength(1);
    const statuses = (await Promise.all(tokens.map((t) => svc.confirm(t)))).map((r) => r.status).sort();
    // Siblings read before or after the winner commits: superseded or already verified, never an error.
    expect(statuses.filter((st) => st === 'VERIFIED')).toHaveLength(1);
    for (const st of statuses.filter((x) => x !== 'VERIFIED')) expect(['TOKEN_SUPERSEDED', 'ALREADY_VERIFIED']).toContain(st);
  });

  it('runs onVerified after commit, and survives a throwing hook', async () => {
    const events: unknown[] = [];
    const { svc } = service({ hooks: { onVerified: (e: unknown) => { events.push(e); throw new Error('host bug'); } } });
    const user = newUser();
    await svc.issue(user);
    expect((await svc.confirm(lastToken())).status).toBe('VERIFIED');
    expect(events).toEqual([{ userId: user.id, email: user.email.replace('Example.COM', 'example.com') }]);
  });
});

describe('confirmCode', () => {
  it('lets only one of two correct codes typed at once verify (the interleaving forced by a lock the test holds)', async () => {
    const { svc } = service({ databaseTimeout: '30s' });
    const user = newUser();
    await svc.issue(user);
    const code = codes.at(-1)!;
    const held = await holdRowLocks(db, `select 1 from verigate_token where user_id = $1 and used_at is null for update`, [user.id]);
    const racing = Promise.all([svc.confirmCode(user, code), svc.confirmCode(user, code)]);
    try {
      await waitForLockWaiters(db, 2, { unless: racing });
    } finally {
      await held.release();
    }
    expect((await racing).map((r) => r.status).sort()).toEqual(['NO_OPEN_TOKEN', 'VERIFIED']);
    const [row] = await db.orm.em.fork().execute('select code_attempts from verigate_token where user_id = ?', [user.id]);
    expect(row.code_attempts).toBe(1);
  });
});

describe('a verification settles the address', () => {
  it.each(['link', 'code'])('closes a pending address change when the current address is verified by its %s', async (how) => {
    const { svc, core } = service({ users: { setEmail: async () => true } });
    const user = newUser();
    await svc.issue(user);
    const [token, code] = [lastToken(), codes.at(-1)!];
    const newEmail = `next.${randomUUID().slice(0, 8)}@example.com`;
    expect((await core.addresses.start(user, { newEmail, recentlyAuthenticated: true })).status).toBe('SENT');
    const changeLink = rendered.filter((r) => r.kind === 'email-change').at(-1)!.link!;
    expect(await core.addresses.pending(user)).toMatchObject({ email: newEmail });

    const result = how === 'link' ? await svc.confirm(token) : await svc.confirmCode(user, code);
    expect(result.status).toBe('VERIFIED');
    expect(await core.addresses.pending(user)).toBeNull();
    expect(await core.addresses.confirm(new URL(changeLink).searchParams.get('token'))).toEqual({ status: 'TOKEN_SUPERSEDED' });
  });
});
