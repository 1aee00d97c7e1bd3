import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import express from 'express';
import request from 'supertest';
import { outboxIdFromVerp, signWebhook, verpAddress, VerigateConfigError } from '../../plugin/index.ts';
import { SIGNATURE_HEADER } from '../../src/events/webhook-signature.ts';
import { createTestCore } from '../helpers/core.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { startRealServices, type RealServices } from '../helpers/real-services.ts';
import { tokenFrom, type ReceivedMail } from '../helpers/smtp-sink.ts';
import { createUsersHost, type UsersHost } from '../helpers/users-host-app.ts';
import type { VerigateCore } from '../../src/core.ts';

const JSON_ACCEPT = { Accept: 'application/json' };
const HOOK_SECRET = 'bounce-hook-secret-0123456789-abcdefghij';
let services: RealServices;
let host: UsersHost;

beforeAll(async () => {
  services = await startRealServices();
  host = await createUsersHost(services);
  host.app.use('/hooks/bounces', host.vg.bounceRouter({ secret: HOOK_SECRET }));
  await host.vg.ready();
});
afterAll(async () => {
  await host.vg.close();
  await services.close();
});

const fresh = (label: string) => `${label}-${randomUUID().slice(0, 8)}@example.com`;
const mailsTo = (to: string) => services.sink.messages.filter((m) => m.to === to);
const sql = (text: string, params: unknown[] = []) => services.db.orm.em.fork().execute(text, params);
const now = () => Math.floor(Date.now() / 1000);

async function verifiedUser(vg: UsersHost['vg'], email: string): Promise<{ id: number; mail: ReceivedMail }> {
  const id = await host.createUser(email);
  expect((await vg.sendVerification({ id, email })).status).toBe('SENT');
  await vg.drain();
  const mail = await services.sink.waitFor((m) => m.to === email);
  expect((await vg.confirm(tokenFrom(mail))).status).toBe('VERIFIED');
  return { id, mail };
}

function post(body: string, signature: string | null) {
  const call = request(host.app).post('/hooks/bounces').set('Content-Type', 'application/json');
  return (signature === null ? call : call.set(SIGNATURE_HEADER, signature)).send(body);
}

