import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { deriveKeys } from '../../src/crypto/keys.ts';
import { mikroOrmContext } from '../../src/db/mikro-orm.ts';
import type { EmailRenderer, EmailTemplateData } from '../../src/ports/mail.ts';
import { createVerificationService } from '../../src/verification/verification-service.ts';
import { createTestCore, testDbAccess } from '../helpers/core.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { holdRowLocks, waitForLockWaiters } from '../helpers/lock-barrier.ts';
import { TEST_SECRET } from '../helpers/services.ts';
import { ageTokens } from '../helpers/time-travel.ts';

// Every outcome of the verification service, each reached on purpose, on a real database.
let db: TestDatabase;
const mails: Array<{ kind: string; data: EmailTemplateData }> = [];
const renderer: EmailRenderer = {
  async render(kind, data) {
    mails.push({ kind, data });
    return { subject: kind, html: '', text: data.link ?? '' };
  },
};
const cores: Array<{ close(): Promise<void> }> = [];

function core(overrides: Record<string, unknown> = {}) {
  const c = createTestCore(db, renderer, overrides as never);
  cores.push(c);
  return c;
}

const newUser = () => ({ id: randomUUID(), email: `Someone.${randomUUID().slice(0, 8)}@Example.COM` });
const canonical = (email: string) => email.replace('Example.COM', 'example.com');
const last = () => mails.at(-1)!.data;
const tokenOf = (data: EmailTemplateData) => new URL(data.link!).searchParams.get('token')!;
const count = async (sql: string, params: unknown[]) => (await db.orm.em.fork().execute(sql, params)).length;

beforeAll(async () => { db = await createTestDatabase(); });
afterAll(async () => {
  for (const c of cores) await c.close();
  await db.close();
});

