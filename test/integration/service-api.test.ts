import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { startRealServices, type RealServices } from '../helpers/real-services.ts';
import { createServiceHost, type ServiceHost } from '../helpers/service-host.ts';
import { tokenFrom } from '../helpers/smtp-sink.ts';

let services: RealServices;
let host: ServiceHost;
let users: ServiceHost;
let readKey: string;
let sendKey: string;
let sendKeyId: string;

beforeAll(async () => {
  services = await startRealServices();
  host = await createServiceHost(services);
  users = await createServiceHost(services, { findById: true });
  readKey = (await host.key(['read'], 'reader')).key;
  ({ key: sendKey, id: sendKeyId } = await host.key(['send'], 'sender'));
});
afterAll(async () => {
  await host.vg.close();
  await users.vg.close();
  await services.close();
});

const PATH = (id: string | number) => `/internal/verigate/users/${encodeURIComponent(String(id))}/verification`;
const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });
const fresh = (label = 'svc') => `${label}-${randomUUID().slice(0, 8)}@example.com`;
const mailsTo = (to: string) => services.sink.messages.filter((m) => m.to === to);
const sql = (text: string, params: unknown[] = []) => services.db.orm.em.fork().execute(text, params);

/** Everything a call could change: rows, limiter keys, the keys' "last used". */
async function snapshot(prefix: string) {
  const [counts] = await sql(`select (select count(*) from verigate_token)::int as tokens, (select count(*) from verigate_outbox)::int as mails,
    (select count(*) from verigate_verified_email)::int as verified, (select string_agg(id || ':' || coalesce(last_used_at::text, '-') || ':' || coalesce(revoked_at::text, '-'), ',' order by id) from verigate_api_key) as keys`);
  return { ...counts, redis: (await services.redis.client.keys(`${prefix}*`)).sort() };
}

