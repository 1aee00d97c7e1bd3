import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { deriveKeys } from '../../src/crypto/keys.ts';
import { open } from '../../src/crypto/seal.ts';
import type { SqlContext } from '../../src/db/sql-context.ts';
import { mikroOrmContext } from '../../src/db/mikro-orm.ts';
import { OUTBOX_CHANNEL } from '../../src/outbox/outbox-channel.ts';
import { claimDue, enqueueEmail, enqueueMails, markFailed, markSent, sealMail } from '../../src/outbox/outbox-store.ts';
import type { RenderedEmail } from '../../src/ports/mail.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { TEST_SECRET } from '../helpers/services.ts';

// The outbox table's statements on PostgreSQL: queue, claim, record.
const keys = deriveKeys(TEST_SECRET);
const email: RenderedEmail = { subject: 'Hi', html: '<p>hi</p>', text: 'hi' };
let db: TestDatabase;
let ctx: SqlContext;

const rows = () => db.orm.em.fork().execute<Array<Record<string, any>>>('select * from verigate_outbox order by created_at, id');
const row = async (id: string) => (await db.orm.em.fork().execute<Array<Record<string, any>>>('select * from verigate_outbox where id = ?', [id]))[0];
const queue = (to = `${randomUUID()}@example.com`) => enqueueEmail(ctx, keys.outboxSeal, { kind: 'verify', to, email });

beforeAll(async () => {
  db = await createTestDatabase();
  ctx = mikroOrmContext(db.orm.em.fork());
});
beforeEach(async () => { await db.orm.em.fork().execute('delete from verigate_outbox'); });
afterAll(async () => { await db.close(); });

describe('queueing', () => {
  it('seals the rendered message and queues it pending, due now, under a fresh id', async () => {
    const sealed = sealMail(keys.outboxSeal, { kind: 'account-exists', to: 'Owner@Example.com', email });
    expect(sealed).toMatchObject({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), kind: 'account-exists', recipient: 'Owner@Example.com' });
    expect(open(keys.outboxSeal, sealed.payload)).toEqual(email);
    expect(sealMail(keys.outboxSeal, { kind: 'verify', to: 'a@example.com', email }).id).not.toBe(sealed.id);

    const id = await queue('a@example.com');
    expect(await row(id)).toMatchObject({ kind: 'verify', recipient: 'a@example.com', status: 'pending', attempts: 0, sent_at: null, last_error: null });
    expect(open(keys.outboxSeal, (await row(id)).payload)).toEqual(email);
  });

  it('queues several mails in one statement, and wakes listeners once it commits', async () => {
    const listener = new pg.Client({ connectionString: db.url });
    await listener.connect();
    try {
      const woken: string[] = [];
      listener.on('notification', (n) => woken.push(n.channel));
      await listener.query(`listen ${OUTBOX_CHANNEL}`);
      await enqueueMails(ctx, [sealMail(keys.outboxSeal, { kind: 'verify', to: 'a@example.com', email }), sealMail(keys.outboxSeal, { kind: 'verify', to: 'b@example.com', email })]);
      expect((await rows()).map((r) => r.recipient).sort()).toEqual(['a@example.com', 'b@example.com']);
      // A round trip on the listener's connection delivers any notification sent before it.
      await listener.query('select 1');
      expect(woken).toEqual([OUTBOX_CHANNEL]);
    } finally {
      await listener.end();
    }
  });

  it('sends no statement at all for no mails', async () => {
    db.queries.length = 0;
    await enqueueMails(ctx, []);
    expect(db.queries.filter((q) => q.includes('verigate_outbox'))).toEqual([]);
  });
});

describe('claiming', () => {
  it('claims due rows oldest first, up to the batch size, counting the attempt and pushing them a lease ahead', async () => {
    const ids = [await queue(), await queue(), await queue()];
    const claimed = await claimDue(ctx, 2, 60_000);
    expect(claimed.map((c) => c.id).sort()).toEqual(ids.slice(0, 2).sort());
    expect(claimed[0]).toMatchObject({ kind: 'verify', attempts: 1, payload: expect.any(String), recipient: expect.stringContaining('@example.com') });
    const first = await row(ids[0]);
    expect(new Date(first.next_attempt_at).getTime() - new Date(first.updated_at).getTime()).toBe(60_000);
    // Leased rows are not due; the third one still is.
    expect((await claimDue(ctx, 5, 60_000)).map((c) => c.id)).toEqual([ids[2]]);
    expect(await claimDue(ctx, 5, 60_000)).toEqual([]);
  });

  it('never claims sent, dead or not-yet-due rows', async () => {
    const [sent, dead, later] = [await queue(), await queue(), await queue()];
    await markSent(ctx, sent, 'x@example.com');
    await markFailed(ctx, dead, { dead: true, retryMs: 0, reason: 'gone', recipient: 'someone@example.com' });
    await markFailed(ctx, later, { dead: false, retryMs: 60_000, reason: 'busy', recipient: 'someone@example.com' });
    expect(await claimDue(ctx, 10, 1000)).toEqual([]);
  });
});

describe('recording', () => {
  it('a delivery erases the payload and masks the recipient', async () => {
    const id = await queue('jane.doe@example.com');
    await markFailed(ctx, id, { dead: false, retryMs: 0, reason: 'first try failed', recipient: 'someone@example.com' });
    await markSent(ctx, id, 'jane.doe@example.com');
    expect(await row(id)).toMatchObject({ status: 'sent', payload: null, recipient: 'j***@example.com', last_error: null, sent_at: expect.anything() });
  });

  it('a retry keeps the payload, notes the reason and comes due after retryMs (rounded)', async () => {
    const id = await queue();
    await markFailed(ctx, id, { dead: false, retryMs: 1500.4, reason: 'ECONNREFUSED', recipient: 'someone@example.com' });
    const stored = await row(id);
    expect(stored).toMatchObject({ status: 'pending', last_error: 'ECONNREFUSED', payload: expect.any(String) });
    expect(new Date(stored.next_attempt_at).getTime() - new Date(stored.updated_at).getTime()).toBe(1500);
  });

  it('a dead message loses its payload', async () => {
    const id = await queue();
    await markFailed(ctx, id, { dead: true, retryMs: 0, reason: '550 no such user', recipient: 'someone@example.com' });
    expect(await row(id)).toMatchObject({ status: 'dead', payload: null, last_error: '550 no such user' });
  });

  it('only ever records on a pending row: a late worker does not revive a dead or resent message', async () => {
    const dead = await queue('a@example.com');
    await markFailed(ctx, dead, { dead: true, retryMs: 0, reason: 'gone', recipient: 'a@example.com' });
    await markSent(ctx, dead, 'a@example.com');
    expect(await row(dead)).toMatchObject({ status: 'dead', recipient: 'a***@example.com' });
    const sent = await queue('b@example.com');
    await markSent(ctx, sent, 'b@example.com');
    await markFailed(ctx, sent, { dead: false, retryMs: 0, reason: 'late failure', recipient: 'someone@example.com' });
    expect(await row(sent)).toMatchObject({ status: 'sent', last_error: null });
  });
});