describe('issue', () => {
  it.each([
    ['no id', { email: 'a@example.com' }],
    ['an object id', { id: { nested: 1 }, email: 'a@example.com' }],
    ['no user at all', undefined],
  ])('answers INVALID_USER for %s, before anything else', async (_label, user) => {
    expect(await core().verification.issue(user as never)).toEqual({ status: 'INVALID_USER' });
  });

  it.each([[null], [undefined], ['']])('answers NO_EMAIL for an account whose address is %p', async (email) => {
    const id = randomUUID();
    expect(await core().verification.issue({ id, email } as never)).toEqual({ status: 'NO_EMAIL' });
    expect(await count('select 1 from verigate_token where user_id = ?', [id])).toBe(0);
  });

  it('answers INVALID_EMAIL with the problem for an address the policy refuses', async () => {
    expect(await core().verification.issue({ id: randomUUID(), email: 'someone@mailinator.com' })).toEqual({ status: 'INVALID_EMAIL', problem: 'DISPOSABLE' });
    expect(await core().verification.issue({ id: randomUUID(), email: 'no-at-sign' })).toEqual({ status: 'INVALID_EMAIL', problem: 'MISSING_AT' });
  });

  it('renders the link, the grouped code and the lifetime for the address as stored, and fires onVerificationSent', async () => {
    const events: unknown[] = [];
    const c = core({ tokenTtl: '2h', hooks: { onVerificationSent: (event: unknown) => { events.push(event); } } });
    const user = newUser();
    const before = Date.now();
    const result = await c.verification.issue(user);
    const data = last();
    expect(mails.at(-1)!.kind).toBe('verify');
    expect(data.email).toBe(user.email);
    expect(data.link).toMatch(/^https:\/\/app\.test\/verify\/confirm\?token=[A-Za-z0-9_-]{43}$/);
    expect(data.code).toMatch(/^[A-Z2-9]{4}-[A-Z2-9]{4}$/);
    expect(data.ttlMs).toBe(2 * 3_600_000);
    expect(data.appName).toBe(c.config.appName);
    expect(data.expiresAt!.getTime()).toBeGreaterThanOrEqual(before + 2 * 3_600_000);
    expect(data.expiresAt!.getTime()).toBeLessThanOrEqual(Date.now() + 2 * 3_600_000);
    expect(result).toEqual({ status: 'SENT', expiresAt: expect.any(Date) });
    expect(events).toEqual([{ id: user.id, email: user.email }]);
  });

  it('answers RATE_LIMITED with the wait once the user has had their sends', async () => {
    const c = core({ limits: { sendsPerUser: '1/1h', sendsPerRecipient: false, sendsPerIp: false } });
    const user = newUser();
    expect((await c.verification.issue(user)).status).toBe('SENT');
    const refused = await c.verification.issue(user);
    expect(refused).toEqual({ status: 'RATE_LIMITED', retryAfterSeconds: expect.any(Number) });
    expect((refused as { retryAfterSeconds: number }).retryAfterSeconds).toBeGreaterThan(3500);
    expect(await count('select 1 from verigate_token where user_id = ?', [user.id])).toBe(1);
  });

  it('inside the host\'s transaction: commits and rolls back with it, and wakes the worker only when on its own', async () => {
    const c = core();
    let woken = 0;
    const svc = createVerificationService({
      config: c.config, keys: deriveKeys(TEST_SECRET), db: testDbAccess(db), renderer, limiter: c.limiter, onQueued: () => { woken++; },
    });
    const kept = newUser();
    await db.orm.em.fork().transactional(async (tx) => { expect((await svc.issue(kept, { within: mikroOrmContext(tx) })).status).toBe('SENT'); });
    expect(woken).toBe(0);
    expect(await count('select 1 from verigate_token where user_id = ?', [kept.id])).toBe(1);
    expect(await count('select 1 from verigate_outbox where recipient = ?', [kept.email])).toBe(1);

    const dropped = newUser();
    await expect(db.orm.em.fork().transactional(async (tx) => {
      await svc.issue(dropped, { within: mikroOrmContext(tx) });
      throw new Error('the host\'s insert failed');
    })).rejects.toThrow('the host\'s insert failed');
    expect(await count('select 1 from verigate_token where user_id = ?', [dropped.id])).toBe(0);
    expect(await count('select 1 from verigate_outbox where recipient = ?', [dropped.email])).toBe(0);

    expect((await svc.issue(newUser())).status).toBe('SENT');
    expect(woken).toBe(1);
  });
});

describe('confirm', () => {
  it('tells the loser of a race its link was used, even though its snapshot saw the link open (forced by a lock the test holds)', async () => {
    const c = core({ databaseTimeout: '30s' });
    const user = newUser();
    await c.verification.issue(user);
    const token = tokenOf(last());
    const held = await holdRowLocks(db, 'select 1 from verigate_token where user_id = $1 for update', [user.id]);
    const racing = Promise.all([c.verification.confirm(token), c.verification.confirm(token)]);
    try {
      await waitForLockWaiters(db, 2, { unless: racing });
    } finally {
      await held.release();
    }
    expect((await racing).map((r) => r.status).sort()).toEqual(['TOKEN_USED', 'VERIFIED']);
  });

  it('reports a superseded link as superseded, an expired one as expired, and gives the host the id as it passed it', async () => {
    const c = core({ tokenTtl: '1h' });
    const user = { id: 4242, email: `numeric.${randomUUID().slice(0, 8)}@example.com` };
    await c.verification.issue(user);
    const old = tokenOf(last());
    await c.verification.issue(user);
    const current = tokenOf(last());
    expect(await c.verification.confirm(old)).toEqual({ status: 'TOKEN_SUPERSEDED' });
    await ageTokens(db, 3_600_001, '4242');
    expect(await c.verification.confirm(current)).toEqual({ status: 'TOKEN_EXPIRED' });
    await c.verification.issue(user);
    expect(await c.verification.confirm(tokenOf(last()))).toEqual({ status: 'VERIFIED', userId: 4242, email: user.email });
  });
});