describe('API keys', () => {
  it('refuses missing, malformed, unknown, wrong and revoked keys with one 401, and wrong scopes with 403; nothing changes', async () => {
    const revoked = await host.key(['read', 'send'], 'old');
    expect((await host.vg.apiKeys.revoke(revoked.id)).status).toBe('REVOKED');
    const [, id, secret] = /^vgk_([0-9a-f]{16})_(.+)$/.exec(sendKey)!;
    const wrongSecret = `vgk_${id}_${secret.slice(0, -1)}${secret.endsWith('A') ? 'B' : 'A'}`;
    const unknownId = `vgk_${'0'.repeat(16)}_${secret}`;
    const email = fresh();
    const before = await snapshot(host.redisPrefix);

    const refusals: Array<[string, Record<string, string>, 'get' | 'post']> = [
      ['missing', {}, 'post'], ['not bearer', { Authorization: `Basic ${Buffer.from('a:b').toString('base64')}` }, 'post'],
      ['malformed', bearer('vgk_nope'), 'post'], ['unknown id', bearer(unknownId), 'post'],
      ['wrong secret', bearer(wrongSecret), 'post'], ['revoked', bearer(revoked.key), 'post'], ['revoked read', bearer(revoked.key), 'get'],
    ];
    const bodies = new Set<string>();
    for (const [label, headers, method] of refusals) {
      const call = method === 'get' ? request(host.app).get(`${PATH('u-1')}?email=${email}`) : request(host.app).post(PATH('u-1')).send({ email });
      const answer = await call.set(headers);
      expect([label, answer.status]).toEqual([label, 401]);
      expect(answer.headers['www-authenticate']).toMatch(/^Bearer realm="verigate"/);
      bodies.add(JSON.stringify(answer.body));
    }
    // One answer for every kind of bad key: the caller learns nothing about which ids exist.
    expect(bodies.size).toBe(1);
    expect(JSON.parse([...bodies][0])).toEqual({ error: { code: 'UNAUTHENTICATED', message: expect.stringContaining('Bearer') } });

    const scope = await request(host.app).post(PATH('u-1')).set(bearer(readKey)).send({ email }).expect(403);
    expect(scope.body.error).toMatchObject({ code: 'INSUFFICIENT_SCOPE', scope: 'send' });
    expect(scope.headers['www-authenticate']).toContain('error="insufficient_scope"');
    await request(host.app).get(`${PATH('u-1')}?email=${email}`).set(bearer(sendKey)).expect(403);

    expect(await snapshot(host.redisPrefix)).toEqual(before);
    expect(mailsTo(email)).toHaveLength(0);
    // Each refusal is audited with its real reason (and the key, when it exists), none with a secret.
    const rows = await host.vg.auditLog('u-1', { limit: 20 });
    expect(rows.filter((r) => r.event === 'verigate.service.call').map((r) => [r.reason, r.detail.why, r.keyId])).toEqual(expect.arrayContaining([
      ['UNAUTHENTICATED', 'MISSING', null], ['UNAUTHENTICATED', 'MALFORMED', null], ['UNAUTHENTICATED', 'UNKNOWN_KEY', null],
      ['UNAUTHENTICATED', 'WRONG_SECRET', sendKeyId], ['UNAUTHENTICATED', 'REVOKED', revoked.id], ['INSUFFICIENT_SCOPE', 'SCOPE', sendKeyId],
    ]));
    expect(JSON.stringify(rows)).not.toContain(secret);
  });

  it('logs every keyless refusal but writes one row per client and reason a minute, so a flood cannot fill the table', async () => {
    const fresh2 = await createServiceHost(services);
    try {
      const userId = `flood-${randomUUID()}`;
      for (let i = 0; i < 20; i++) await request(fresh2.app).get(`${PATH(userId)}?email=a@example.com`).expect(401);
      await request(fresh2.app).get(`${PATH(userId)}?email=a@example.com`).set(bearer('vgk_nope')).expect(401);
      expect(fresh2.logs.filter((l) => l.meta?.event === 'verigate.service.call')).toHaveLength(21);
      expect((await fresh2.vg.auditLog(userId)).map((r) => r.detail.why)).toEqual(['MALFORMED', 'MISSING']);
      // A call with a real key always leaves its row.
      const { key } = await fresh2.key(['send']);
      for (let i = 0; i < 3; i++) await request(fresh2.app).get(`${PATH(userId)}?email=a@example.com`).set(bearer(key)).expect(403);
      expect(await fresh2.vg.auditLog(userId)).toHaveLength(5);
    } finally {
      await fresh2.vg.close();
    }
  });

  it('marks a key used only when a call is admitted', async () => {
    const { id, key } = await host.key(['read']);
    const lastUsed = async () => (await sql('select last_used_at from verigate_api_key where id = ?', [id]))[0].last_used_at;
    await request(host.app).post(PATH('u-2')).set(bearer(key)).send({ email: fresh() }).expect(403);
    expect(await lastUsed()).toBeNull();
    await request(host.app).get(`${PATH('u-2')}?email=${fresh()}`).set(bearer(key)).expect(200);
    expect(await lastUsed()).not.toBeNull();
    expect((await host.vg.apiKeys.list()).find((k) => k.id === id)).toMatchObject({ name: 'test', scopes: ['read'], revokedAt: null, lastUsedAt: expect.any(Date) });
  });
});

