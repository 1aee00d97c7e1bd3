import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DbAccess } from '../../src/db/db-access.ts';
import { createPurgeJob } from '../../src/maintenance/purge-job.ts';
import { purgeExpired } from '../../src/maintenance/purge.ts';
import { quietLogger, testDbAccess } from '../helpers/core.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { fakeClock } from '../helpers/fake-clock.ts';

const DAY = 86_400_000;
const HOUR = 3_600_000;
let db: TestDatabase;

beforeAll(async () => { db = await createTestDatabase(); });
afterAll(async () => { await db.close(); });

async function token(expiresAt: Date): Promise<string> {
  const id = randomUUID();
  await db.orm.em.fork().execute(
    `insert into verigate_token (id, purpose, user_id, email, token_hash, created_at, expires_at)
     values (?, 'verify', ?, 'a@example.com', ?, ?, ?)`, [id, randomUUID(), randomUUID().replace(/-/g, ''), expiresAt, expiresAt]);
  return id;
}

async function message(status: string, updatedAt: Date): Promise<string> {
  const id = randomUUID();
  await db.orm.em.fork().execute(
    `insert into verigate_outbox (id, kind, recipient, status, next_attempt_at, created_at, updated_at)
     values (?, 'verify', 'a@example.com', ?, ?, ?, ?)`, [id, status, updatedAt, updatedAt, updatedAt]);
  return id;
}

const exists = async (table: string, id: string) => (await db.orm.em.fork().execute(`select 1 from ${table} where id = ?`, [id])).length === 1;

describe('purgeExpired', () => {
  it('deletes tokens expired and mail sent or dead before the retention window, and nothing else', async () => {
    // Retention is measured by the database's clock, which is this machine's.
    const now = new Date();
    const old = new Date(now.getTime() - 8 * DAY);
    const recent = new Date(now.getTime() - 2 * DAY);
    const ids = {
      oldToken: await token(old),
      recentToken: await token(recent),
      liveToken: await token(new Date(now.getTime() + DAY)),
      oldSent: await message('sent', old),
      oldDead: await message('dead', old),
      oldPending: await message('pending', old),
      recentSent: await message('sent', recent),
    };
    const result = await purgeExpired(testDbAccess(db), 7 * DAY);
    expect(result).toEqual({ tokens: 1, messages: 2, sessions: 0, audit: 0, inboundEvents: 0, softBounces: 0 });
    expect(await exists('verigate_token', ids.oldToken)).toBe(false);
    expect(await exists('verigate_token', ids.recentToken)).toBe(true);
    expect(await exists('verigate_token', ids.liveToken)).toBe(true);
    expect(await exists('verigate_outbox', ids.oldSent)).toBe(false);
    expect(await exists('verigate_outbox', ids.oldDead)).toBe(false);
    // A pending message is never purged, however old: it has not been delivered yet.
    expect(await exists('verigate_outbox', ids.oldPending)).toBe(true);
    expect(await exists('verigate_outbox', ids.recentSent)).toBe(true);
  });

  it('forgets processed inbound events after the retention window, and only those', async () => {
    const stream = `s-${randomUUID()}`;
    await db.orm.em.fork().execute(`insert into verigate_inbound_event (stream, event_id, processed_at)
      values (?, 'old', now() - interval '8 days'), (?, 'recent', now() - interval '2 days')`, [stream, stream]);
    expect((await purgeExpired(testDbAccess(db), 7 * DAY)).inboundEvents).toBe(1);
    const left = await db.orm.em.fork().execute('select event_id from verigate_inbound_event where stream = ?', [stream]);
    expect(left.map((r) => r.event_id)).toEqual(['recent']);
  });
});

