import { randomInt, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Cluster } from 'ioredis';
import type { VerigateCore } from '../../src/core.ts';
import type { EmailRenderer } from '../../src/ports/mail.ts';
import { createTestCore, quietLogger } from '../helpers/core.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { startRedisCluster, type RedisCluster } from '../helpers/redis-server.ts';

// A private 3-master cluster on loopback, started and removed by this file.
let cluster: RedisCluster;
let host: Cluster;
let db: TestDatabase;
const cores: VerigateCore[] = [];
const renderer: EmailRenderer = { async render(kind) { return { subject: kind, html: '', text: '' }; } };

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

beforeAll(async () => {
  [cluster, db] = await Promise.all([startRedisCluster(3), createTestDatabase()]);
  host = new Cluster(cluster.nodes.map((n) => ({ ...n })));
  host.on('error', () => {});
}, 60_000);
afterAll(async () => {
  for (const c of cores) await c.close();
  host.disconnect();
  await cluster.stop();
  await db.close();
});

describe('events on a Redis Cluster', () => {
  it.each([
    ['seed URLs', () => cluster.nodes.map((n) => `redis://${n.host}:${n.port}`)],
    ["the host's Cluster client", () => host],
  ])('consumes user.registered and publishes to the stream, given %s', async (_, redisOption) => {
    const tag = randomUUID().slice(0, 8);
    const [inbound, outbound] = [`{users-${tag}}:in`, `{users-${tag}}:out`];
    const vg = createTestCore(db, renderer, {
      redis: redisOption() as never, logger: quietLogger,
      events: { redisStream: { key: outbound } },
      inboundEvents: { stream: inbound, consumer: `c-${tag}`, block: '200ms' },
    });
    cores.push(vg);
    await until('the group', async () => ((await host.call('XINFO', 'GROUPS', inbound)) as unknown[]).length === 1);
    const userId = randomInt(1, 2 ** 40);
    await host.xadd(inbound, '*', 'type', 'user.registered', 'id', randomUUID(), 'userId', String(userId), 'email', `c.${tag}@example.com`);
    await until('the token', async () => (await db.orm.em.fork().execute('select 1 from verigate_token where user_id = ?', [String(userId)])).length === 1);
    await until('the ack', async () => Number(((await host.call('XPENDING', inbound, 'verigate')) as unknown[])[0]) === 0);
    // The event is delivered (the mail's SMTP server is unreachable here: not this test's subject).
    expect(await vg.drain()).toBe(1);
    const [[, fields]] = await host.xrange(outbound, '-', '+');
    expect(JSON.parse(fields[fields.indexOf('payload') + 1])).toMatchObject({ type: 'email.verification_sent', data: { userId: String(userId) } });
    // The consumer read on a connection of its own: closing verigate leaves the host's client working.
    await vg.close();
    expect(await host.ping()).toBe('PONG');
  });
});