describe('the signed bounce route', () => {
  it('refuses forged, expired, unsigned and altered reports with 401 and bad bodies with 400, changing nothing; records a good one (202)', async () => {
    const email = fresh('hook');
    const { id } = await verifiedUser(host.vg, email);
    const agent = request.agent(host.app);
    await agent.post('/test/login').send({ id }).expect(200);
    await agent.get('/dashboard').set(JSON_ACCEPT).expect(200);
    const body = JSON.stringify({ type: 'hard', address: email, reason: 'smtp; 550 5.1.1 user unknown', id: `evt-${randomUUID()}` });

    const refused: Array<[string, string | null, string]> = [
      ['forged (another secret)', signWebhook(body, ['another-secret-of-enough-length-0123456789'], now()), 'BAD_SIGNATURE'],
      ['expired (replayed an hour later)', signWebhook(body, [HOOK_SECRET], now() - 3600), 'EXPIRED'],
      ['from the future', signWebhook(body, [HOOK_SECRET], now() + 3600), 'EXPIRED'],
      ['unsigned', null, 'MALFORMED'],
      ['garbled header', 't=abc,v1=xyz', 'MALFORMED'],
      ['signed for another body', signWebhook(body.replace('hard', 'soft'), [HOOK_SECRET], now()), 'BAD_SIGNATURE'],
    ];
    for (const [label, signature, reason] of refused) {
      const answer = await post(body, signature);
      expect([label, answer.status, answer.body.error?.code, answer.body.error?.reason]).toEqual([label, 401, 'UNAUTHENTICATED', reason]);
    }
    const badBodies: Array<[string, string, string]> = [
      ['not JSON', '{"type": "hard", ', 'INVALID_REQUEST'],
      ['an array', JSON.stringify([{ type: 'hard', address: email }]), 'INVALID_REPORT'],
      ['no target', JSON.stringify({ type: 'hard' }), 'INVALID_REPORT'],
      ['two targets', JSON.stringify({ type: 'hard', address: email, messageId: randomUUID() }), 'INVALID_REPORT'],
      ['an unknown type', JSON.stringify({ type: 'bounce', address: email }), 'INVALID_REPORT'],
      ['not an address', JSON.stringify({ type: 'hard', address: 'nobody' }), 'INVALID_REPORT'],
      ['a reason that is not text', JSON.stringify({ type: 'hard', address: email, reason: { code: 550 } }), 'INVALID_REPORT'],
    ];
    for (const [label, bad, code] of badBodies) {
      const answer = await post(bad, signWebhook(bad, [HOOK_SECRET], now()));
      expect([label, answer.status, answer.body.error?.code]).toEqual([label, 400, code]);
    }
    const unknown = JSON.stringify({ type: 'hard', messageId: `<${randomUUID()}@app.test>` });
    expect((await post(unknown, signWebhook(unknown, [HOOK_SECRET], now()))).status).toBe(404);
    await request(host.app).get('/hooks/bounces').expect(405);
    const huge = JSON.stringify({ type: 'hard', address: email, reason: 'x'.repeat(20_000) });
    expect((await post(huge, signWebhook(huge, [HOOK_SECRET], now()))).status).toBe(413);

    // Nothing changed: no suppression, the pair verified, the cached session open.
    expect(await sql('select 1 from verigate_suppressed where email = ?', [email])).toEqual([]);
    expect(await host.vg.isVerified({ id, email })).toBe(true);
    await agent.get('/dashboard').set(JSON_ACCEPT).expect(200);

    const good = await post(body, signWebhook(body, [HOOK_SECRET], now())).expect(202);
    expect(good.body).toEqual({ status: 'SUPPRESSED', newlySuppressed: true, withdrawn: 1 });
    expect(JSON.stringify(good.body)).not.toContain(email);
    await agent.get('/dashboard').set(JSON_ACCEPT).expect(401);
    expect(await host.vg.sendVerification({ id, email })).toEqual({ status: 'ADDRESS_SUPPRESSED' });
    const [row] = await sql('select suppressed_kind, last_reason from verigate_suppressed where email = ?', [email]);
    expect(row).toEqual({ suppressed_kind: 'hard', last_reason: 'smtp; 550 5.1.1 user unknown' });
    // The sender retries the same event (its id): recorded once.
    await post(body, signWebhook(body, [HOOK_SECRET], now())).expect(202, { status: 'DUPLICATE' });
    const [{ reports }] = await sql('select reports from verigate_suppressed where email = ?', [email]);
    expect(reports).toBe(1);
  });

  it('counts a soft bounce (202 COUNTED) and takes a message id', async () => {
    const email = fresh('hook-soft');
    const { mail } = await verifiedUser(host.vg, email);
    const messageId = /^Message-ID:\s*(<[^>\r\n]+>)/im.exec(mail.raw)![1];
    const body = JSON.stringify({ type: 'soft', messageId });
    const answer = await post(body, signWebhook(body, ['old-secret-being-rotated-out-0123456789ab', HOOK_SECRET], now())).expect(202);
    expect(answer.body).toEqual({ status: 'COUNTED', softBounces: 1, threshold: 3 });
  });

  it('refuses bad options at construction, and a body already parsed by express.json()', async () => {
    expect(() => host.vg.bounceRouter({ secret: 'short' })).toThrow(VerigateConfigError);
    expect(() => host.vg.bounceRouter({ secret: HOOK_SECRET, toleranceSeconds: 0 })).toThrow(VerigateConfigError);
    expect(() => host.vg.bounceRouter({ secret: HOOK_SECRET, tolerance: 30 } as never)).toThrow(/Unknown option bounceRouter\.tolerance/);
    const misordered = express();
    misordered.use(express.json());
    misordered.use('/hooks/bounces', host.vg.bounceRouter({ secret: HOOK_SECRET }));
    const body = JSON.stringify({ type: 'hard', address: fresh('parsed') });
    const answer = await request(misordered).post('/hooks/bounces').set('Content-Type', 'application/json').set(SIGNATURE_HEADER, signWebhook(body, [HOOK_SECRET], now())).send(body);
    expect(answer.status).toBe(500);
    expect(answer.body.error.code).toBe('INTERNAL_ERROR');
  });
});

describe('VERP', () => {
  it('puts the outbox id in the envelope sender (seen by the SMTP server), and the helper and reportBounce read it back', async () => {
    const verp = await createUsersHost(services, { bounces: { verp: 'bounces@app.test' } });
    try {
      await host.vg.drain();
      const email = fresh('verp');
      const { id, mail } = await verifiedUser(verp.vg, email);
      expect(mail.from).toMatch(/^bounces\+[0-9a-f-]{36}@app\.test$/);
      // The header sender stays mail.from; the envelope carries the id of exactly this mail.
      expect(mail.raw).toMatch(/^From: Host <no-reply@app\.test>/m);
      const outboxId = outboxIdFromVerp(mail.from)!;
      expect(mail.raw).toMatch(new RegExp(`^Message-ID: <${outboxId}@app\\.test>`, 'mi'));
      expect(verpAddress('bounces@app.test', outboxId)).toBe(mail.from);
      expect(await sql('select status from verigate_outbox where id = ?', [outboxId])).toEqual([{ status: 'sent' }]);

      // A DSN delivered to that address names the mail, and so the address.
      expect(await verp.vg.reportBounce({ messageId: mail.from }, { kind: 'hard' })).toMatchObject({ status: 'SUPPRESSED', email, withdrawn: 1 });
      expect(await verp.vg.isVerified({ id, email })).toBe(false);

      // Without the option the envelope sender is mail.from's address.
      const plain = fresh('plain');
      await verifiedUser(host.vg, plain);
      expect(mailsTo(plain)[0].from).toBe('no-reply@app.test');
    } finally {
      await verp.vg.close();
    }
  });
});

