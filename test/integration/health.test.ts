import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import express from 'express';
import request from 'supertest';
import { emailVerification, type EmailVerification } from '../../plugin/index.ts';
import { quietLogger } from '../helpers/core.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { startRedisServer, type RedisServer } from '../helpers/redis-server.ts';
import { TEST_SECRET } from '../helpers/services.ts';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.ts';
import { Redis } from 'ioredis';

let db: TestDatabase;
let proxy: TcpProxy;
let vg: EmailVerification;
const dead: unknown[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  proxy = await startTcpProxy(Number(new URL(db.url).port || 5432));
  const url = new URL(db.url);
  url.host = `127.0.0.1:${proxy.port}`;
  vg = emailVerification({
    baseUrl: 'https://app.test/verify', secret: TEST_SECRET, database: { url: url.href, connectTimeout: '500ms' }, databaseTimeout: '1s',
    logger: quietLogger, mail: { from: 'a@app.test', transport: 'smtp://127.0.0.1:1' },
    worker: { autoStart: false, maxAttempts: 1, retryBase: '1s', sendTimeout: '1s', lease: '2s' },
    hooks: { onEmailDead: (event) => { dead.push(event); } },
  });
  await vg.ready();
});
afterAll(async () => {
  await vg.close();
  await proxy.close();
  await db.close();
});

describe('health()', () => {
  it('reports ok with an empty outbox, and a backlog and dead mail as degraded', async () => {
    expect(await vg.health()).toMatchObject({ status: 'ok', database: { ok: true }, outbox: { pending: 0, oldestPendingSeconds: 0, dead: 0 } });
    await vg.sendVerification({ id: 1, email: 'one@example.com' });
    await db.orm.em.fork().execute(`update verigate_outbox set created_at = now() - interval '10 minutes'`);
    expect(await vg.health()).toMatchObject({ status: 'degraded', outbox: { pending: 1, dead: 0 } });
    expect((await vg.health()).outbox!.oldestPendingSeconds).toBeGreaterThanOrEqual(600);

    // The SMTP server does not exist and maxAttempts is 1: the mail goes dead, and the hook hears of it.
    await vg.drain();
    expect(await vg.health()).toMatchObject({ status: 'degraded', outbox: { pending: 0, dead: 1 } });
    expect(dead).toEqual([expect.objectContaining({ kind: 'verify', recipient: 'o***@example.com', attempts: 1 })]);
    expect(JSON.stringify(dead)).not.toMatch(/token=|one@example/);
  });

  it('reports the database down within its timeout, and serves the report on a route (503 when down)', async () => {
    const app = express();
    app.get('/healthz', vg.healthHandler);
    await request(app).get('/healthz').expect(200);
    proxy.setMode('blackhole');
    proxy.cutAll();
    try {
      const started = Date.now();
      const report = await request(app).get('/healthz').expect(503);
      expect(Date.now() - started).toBeLessThan(2500);
      expect(report.body).toMatchObject({ status: 'down', database: { ok: false } });
      expect(report.headers['cache-control']).toBe('no-store');
    } finally {
      proxy.setMode('forward');
    }
    await request(app).get('/healthz').expect(200);
  });
});

describe('health() with Redis', () => {
  let server: RedisServer;
  let client: Redis;
  let withRedis: EmailVerification;
  beforeAll(async () => {
    server = await startRedisServer();
    client = new Redis({ port: server.port, host: '127.0.0.1', enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: true });
    await client.connect();
    withRedis = emailVerification({
      baseUrl: 'https://app.test/verify', secret: TEST_SECRET, em: db.orm.em, logger: quietLogger, redis: client,
      mail: { from: 'a@app.test', transport: 'smtp://127.0.0.1:1' }, worker: { autoStart: false },
    });
  });
  afterAll(async () => {
    await withRedis.close();
    client.disconnect();
    await server.stop();
  });

  it('reports Redis, and down when it stops answering', async () => {
    expect((await withRedis.health()).redis).toMatchObject({ ok: true });
    await server.stop();
    const report = await withRedis.health();
    expect(report.status).toBe('down');
    expect(report.redis).toMatchObject({ ok: false });
  });
});