describe('POST /users/:id/verification (the caller names the address)', () => {
  it('queues exactly one mail through the real outbox and SMTP; its link verifies; then GET says verified', async () => {
    const userId = `svc-${randomUUID()}`;
    const email = fresh();
    const sent = await request(host.app).post(PATH(userId)).set(bearer(sendKey)).send({ email }).expect(202);
    expect(sent.body).toEqual({ status: 'SENT', userId, expiresAt: expect.any(String) });
    expect(sent.headers['cache-control']).toBe('no-store');
    await host.vg.drain();
    await services.sink.waitFor((m) => m.to === email);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await host.vg.drain();
    expect(mailsTo(email)).toHaveLength(1);

    const before = await request(host.app).get(`${PATH(userId)}?email=${encodeURIComponent(email)}`).set(bearer(readKey)).expect(200);
    expect(before.body).toEqual({ userId, email, verified: false, verifiedAt: null, pendingChange: null });
    expect((await host.vg.confirm(tokenFrom(mailsTo(email)[0]))).status).toBe('VERIFIED');
    const after = await request(host.app).get(`${PATH(userId)}?email=${encodeURIComponent(email.replace('@example.com', '@EXAMPLE.com'))}`).set(bearer(readKey)).expect(200);
    expect(after.body).toMatchObject({ userId, verified: true, verifiedAt: expect.any(String), pendingChange: null });

    // Already verified: nothing sent, no allowance spent.
    const again = await request(host.app).post(PATH(userId)).set(bearer(sendKey)).send({ email }).expect(409);
    expect(again.body.error.code).toBe('ALREADY_VERIFIED');
    await host.vg.drain();
    expect(mailsTo(email)).toHaveLength(1);

    const rows = await host.vg.auditLog(userId);
    expect(rows.map((r) => [r.event, r.reason, r.keyId])).toEqual(expect.arrayContaining([
      ['verigate.verification.sent', null, sendKeyId], ['verigate.service.call', 'SENT', sendKeyId], ['verigate.service.call', 'ALREADY_VERIFIED', sendKeyId],
    ]));
    // Every call, one row each, newest first.
    expect(rows.filter((r) => r.event === 'verigate.service.call').map((r) => [r.detail.method, r.detail.status])).toEqual([['POST', 409], ['GET', 200], ['GET', 200], ['POST', 202]]);
    expect(rows.find((r) => r.reason === 'SENT')).toMatchObject({ outcome: 'ok', ipHash: expect.stringMatching(/^[0-9a-f]{32}$/), detail: { method: 'POST', status: 202 } });
  });

  it('applies the same send limits as every path: 3 per user per hour, then 429 with Retry-After and no mail', async () => {
    const userId = `lim-${randomUUID()}`;
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await request(host.app).post(PATH(userId)).set(bearer(sendKey)).send({ email: fresh('lim') })).status);
    expect(statuses).toEqual([202, 202, 202, 429]);
    const limited = await request(host.app).post(PATH(userId)).set(bearer(sendKey)).send({ email: fresh('lim') }).expect(429);
    expect(limited.body.error).toMatchObject({ code: 'RATE_LIMITED', retryAfter: expect.any(Number) });
    expect(Number(limited.headers['retry-after'])).toBe(limited.body.error.retryAfter);
    expect((await sql('select count(*)::int as n from verigate_token where user_id = ?', [userId]))[0].n).toBe(3);
    const rows = await host.vg.auditLog(userId);
    expect(rows.some((r) => r.event === 'verigate.verification.limited' && r.reason === 'sendsPerUser')).toBe(true);
    expect(rows.filter((r) => r.event === 'verigate.service.call' && r.reason === 'RATE_LIMITED')).toHaveLength(2);
  });

  it('limits calls per key in Redis', async () => {
    const tight = await createServiceHost(services, { overrides: { limits: { serviceCallsPerKey: '2/1m' } } });
    try {
      const { key, id } = await tight.key(['read']);
      const other = await tight.key(['read']);
      const get = (k: string) => request(tight.app).get(`${PATH('k-1')}?email=${fresh()}`).set(bearer(k));
      expect([(await get(key)).status, (await get(key)).status, (await get(key)).status]).toEqual([200, 200, 429]);
      await get(other.key).expect(200);
      const rows = await tight.vg.auditLog('k-1');
      expect(rows.find((r) => r.reason === 'RATE_LIMITED')).toMatchObject({ keyId: id, detail: { why: 'serviceCallsPerKey', status: 429 } });
    } finally {
      await tight.vg.close();
    }
  });

  it('answers bad input with a typed 4xx, JSON only, and sends nothing', async () => {
    const email = fresh('bad');
    const post = () => request(host.app).post(PATH('b-1')).set(bearer(sendKey));
    expect((await post().send({ email: 'not an address' }).expect(400)).body.error).toMatchObject({ code: 'INVALID_EMAIL', problem: 'MISSING_AT' });
    expect((await post().send({ email: ['a@example.com'] }).expect(400)).body.error.code).toBe('INVALID_REQUEST');
    expect((await post().send([email]).expect(400)).body.error.code).toBe('INVALID_REQUEST');
    expect((await post().send({}).expect(400)).body.error.code).toBe('EMAIL_PARAM_REQUIRED');
    expect((await post().type('text/plain').send(`email=${email}`).expect(415)).body.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    expect((await post().type('form').send({ email }).expect(415)).body.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    expect((await post().type('json').send('{"email":').expect(400)).body.error.code).toBe('INVALID_REQUEST');
    expect((await post().send({ email: `${'a'.repeat(20_000)}@example.com` }).expect(413)).body.error.code).toBe('PAYLOAD_TOO_LARGE');
    const get = (query: string) => request(host.app).get(`${PATH('b-1')}${query}`).set(bearer(readKey));
    expect((await get('').expect(400)).body.error.code).toBe('EMAIL_PARAM_REQUIRED');
    expect((await get(`?email=${email}&email=${email}`).expect(400)).body.error.code).toBe('INVALID_REQUEST');
    expect((await get('?email=nope').expect(400)).body.error.code).toBe('INVALID_EMAIL');
    expect((await request(host.app).get(`${PATH('x'.repeat(300))}?email=${email}`).set(bearer(readKey)).expect(400)).body.error.code).toBe('INVALID_USER_ID');
    expect((await request(host.app).put(PATH('b-1')).set(bearer(sendKey)).send({ email }).expect(405)).headers.allow).toBe('GET, HEAD, POST');
    // Other paths are the host's.
    await request(host.app).get('/internal/verigate/users').set(bearer(readKey)).expect(404, { host: 'not found' });
    await host.vg.drain();
    expect(mailsTo(email)).toHaveLength(0);
  });
});

