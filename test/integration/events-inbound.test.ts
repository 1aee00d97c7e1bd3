import { randomInt, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import type { CoreOptions } from '../../src/config/options.ts';
import type { VerigateCore } from '../../src/core.ts';
import type { EmailRenderer } from '../../src/ports/mail.ts';
import { createTestCore } from '../helpers/core.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { createTestRedis, type TestRedis } from '../helpers/redis.ts';
import { startRedisServer, type RedisServer } from '../helpers/redis-server.ts';
import { REDIS_URL } from '../helpers/services.ts';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.ts';

let db: TestDatabase;
let redis: TestRedis;
let sink: SmtpSink;
const cores: VerigateCore[] = [];
const clients: Redis[] = [];
const renderer: EmailRenderer = { async render(kind, data) { return { subject: kind, html: data.link ?? '', text: data.link ?? '' }; } };
const logged: Array<{ level: string; message: string; meta?: Record<string, unknown> }> = [];
const logger = {
  info: (message: string, meta?: Record<string, unknown>) => { logged.push({ level: 'info', message, meta }); },
  warn: (message: string, meta?: Record<string, unknown>) => { logged.push({ level: 'warn', message, meta }); },
  error: (message: string, meta?: Record<string, unknown>) => { logged.push({ level: 'error', message, meta }); },
};

let streams = 0;
const newStream = () => `${redis.prefix}users-${++streams}`;
function consumer(stream: string, name: string, overrides: Partial<CoreOptions> & { redisUrl?: string; inbound?: Record<string, unknown> } = {}): VerigateCore {
  const { redisUrl, inbound, ...rest } = overrides;
  const c = createTestCore(db, renderer, {
    redis: redisUrl ?? REDIS_URL, redisPrefix: redis.prefix, logger,
    mail: { from: 'App <no-reply@app.test>', transport: sink.url },
    inboundEvents: { stream, consumer: name, block: '200ms', claimAfter: '600ms', ...inbound },
    ...rest,
  });
  cores.push(c);
  return c;
}

const registered = (id: string, user: { id: number; email: string }) =>
  ['type', 'user.registered', 'id', id, 'userId', String(user.id), 'userIdType', 'number', 'email', user.email];
const newUser = () => ({ id: randomInt(1, 2 ** 47), email: `new.${randomUUID().slice(0, 8)}@example.com` });
const tokensOf = async (userId: number) => (await db.orm.em.fork().execute(`select 1 from verigate_token where user_id = ?`, [String(userId)])).length;
const pendingCount = async (client: Redis, stream: string, group = 'verigate') => Number(((await client.call('XPENDING', stream, group)) as unknown[])[0]);

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The consumer made its group (at the stream's end, so only entries added after this count). */
const groupExists = (client: Redis, stream: string, timeoutMs?: number) => until('the group', async () =>
  ((await client.call('XINFO', 'GROUPS', stream).catch(() => [])) as unknown[]).length === 1, timeoutMs);

/** Every entry up to `lastId` was delivered to the group and acknowledged. */
async function settled(client: Redis, stream: string, lastId: string): Promise<void> {
  await until(`${stream} settled`, async () => {
    const groups = (await client.call('XINFO', 'GROUPS', stream).catch(() => [])) as unknown[][];
    const info = groups.map((g) => Object.fromEntries(g.flatMap((v, i) => (i % 2 === 0 ? [[v, g[i + 1]]] : []))))[0];
    return info?.['last-delivered-id'] === lastId && info.pending === 0;
  });
}

async function mailsTo(core: VerigateCore, email: string): Promise<number> {
  await core.drain();
  return sink.messages.filter((m) => m.to === email).length;
}

beforeAll(async () => {
  [db, redis, sink] = await Promise.all([createTestDatabase(), createTestRedis(), startSmtpSink()]);
});
afterAll(async () => {
  for (const c of cores) await c.close();
  for (const c of clients) c.disconnect();
  await Promise.all([sink.stop(), redis.close()]);
  await db.close();
});

describe('inbound user.registered events', () => {
  it('sends exactly one verification when the same event is delivered twice, with its outbound event in the same transaction', async () => {
    const stream = newStream();
    const vg = consumer(stream, 'a', { events: { redisStream: { key: `${redis.prefix}out` } } });
    const user = newUser();
    const eventId = randomUUID();
    await groupExists(redis.client, stream);
    await redis.client.xadd(stream, '*', ...registered(eventId, user));
    const second = (await redis.client.xadd(stream, '*', ...registered(eventId, user)))!;
    await settled(redis.client, stream, second);

    expect(await tokensOf(user.id)).toBe(1);
    expect(await mailsTo(vg, user.email)).toBe(1);
    const recorded = await db.orm.em.fork().execute('select * from verigate_inbound_event where stream = ? and event_id = ?', [stream, eventId]);
    expect(recorded).toHaveLength(1);
    const out = (await redis.client.xrange(`${redis.prefix}out`, '-', '+')).map(([, f]) => JSON.parse(f[f.indexOf('payload') + 1]));
    expect(out.filter((e) => e.data.userId === String(user.id)).map((e) => e.type)).toEqual(['email.verification_sent']);
    expect(logged.some((l) => l.meta?.status === 'DUPLICATE' && l.meta.eventId === eventId)).toBe(true);
  });

  it('sends one verification when two consumers get the same event at the same time', async () => {
    const stream = newStream();
    await redis.client.call('XGROUP', 'CREATE', stream, 'verigate', '$', 'MKSTREAM');
    const user = newUser();
    const eventId = randomUUID();
    await redis.client.xadd(stream, '*', ...registered(eventId, user));
    const last = (await redis.client.xadd(stream, '*', ...registered(eventId, user)))!;
    // Each takes one entry (COUNT 1) and both process at once; 'b' is handed the host's ioredis client (duplicated for its blocking reads).
    const [a] = [consumer(stream, 'a', { inbound: { batchSize: 1 } }), consumer(stream, 'b', { inbound: { batchSize: 1 }, redis: redis.client as never })];
    await settled(redis.client, stream, last);
    expect(await tokensOf(user.id)).toBe(1);
    expect(await mailsTo(a, user.email)).toBe(1);
    const consumers = (await redis.client.call('XINFO', 'CONSUMERS', stream, 'verigate')) as unknown[][];
    expect(consumers.map((c) => c[c.indexOf('name') + 1]).sort()).toEqual(['a', 'b']);
  });

  it('claims the entries of a consumer that read them and died before acknowledging, after claimAfter', async () => {
    const stream = newStream();
    await redis.client.call('XGROUP', 'CREATE', stream, 'verigate', '$', 'MKSTREAM');
    const user = newUser();
    const id = (await redis.client.xadd(stream, '*', ...registered(randomUUID(), user)))!;
    // A consumer that took the entry and crashed: it is pending for 'ghost', never acknowledged.
    const taken = await redis.client.call('XREADGROUP', 'GROUP', 'verigate', 'ghost', 'COUNT', 10, 'STREAMS', stream, '>');
    expect(JSON.stringify(taken)).toContain(id);
    expect(await pendingCount(redis.client, stream)).toBe(1);

    const started = Date.now();
    const vg = consumer(stream, 'survivor');
    await until('the claim', async () => (await pendingCount(redis.client, stream)) === 0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(500);
    expect(await tokensOf(user.id)).toBe(1);
    expect(await mailsTo(vg, user.email)).toBe(1);
  });

  describe('with a consumer that commits but cannot acknowledge (dies between the two)', () => {
    let server: RedisServer;
    beforeAll(async () => {
      server = await startRedisServer();
      const admin = new Redis(server.url);
      clients.push(admin);
      // This user may do everything but XACK: its consumer commits the verification, then loses the ack.
      await admin.call('ACL', 'SETUSER', 'noack', 'on', '>noack-password', '~*', '&*', '+@all', '-xack');
    });
    afterAll(async () => { await server.stop(); });

    it('lets another consumer claim the entry, recognise the event as processed and send nothing more', async () => {
      const admin = clients.at(-1)!;
      const stream = newStream();
      await admin.call('XGROUP', 'CREATE', stream, 'verigate', '$', 'MKSTREAM');
      const user = newUser();
      const id = (await admin.xadd(stream, '*', ...registered(randomUUID(), user)))!;
      const doomed = consumer(stream, 'doomed', { redisUrl: `redis://noack:noack-password@127.0.0.1:${server.port}` });
      await until('the doomed commit', async () => (await tokensOf(user.id)) === 1);
      await until('the failed ack', async () => logged.some((l) => /round failed/.test(l.message) && /NOPERM/i.test(String(l.meta?.error))));
      await doomed.close();
      expect(await pendingCount(admin, stream)).toBe(1);

      const heir = consumer(stream, 'heir', { redisUrl: server.url });
      await settled(admin, stream, id);
      expect(await tokensOf(user.id)).toBe(1);
      expect(await mailsTo(heir, user.email)).toBe(1);
    });

    it('recovers when Redis restarts empty: the group is made again and new events are served', async () => {
      const stream = newStream();
      const vg = consumer(stream, 'phoenix', { redisUrl: server.url });
      const before = newUser();
      const admin = clients.at(-1)!;
      await groupExists(admin, stream);
      await admin.xadd(stream, '*', ...registered(randomUUID(), before));
      await until('the first event', async () => (await tokensOf(before.id)) === 1);

      await server.restart();
      const fresh = new Redis(server.url);
      clients.push(fresh);
      await groupExists(fresh, stream, 20_000);
      const after = newUser();
      await fresh.xadd(stream, '*', ...registered(randomUUID(), after));
      await until('the event after the restart', async () => (await tokensOf(after.id)) === 1, 20_000);
      expect(await mailsTo(vg, after.email)).toBe(1);
    });
  });

  it('acknowledges and logs malformed entries, skips other types, and carries on with the next valid one', async () => {
    const stream = newStream();
    await redis.client.call('XGROUP', 'CREATE', stream, 'verigate', '$', 'MKSTREAM');
    const user = newUser();
    const secretish = `leak.${randomUUID().slice(0, 8)}@example.com`;
    await redis.client.xadd(stream, '*', 'type', 'user.registered', 'userId', '7', 'email', secretish);
    await redis.client.xadd(stream, '*', 'type', 'user.registered', 'id', 'x', 'userId', 'abc', 'userIdType', 'number', 'email', secretish);
    await redis.client.xadd(stream, '*', 'hello', 'world');
    await redis.client.xadd(stream, '*', 'type', 'user.deleted', 'id', 'y', 'userId', '7');
    const last = (await redis.client.xadd(stream, '*', ...registered(randomUUID(), user)))!;
    const vg = consumer(stream, 'picky');
    await settled(redis.client, stream, last);
    expect(await mailsTo(vg, user.email)).toBe(1);
    const warnings = logged.filter((l) => l.message.includes('malformed') && l.meta?.stream === stream);
    expect(warnings.map((w) => w.meta?.problem)).toEqual([expect.stringContaining('id'), expect.stringContaining('integer'), 'type is missing']);
    expect(JSON.stringify(logged)).not.toContain(secretish);
  });

  it('goes through the normal limits: a second registration of one user within the window sends nothing', async () => {
    const stream = newStream();
    await redis.client.call('XGROUP', 'CREATE', stream, 'verigate', '$', 'MKSTREAM');
    const user = newUser();
    await redis.client.xadd(stream, '*', ...registered(randomUUID(), user));
    const last = (await redis.client.xadd(stream, '*', ...registered(randomUUID(), user)))!;
    const vg = consumer(stream, 'limited', { limits: { sendsPerUser: '1/1h' } });
    await settled(redis.client, stream, last);
    expect(await mailsTo(vg, user.email)).toBe(1);
    expect(logged.some((l) => l.meta?.stream === stream && l.meta.status === 'RATE_LIMITED')).toBe(true);
  });

  it("blocks on a connection of its own: the host's client stays free while it waits, and open after close()", async () => {
    const stream = newStream();
    const name = `host-${randomUUID().slice(0, 8)}`;
    const host = new Redis(REDIS_URL, { connectionName: name });
    const admin = new Redis(REDIS_URL);
    clients.push(host, admin);
    let hostClosed = false;
    host.on('close', () => { hostClosed = true; });
    const vg = consumer(stream, 'own', { redis: host as never, inbound: { block: '10s' } });
    // A connection named like the host's (a duplicate carries its options) is blocked in XREADGROUP…
    await until('the blocking read', async () => String(await admin.call('CLIENT', 'LIST')).split('\n')
      .some((line) => line.includes(` name=${name} `) && line.includes('cmd=xreadgroup') && / flags=b /.test(line)));
    // …and it is not the host's own: that one answers at once.
    const started = Date.now();
    expect(await host.ping()).toBe('PONG');
    expect(Date.now() - started).toBeLessThan(1_000);
    await vg.close();
    expect(await host.ping()).toBe('PONG');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(hostClosed).toBe(false);
  });

  it('close() returns promptly while the consumer is blocked in XREADGROUP', async () => {
    const stream = newStream();
    const vg = consumer(stream, 'sleepy', { inbound: { block: '10s' } });
    await groupExists(redis.client, stream);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const started = Date.now();
    await vg.close();
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