describe('verifiedAddresses()', () => {
  let db: TestDatabase;
  let core: VerigateCore;
  const renderer = { render: async () => ({ subject: 's', html: 'h', text: 't' }) };
  beforeAll(async () => {
    db = await createTestDatabase();
    core = createTestCore(db, renderer);
    await core.ready();
  });
  afterAll(async () => {
    await core.close();
    await db.close();
  });

  const collect = async (pageSize: number) => {
    const rows = [];
    for await (const row of core.verifiedAddresses({ pageSize })) rows.push(row);
    return rows;
  };
  const pageQueries = () => db.queries.filter((q) => q.includes('from verigate_verified_email v')).length;

  it('yields exactly the verified pairs whose address is deliverable, page by page', async () => {
    const pairs = [['u1', 'ann@example.com'], ['u2', 'bob@example.com'], ['u3', 'bob@example.com'], ['u4', 'cat@example.com'],
      ['u4', 'cat.old@example.com'], ['u5', 'dan@example.com'], ['u6', 'eve@example.com'], ['u7', 'fay@example.com'], ['u8', 'gil@example.com']];
    for (const [user, email] of pairs) {
      await db.orm.em.fork().execute(`insert into verigate_verified_email (user_id, email, verified_at) values (?, ?, now())`, [user, email]);
    }
    // bob bounced (both pairs withdrawn); dan is suppressed although a pair remained (a confirmation that raced the report); fay only soft-bounced.
    expect(await core.reportBounce({ address: 'bob@example.com' }, { kind: 'hard' })).toMatchObject({ status: 'SUPPRESSED', withdrawn: 2 });
    await db.orm.em.fork().execute(`insert into verigate_suppressed (email, last_kind, reports, suppressed_at, suppressed_kind, first_seen_at, last_seen_at)
      values ('dan@example.com', 'complaint', 1, now(), 'complaint', now(), now())`);
    expect(await core.reportBounce({ address: 'fay@example.com' }, { kind: 'soft' })).toMatchObject({ status: 'COUNTED' });
    const expected = [['u1', 'ann@example.com'], ['u4', 'cat.old@example.com'], ['u4', 'cat@example.com'], ['u6', 'eve@example.com'], ['u7', 'fay@example.com'], ['u8', 'gil@example.com']];

    for (const pageSize of [1, 2, 4, 6, 1000]) {
      db.queries.length = 0;
      const rows = await collect(pageSize);
      expect(rows.map((r) => [r.userId, r.email]).sort()).toEqual(expected);
      expect(rows.every((r) => r.verifiedAt instanceof Date)).toBe(true);
      // One query per page, plus the empty one that ends a list filling its last page exactly.
      expect([pageSize, pageQueries()]).toEqual([pageSize, Math.floor(expected.length / pageSize) + 1]);
    }
  });

  it('holds one page at a time: a consumer that stops early reads no further', async () => {
    db.queries.length = 0;
    const iterator = core.verifiedAddresses({ pageSize: 2 });
    await iterator.next();
    await iterator.next();
    expect(pageQueries()).toBe(1);
    await iterator.return(undefined);
    expect(pageQueries()).toBe(1);
  });

  it('and the purge: soft-bounce counts go once their window passed, suppressions stay', async () => {
    const exec = (text: string) => db.orm.em.fork().execute(text);
    await core.reportBounce({ address: 'old-soft@example.com' }, { kind: 'soft' });
    await core.reportBounce({ address: 'gone@example.com' }, { kind: 'hard' });
    await exec(`update verigate_suppressed set last_seen_at = now() - interval '8 days' where email in ('old-soft@example.com', 'gone@example.com')`);
    expect((await core.purge()).softBounces).toBe(1);
    const left = (await exec('select email from verigate_suppressed order by email')).map((r) => r.email);
    expect(left).toEqual(['bob@example.com', 'dan@example.com', 'fay@example.com', 'gone@example.com']);
  });

  it('refuses a page size out of range at the call', () => {
    for (const pageSize of [0, 1.5, 10_001, -1]) expect(() => core.verifiedAddresses({ pageSize })).toThrow(RangeError);
  });
});