describe('the purge job the worker runs on every poll', () => {
  const HOUR = 3_600_000;

  /** The job on the real database, with a hand-moved clock and a count of the purges it ran. */
  function job(options: { failing?: boolean } = {}) {
    const clock = fakeClock(new Date('2030-01-01T00:00:00Z'));
    const access = testDbAccess(db);
    let statements = 0;
    const counted: DbAccess = { ...access, run: (work, within) => {
      statements++;
      return options.failing ? Promise.reject(new Error('database unavailable')) : access.run(work, within);
    } };
    const warnings: string[] = [];
    const logger = { ...quietLogger, warn: (message: string) => { warnings.push(message); } };
    const purge = createPurgeJob({ db: counted, clock, logger, retentionMs: 7 * DAY, sessionLifetimeMs: 30 * DAY });
    return { purge, clock, statements: () => statements, warnings };
  }

  it('purges at most once an hour, however often the worker polls', async () => {
    const { purge, clock, statements } = job();
    const old = () => message('sent', new Date(Date.now() - 8 * DAY));
    const first = await old();
    await purge.runIfDue();
    expect(await exists('verigate_outbox', first)).toBe(false);
    const perPurge = statements();
    expect(perPurge).toBeGreaterThan(0);

    // Polls every few minutes for the rest of the hour: nothing more is deleted, not one statement is run.
    const second = await old();
    for (let i = 0; i < 29; i++) {
      clock.advance(2 * 60_000);
      await purge.runIfDue();
    }
    clock.advance(2 * 60_000 - 1); // one millisecond short of the hour
    await purge.runIfDue();
    expect(statements()).toBe(perPurge);
    expect(await exists('verigate_outbox', second)).toBe(true);

    // The hour is up: the next poll purges, once.
    clock.advance(1);
    await purge.runIfDue();
    expect(await exists('verigate_outbox', second)).toBe(false);
    expect(statements()).toBe(2 * perPurge);
    await purge.runIfDue();
    expect(statements()).toBe(2 * perPurge);
  });

  it('runs one purge for polls that arrive together, and run() purges now whatever the hour', async () => {
    const { purge, clock, statements } = job();
    await Promise.all([purge.runIfDue(), purge.runIfDue(), purge.runIfDue()]);
    const perPurge = statements();
    expect(perPurge).toBeGreaterThan(0);
    clock.advance(60_000);
    const old = await message('dead', new Date(Date.now() - 8 * DAY));
    await purge.run();
    expect(await exists('verigate_outbox', old)).toBe(false);
    expect(statements()).toBe(2 * perPurge);
    // An explicit run counts as the hour's purge too: the next one is due an hour after it.
    clock.advance(HOUR - 1);
    await purge.runIfDue();
    expect(statements()).toBe(2 * perPurge);
    clock.advance(1);
    await purge.runIfDue();
    expect(statements()).toBe(3 * perPurge);
  });

  it('never throws into the worker\'s poll when the purge fails, and waits an hour before trying again', async () => {
    const { purge, clock, statements, warnings } = job({ failing: true });
    await expect(purge.runIfDue()).resolves.toBeUndefined();
    expect(statements()).toBe(1);
    expect(warnings).toEqual(['purge failed; will retry next hour']);
    clock.advance(HOUR - 1);
    await purge.runIfDue();
    expect(statements()).toBe(1);
    clock.advance(1);
    await purge.runIfDue();
    expect(statements()).toBe(2);
  });
});

describe('the purge job on the worker poll', () => {
  const job = (clock: ReturnType<typeof fakeClock>, db$: DbAccess = testDbAccess(db), logger = quietLogger) =>
    createPurgeJob({ db: db$, clock, logger, retentionMs: 7 * DAY, sessionLifetimeMs: 30 * DAY });
  const old = () => new Date(Date.now() - 8 * DAY);

  it('purges on the first poll, then at most once an hour however often the worker polls', async () => {
    const clock = fakeClock();
    const purge = job(clock);
    const first = await token(old());
    await purge.runIfDue();
    expect(await exists('verigate_token', first)).toBe(false);

    // Polls within the hour (the worker polls every second) leave an old row alone...
    const second = await token(old());
    clock.advance(HOUR - 1);
    await purge.runIfDue();
    expect(await exists('verigate_token', second)).toBe(true);
    // ...and the first poll an hour after the last run purges it.
    clock.advance(1);
    await purge.runIfDue();
    expect(await exists('verigate_token', second)).toBe(false);
  });

  it('counts an explicit run() as the last run', async () => {
    const clock = fakeClock();
    const purge = job(clock);
    await purge.run();
    const row = await token(old());
    clock.advance(30 * 60_000);
    await purge.runIfDue();
    expect(await exists('verigate_token', row)).toBe(true);
  });

  it('never throws from the poll: a failure is logged, and the next try waits an hour', async () => {
    const clock = fakeClock();
    let calls = 0;
    const broken: DbAccess = {
      run: async () => { calls++; throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }); },
      transaction: async () => { throw new Error('unused'); },
    };
    const warnings: unknown[][] = [];
    const purge = job(clock, broken, { ...quietLogger, warn: (...args: unknown[]) => { warnings.push(args); } });
    await expect(purge.runIfDue()).resolves.toBeUndefined();
    expect(calls).toBe(1);
    expect(warnings).toHaveLength(1);
    expect(String(warnings[0][0])).toContain('purge failed');
    clock.advance(HOUR - 1);
    await purge.runIfDue();
    expect(calls).toBe(1);
    clock.advance(1);
    await purge.runIfDue();
    expect(calls).toBe(2);
    // run() itself reports the failure to its caller.
    await expect(purge.run()).rejects.toThrow('ECONNREFUSED');
  });

  it('logs what it purged, and stays quiet when there was nothing', async () => {
    const infos: unknown[][] = [];
    const logger = { ...quietLogger, info: (...args: unknown[]) => { infos.push(args); } };
    const clock = fakeClock();
    await job(clock, testDbAccess(db), logger).run();
    infos.length = 0;
    await job(clock, testDbAccess(db), logger).run();
    expect(infos).toEqual([]);
    await token(old());
    await job(clock, testDbAccess(db), logger).run();
    expect(infos).toEqual([['purged old rows', { tokens: 1, messages: 0, sessions: 0, audit: 0, inboundEvents: 0, softBounces: 0 }]]);
  });
});