describe('confirmCode', () => {
  it('counts each wrong code, locks the code after the fifth, and leaves the link working', async () => {
    const c = core();
    const user = newUser();
    await c.verification.issue(user);
    const { code } = last();
    const token = tokenOf(last());
    const wrong = code!.slice(0, 8) + (code!.at(-1) === 'A' ? 'B' : 'A');
    const answers = [];
    for (let i = 0; i < 6; i++) answers.push(await c.verification.confirmCode(user, wrong));
    expect(answers).toEqual([
      { status: 'CODE_INVALID', attemptsLeft: 4 }, { status: 'CODE_INVALID', attemptsLeft: 3 },
      { status: 'CODE_INVALID', attemptsLeft: 2 }, { status: 'CODE_INVALID', attemptsLeft: 1 },
      { status: 'CODE_LOCKED' }, { status: 'CODE_LOCKED' },
    ]);
    expect(await c.verification.confirmCode(user, code)).toEqual({ status: 'CODE_LOCKED' });
    expect((await c.verification.confirm(token)).status).toBe('VERIFIED');
  });

  it('verifies with the code in any case and grouping, fires onVerified, and then has no open code', async () => {
    const events: unknown[] = [];
    const c = core({ hooks: { onVerified: (event: unknown) => { events.push(event); } } });
    const user = newUser();
    await c.verification.issue(user);
    const typed = ` ${last().code!.toLowerCase().replace('-', ' ')} `;
    expect(await c.verification.confirmCode(user, typed)).toEqual({ status: 'VERIFIED', userId: user.id, email: canonical(user.email) });
    expect(events).toEqual([{ userId: user.id, email: canonical(user.email) }]);
    expect(await c.verification.isVerified(user)).toBe(true);
    expect(await c.verification.confirmCode(user, typed)).toEqual({ status: 'NO_OPEN_TOKEN' });
  });

  it('refuses a malformed code without counting it, a bad user id, and a user with no link', async () => {
    const c = core();
    const user = newUser();
    expect(await c.verification.confirmCode(user, 'ABCD-EFGH')).toEqual({ status: 'NO_OPEN_TOKEN' });
    await c.verification.issue(user);
    expect(await c.verification.confirmCode(user, 'not a code')).toEqual({ status: 'CODE_MALFORMED' });
    expect(await c.verification.confirmCode({ id: { nested: 1 }, email: user.email } as never, last().code)).toEqual({ status: 'INVALID_USER' });
    const [row] = await db.orm.em.fork().execute('select code_attempts from verigate_token where user_id = ?', [user.id]);
    expect(row.code_attempts).toBe(0);
  });
});

describe('isVerified and openLinkExpiry', () => {
  it('know nothing of users with a bad id, no address or an unusable one', async () => {
    const { verification } = core();
    for (const user of [{ id: { nested: 1 }, email: 'a@example.com' }, { id: randomUUID(), email: null }, { id: randomUUID(), email: 'not an address' }]) {
      expect(await verification.isVerified(user as never)).toBe(false);
      expect(await verification.openLinkExpiry(user as never)).toBeNull();
    }
  });

  it('report the open link to the current address until it is used, and no link to another address', async () => {
    const { verification } = core();
    const user = newUser();
    expect(await verification.openLinkExpiry(user)).toBeNull();
    const sent = await verification.issue(user);
    expect(await verification.openLinkExpiry(user)).toEqual((sent as { expiresAt: Date }).expiresAt);
    // Another spelling of the same address is the same address.
    expect(await verification.openLinkExpiry({ id: user.id, email: canonical(user.email) })).toEqual((sent as { expiresAt: Date }).expiresAt);
    expect(await verification.openLinkExpiry({ id: user.id, email: 'other@example.com' })).toBeNull();
    await verification.confirm(tokenOf(last()));
    expect(await verification.openLinkExpiry(user)).toBeNull();
    expect(await verification.isVerified({ id: user.id, email: user.email.replace('Example.COM', 'EXAMPLE.com') })).toBe(true);
  });
});
