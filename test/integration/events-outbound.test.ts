import { randomInt, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { CoreOptions } from '../../src/config/options.ts';
import type { VerigateCore } from '../../src/core.ts';
import type { VerigateEvent } from '../../src/events/event-types.ts';
import { verifyWebhookSignature } from '../../src/events/webhook-signature.ts';
import { createEventPublisher } from '../../src/events/event-publisher.ts';
import type { EmailRenderer, EmailTemplateData } from '../../src/ports/mail.ts';
import type { SetEmailContext } from '../../src/users/user-store.ts';
import { createTestCore } from '../helpers/core.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { createTestRedis, type TestRedis } from '../helpers/redis.ts';
import { REDIS_URL } from '../helpers/services.ts';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.ts';
import { ageOutbox } from '../helpers/time-travel.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.ts';

const WEBHOOK_SECRET = 'whsec-test-0123456789-abcdefghijklmnopqrstuvwxyz';
let db: TestDatabase;
let redis: TestRedis;
let sink: SmtpSink;
let receiver: WebhookReceiver;
const cores: VerigateCore[] = [];

// Every secret a mail carried, to prove none of them ever reaches an event.
const secrets: string[] = [];
const rendered: Array<{ kind: string; data: EmailTemplateData }> = [];
const renderer: EmailRenderer = {
  async render(kind, data) {
    rendered.push({ kind, data });
    for (const value of [data.link, data.undoLink, data.code]) {
      if (!value) continue;
      secrets.push(value, value.replace('-', ''));
      const token = /token=([\w-]+)/.exec(value)?.[1];
      if (token) secrets.push(token);
    }
    const body = [data.link, data.undoLink, data.code].filter(Boolean).join('\n');
    return { subject: kind, html: body, text: body };
  },
};
const tokenOf = (kind: string, to: string, field: 'link' | 'undoLink' = 'link') =>
  new URL(rendered.findLast((r) => r.kind === kind && r.data.email === to)!.data[field]!).searchParams.get('token')!;

// The host's users table: compare-and-set on the address, as the README asks of setEmail.
const addresses = new Map<string, string | null>();
const refuseChangesOf = new Set<string>();
const users = {
  setEmail(userId: unknown, email: string, context: SetEmailContext) {
    const key = String(userId);
    if (refuseChangesOf.has(key) || (addresses.get(key) ?? null) !== context.previousEmail) return false;
    addresses.set(key, email);
    return true;
  },
};

const streamKey = () => `${redis.prefix}events`;
function core(overrides: Partial<CoreOptions> = {}): VerigateCore {
  const c = createTestCore(db, renderer, {
    redis: REDIS_URL, redisPrefix: redis.prefix, users,
    mail: { from: 'App <no-reply@app.test>', transport: sink.url },
    events: { redisStream: true, webhook: { url: receiver.url, secret: WEBHOOK_SECRET }, timeout: '2s' },
    ...overrides,
  });
  cores.push(c);
  return c;
}

async function streamEntries(): Promise<Array<{ fields: Record<string, string>; event: VerigateEvent }>> {
  const entries = await redis.client.xrange(streamKey(), '-', '+');
  return entries.map(([, flat]) => {
    const fields = Object.fromEntries(flat.flatMap((v, i) => (i % 2 === 0 ? [[v, flat[i + 1]]] : [])));
    return { fields, event: JSON.parse(fields.payload) as VerigateEvent };
  });
}
const streamEventsOf = async (userId: string) => (await streamEntries()).map((e) => e.event).filter((e) => 'userId' in e.data && e.data.userId === userId);
const hookEventsOf = (userId: string) => receiver.requests.map((r) => JSON.parse(r.body) as VerigateEvent).filter((e) => 'userId' in e.data && e.data.userId === userId);
const eventsFor = `channel <> 'mail' and payload::json->'data'->>'userId' = ?`;
const outboxOf = (where: string, params: unknown[]) => db.orm.em.fork().execute(`select * from verigate_outbox where ${where}`, params);
const newUser = () => ({ id: randomInt(1, 2 ** 47), email: `Jane.${randomUUID().slice(0, 8)}@Example.COM` });

beforeAll(async () => {
  [db, redis, sink, receiver] = await Promise.all([createTestDatabase(), createTestRedis(), startSmtpSink(), startWebhookReceiver()]);
});
// A drain delivers every due row of the table: each test starts from an empty outbox and an answering receiver.
beforeEach(async () => {
  await db.orm.em.fork().execute('delete from verigate_outbox');
  receiver.setMode('ok');
  await receiver.start();
});
afterAll(async () => {
  for (const c of cores) await c.close();
  await Promise.all([receiver.stop(), sink.stop(), redis.close()]);
  await db.close();
});

describe('events for other services', () => {
  it('publishes each change once to the Redis Stream and once to the webhook, same id, documented schema, signed', async () => {
    const vg = core();
    const user = newUser();
    const key = String(user.id);
    const canonical = user.email.replace('Example.COM', 'example.com');
    addresses.set(key, canonical);
    const next = `new.${randomUUID().slice(0, 8)}@example.org`;

    expect((await vg.verification.issue(user)).status).toBe('SENT');
    expect((await vg.verification.confirm(tokenOf('verify', user.email))).status).toBe('VERIFIED');
    expect((await vg.addresses.start({ id: user.id, email: canonical }, { newEmail: next, recentlyAuthenticated: true })).status).toBe('SENT');
    expect((await vg.addresses.confirm(tokenOf('email-change', next))).status).toBe('CHANGED');
    expect((await vg.addresses.undo(tokenOf('email-change-notice', canonical, 'undoLink'))).status).toBe('REVERTED');

    // Written with the changes, before any delivery: two rows (one per sink) per change.
    const queued = await outboxOf(`channel <> 'mail'`, []);
    expect(queued).toHaveLength(10);
    expect(await vg.drain()).toBe(10 + 3);

    const types = ['email.verification_sent', 'email.verified', 'email.change_requested', 'email.changed', 'email.change_reverted'];
    const fromStream = await streamEventsOf(key);
    const fromHook = hookEventsOf(key);
    // Delivered concurrently and retried independently, so in no particular order; occurredAt orders them.
    expect(fromStream.map((e) => e.type).sort()).toEqual([...types].sort());
    expect(fromHook.map((e) => e.type).sort()).toEqual([...types].sort());
    const times = types.map((type) => Date.parse(fromStream.find((e) => e.type === type)!.occurredAt));
    expect([...times].sort((x, y) => x - y)).toEqual(times);
    for (const event of fromStream) {
      expect(fromHook.find((e) => e.type === event.type)).toEqual(event);
      expect(event).toMatchObject({ version: 1, data: { userId: key, userIdType: 'number' } });
      expect(event.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(new Date(event.occurredAt).toISOString()).toBe(event.occurredAt);
    }
    expect(new Set(fromStream.map((e) => e.id)).size).toBe(5);
    const byType = Object.fromEntries(fromStream.map((e) => [e.type, e.data]));
    expect(byType['email.verification_sent']).toEqual({ userId: key, userIdType: 'number', email: canonical, expiresAt: expect.stringMatching(/Z$/) });
    expect(byType['email.verified']).toEqual({ userId: key, userIdType: 'number', email: canonical });
    expect(byType['email.change_requested']).toEqual({ userId: key, userIdType: 'number', previousEmail: canonical, newEmail: next, expiresAt: expect.stringMatching(/Z$/) });
    expect(byType['email.changed']).toEqual({ userId: key, userIdType: 'number', previousEmail: canonical, email: next });
    expect(byType['email.change_reverted']).toEqual({ userId: key, userIdType: 'number', email: canonical, revertedEmail: next });

    // Stream fields for routing without parsing; webhook requests signed over `t.body`.
    const entry = (await streamEntries()).find((e) => e.event.id === fromStream[0].id)!;
    expect(entry.fields).toMatchObject({ id: fromStream[0].id, type: fromStream[0].type, version: '1' });
    for (const request of receiver.requests.filter((r) => r.body.includes(`"userId":"${key}"`))) {
      expect(verifyWebhookSignature(request.body, request.headers['verigate-signature'], WEBHOOK_SECRET)).toMatchObject({ status: 'OK' });
      expect(request.headers['verigate-event-id']).toBe(JSON.parse(request.body).id);
      expect(request.headers['content-type']).toBe('application/json');
    }

    // No token, code or link anywhere an event went or waited.
    const everything = JSON.stringify([queued, await redis.client.xrange(streamKey(), '-', '+'), receiver.requests]);
    expect(secrets.length).toBeGreaterThanOrEqual(9);
    for (const secret of secrets) expect(everything).not.toContain(secret);
    expect(everything).not.toContain('token=');
    expect(everything).not.toContain('https://app.test/verify');

    // Once per change: delivered rows are done, and scrubbed.
    expect(await vg.drain()).toBe(0);
    expect(await streamEventsOf(key)).toHaveLength(5);
    expect(await outboxOf(`channel <> 'mail' and (status <> 'sent' or payload is not null)`, [])).toHaveLength(0);
  });

  it('writes the event in the same single statement as the change: no extra round trip', async () => {
    const withEvents = core();
    const without = core({ events: undefined });
    await Promise.all([withEvents.ready(), without.ready()]);
    const count = async (work: () => Promise<unknown>) => {
      db.queries.length = 0;
      await work();
      return db.queries.filter((q) => !/verigate_outbox.*for update skip locked/s.test(q)).length;
    };
    const [a, b] = [newUser(), newUser()];
    const issued = [await count(() => withEvents.verification.issue(a)), await count(() => without.verification.issue(b))];
    expect(issued).toEqual([1, 1]);
    const confirmed = [
      await count(() => withEvents.verification.confirm(tokenOf('verify', a.email))),
      await count(() => without.verification.confirm(tokenOf('verify', b.email))),
    ];
    expect(confirmed).toEqual([1, 1]);
    // Without a sink nothing but the mail was written.
    expect((await outboxOf('recipient = ?', [b.email])).map((r) => r.channel)).toEqual(['mail']);
    expect(await outboxOf(eventsFor, [String(b.id)])).toHaveLength(0);
    expect((await outboxOf(eventsFor, [String(a.id)])).map((r) => r.kind).sort())
      .toEqual(['email.verification_sent', 'email.verification_sent', 'email.verified', 'email.verified']);
  });

  it('announces a verification by code like one by link, and no change the host refused as stale', async () => {
    const vg = core();
    const user = newUser();
    const canonical = user.email.replace('Example.COM', 'example.com');
    await vg.verification.issue(user);
    const code = rendered.findLast((r) => r.kind === 'verify' && r.data.email === user.email)!.data.code!;
    expect((await vg.verification.confirmCode(user, code)).status).toBe('VERIFIED');

    addresses.set(String(user.id), canonical);
    refuseChangesOf.add(String(user.id));
    const next = `stale.${randomUUID().slice(0, 8)}@example.org`;
    await vg.addresses.start({ id: user.id, email: canonical }, { newEmail: next, recentlyAuthenticated: true });
    expect((await vg.addresses.confirm(tokenOf('email-change', next))).status).toBe('CHANGE_STALE');
    const kinds = (await outboxOf(`${eventsFor} and channel = 'redis'`, [String(user.id)])).map((r) => r.kind);
    expect(kinds.sort()).toEqual(['email.change_requested', 'email.verification_sent', 'email.verified']);
  });

  it('retries the webhook with backoff while the receiver is down and delivers once it is back; the stream is not repeated', async () => {
    const vg = core();
    const user = newUser();
    await receiver.stop();
    await vg.verification.issue(user);
    await vg.drain();
    const [hook] = await outboxOf(`channel = 'webhook'`, []);
    expect(hook).toMatchObject({ status: 'pending', attempts: 1 });
    expect(hook.last_error).toMatch(/ECONNREFUSED/);
    expect(hook.payload).not.toBeNull();
    expect(new Date(hook.next_attempt_at).getTime()).toBeGreaterThan(Date.now() + 10_000);
    expect((await outboxOf(`channel = 'redis'`, []))[0].status).toBe('sent');

    await receiver.start();
    expect(await vg.drain()).toBe(0);
    expect(hookEventsOf(String(user.id))).toHaveLength(0);
    await ageOutbox(db, 10 * 60_000);
    expect(await vg.drain()).toBe(1);
    expect(hookEventsOf(String(user.id))).toHaveLength(1);
    expect(await streamEventsOf(String(user.id))).toHaveLength(1);
    expect((await outboxOf(`channel = 'webhook'`, []))[0]).toMatchObject({ status: 'sent', attempts: 2, payload: null });
  });

  it('parks an event as dead after the last attempt, keeping its payload for a replay, and sends it no more', async () => {
    const errors: string[] = [];
    const vg = core({ worker: { autoStart: false, maxAttempts: 2 }, logger: { info() {}, warn() {}, error: (m) => { errors.push(m); } } });
    const user = newUser();
    receiver.setMode('fail');
    await vg.verification.issue(user);
    await vg.drain();
    await ageOutbox(db, 10 * 60_000);
    await vg.drain();
    const [hook] = await outboxOf(`channel = 'webhook'`, []);
    expect(hook).toMatchObject({ status: 'dead', attempts: 2, last_error: 'webhook answered 503' });
    expect(JSON.parse(hook.payload)).toMatchObject({ type: 'email.verification_sent', data: { userId: String(user.id) } });
    expect(errors).toContain('event parked as dead');
    expect(hookEventsOf(String(user.id))).toHaveLength(2);
    await ageOutbox(db, 24 * 3_600_000);
    expect(await vg.drain()).toBe(0);
    expect(hookEventsOf(String(user.id))).toHaveLength(2);
  });

  it('gives up on a receiver that never answers after events.timeout', async () => {
    const vg = core({ events: { webhook: { url: receiver.url, secret: WEBHOOK_SECRET }, timeout: '300ms' } });
    receiver.setMode('hang');
    await vg.verification.issue(newUser());
    const started = Date.now();
    await vg.drain();
    expect(Date.now() - started).toBeLessThan(2_000);
    const [hook] = await outboxOf(`channel = 'webhook'`, []);
    expect(hook).toMatchObject({ status: 'pending', attempts: 1, last_error: 'ETIMEDOUT webhook did not answer within 300 ms' });
  });

  it('leaves event rows to a worker that has the sink configured', async () => {
    const publisher = core();
    const mailOnly = core({ events: undefined });
    const user = newUser();
    await publisher.verification.issue(user);
    expect(await mailOnly.drain()).toBe(1);
    expect((await outboxOf(`channel <> 'mail'`, [])).map((r) => [r.status, r.attempts])).toEqual([['pending', 0], ['pending', 0]]);
    expect(await publisher.drain()).toBe(2);
  });

  it('trims the stream approximately to maxLength (XADD MAXLEN ~)', async () => {
    const key = `${redis.prefix}trimmed`;
    const publisher = createEventPublisher({ sinks: ['redis'], redisStream: { key, maxLength: 10 }, timeoutMs: 1000 }, redis.client);
    const payload = JSON.stringify({ id: randomUUID(), type: 'email.verified', version: 1, occurredAt: new Date().toISOString(), data: {} });
    for (let i = 0; i < 320; i++) await publisher.publish({ id: randomUUID(), channel: 'redis', kind: 'email.verified', recipient: 'redis', payload, attempts: 1 });
    // Approximate trimming drops whole nodes (100 entries each by default): far fewer than 320 stay, never fewer than 10.
    const length = await redis.client.xlen(key);
    expect(length).toBeGreaterThanOrEqual(10);
    expect(length).toBeLessThanOrEqual(200);
  });
});
