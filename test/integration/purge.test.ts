import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { purgeExpired } from '../../src/maintenance/purge.ts';
import { testDbAccess } from '../helpers/core.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';

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
    expect(result).toEqual({ tokens: 1, messages: 2, sessions: 0, inboundEvents: 0 });
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
