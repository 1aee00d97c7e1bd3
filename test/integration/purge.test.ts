import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DbAccess } from '../../src/db/db-access.ts';
import { createPurgeJob } from '../../src/maintenance/purge-job.ts';
import { purgeExpired } from '../../src/maintenance/purge.ts';
import { quietLogger, testDbAccess } from '../helpers/core.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { fakeClock } from '../helpers/fake-clock.ts';

const DAY = 86_400_000;
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