describe('with the host user store (users.findById)', () => {
  let key: string;
  beforeAll(async () => { key = (await users.key(['read', 'send'])).key; });

  it('reads and sends to the address on file only', async () => {
    const email = fresh('owner');
    const id = await users.createUser(email);
    expect((await request(users.app).get(PATH(id)).set(bearer(key)).expect(200)).body)
      .toEqual({ userId: String(id), email, verified: false, verifiedAt: null, pendingChange: null });
    // Another address than the one on file: refused, nothing sent to it.
    const other = fresh('other');
    expect((await request(users.app).post(PATH(id)).set(bearer(key)).send({ email: other }).expect(409)).body.error.code).toBe('EMAIL_MISMATCH');
    expect((await request(users.app).get(`${PATH(id)}?email=${other}`).set(bearer(key)).expect(409)).body.error.code).toBe('EMAIL_MISMATCH');
    // No body at all: the address on file.
    await request(users.app).post(PATH(id)).set(bearer(key)).expect(202);
    await users.vg.drain();
    await services.sink.waitFor((m) => m.to === email);
    expect(mailsTo(other)).toHaveLength(0);
    // The token row carries the host's own id type, so hooks get a number back.
    expect((await sql('select user_id_type from verigate_token where user_id = ?', [String(id)]))[0].user_id_type).toBe('number');

    await request(users.app).get(PATH(999_999)).set(bearer(key)).expect(404);
    await request(users.app).get(PATH('abc')).set(bearer(key)).expect(404);
    const none = await users.createUser(null);
    expect((await request(users.app).post(PATH(none)).set(bearer(key)).expect(409)).body.error.code).toBe('NO_EMAIL');
    expect((await request(users.app).get(PATH(none)).set(bearer(key)).expect(200)).body).toMatchObject({ email: null, verified: false });
  });

  it('shows a pending change of address', async () => {
    const email = fresh('moving');
    const id = await users.createUser(email);
    const next = fresh('next');
    expect((await users.vg.requestEmailChange({ id, email }, { newEmail: next, recentlyAuthenticated: true })).status).toBe('SENT');
    const state = (await request(users.app).get(PATH(id)).set(bearer(key)).expect(200)).body;
    expect(state.pendingChange).toEqual({ email: next, expiresAt: expect.any(String) });
  });
});
