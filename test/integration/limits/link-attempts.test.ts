import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { mailedToken, newUser } from '../../helpers/flow.ts';
import { createHostApp, type HostApp } from '../../helpers/host-app.ts';
import { startRealServices, type RealServices } from '../../helpers/real-services.ts';
import { startRedisServer, type RedisServer } from '../../helpers/redis-server.ts';

const JSON_ACCEPT = { Accept: 'application/json' };
const JUNK = 'A'.repeat(43);
let services: RealServices;
const hosts: HostApp[] = [];

beforeAll(async () => { services = await startRealServices(); });
afterAll(async () => {
  for (const host of hosts) await host.vg.close();
  await services.close();
});

/** A host behind a proxy on loopback (`trust proxy`), its limits in the shared test Redis under `prefix`. */
function proxiedHost(prefix: string, extra: Record<string, unknown> = {}): HostApp {
  const host = createHostApp({ db: services.db, redis: services.redis, smtpUrl: services.sink.url },
    { limits: { attemptsPerIp: '3/10m' }, redis: services.redis.client, redisPrefix: `${services.redis.prefix}${prefix}:`, ...extra } as never,
    (app) => { app.set('trust proxy', 'loopback'); });
  hosts.push(host);
  return host;
}
const confirm = (host: HostApp, token: string, ip: string) =>
  request(host.app).post('/verify/confirm').set(JSON_ACCEPT).set('X-Forwarded-For', ip).send({ token });

describe('failed link attempts per client IP', () => {
  it('counts failures per forwarded client IP and answers 429 with Retry-After past the limit', async () => {
    const host = proxiedHost('a');
    for (let i = 0; i < 3; i++) expect((await confirm(host, JUNK, '203.0.113.7')).body.error.code).toBe('TOKEN_INVALID');
    const limited = await confirm(host, JUNK, '203.0.113.7').expect(429);
    expect(limited.body.error).toMatchObject({ code: 'RATE_LIMITED' });
    expect(Number(limited.headers['retry-after'])).toBe(limited.body.error.retryAfter);
    expect(limited.body.error.retryAfter).toBeGreaterThan(500);
    // Another client behind the same proxy is not affected.
    expect((await confirm(host, JUNK, '203.0.113.8')).body.error.code).toBe('TOKEN_INVALID');
  });

  it('does not count good links: a client confirming many links is never limited', async () => {
    const host = proxiedHost('b');
    for (let i = 0; i < 5; i++) {
      const user = newUser();
      const token = await mailedToken(host.vg, services.sink, user);
      expect((await confirm(host, token, '198.51.100.1').expect(200)).body.status).toBe('VERIFIED');
    }
    for (let i = 0; i < 3; i++) await confirm(host, JUNK, '198.51.100.1').expect(400);
    await confirm(host, JUNK, '198.51.100.1').expect(429);
  });

  it('refuses a limited client before the lookup, so even a good link waits and stays usable', async () => {
    const host = proxiedHost('c');
    const user = newUser();
    const token = await mailedToken(host.vg, services.sink, user);
    for (let i = 0; i < 4; i++) await confirm(host, JUNK, '192.0.2.9');
    await confirm(host, token, '192.0.2.9').expect(429);
    expect(await host.vg.isVerified(user)).toBe(false);
    expect((await confirm(host, token, '192.0.2.10').expect(200)).body.status).toBe('VERIFIED');
  });

  it('holds across two instances sharing one Redis: the other instance refuses the next failure', async () => {
    const [a, b] = [proxiedHost('d'), proxiedHost('d')];
    for (let i = 0; i < 3; i++) await confirm(a, JUNK, '192.0.2.77').expect(400);
    await confirm(b, JUNK, '192.0.2.77').expect(429);
    await confirm(a, JUNK, '192.0.2.77').expect(429);
  });

  it('applies to the email-change confirmation and undo links as well', async () => {
    const host = proxiedHost('e');
    await request(host.app).post('/verify/email/confirm').set(JSON_ACCEPT).set('X-Forwarded-For', '192.0.2.50').send({ token: JUNK }).expect(400);
    await request(host.app).post('/verify/email/undo').set(JSON_ACCEPT).set('X-Forwarded-For', '192.0.2.50').send({ token: JUNK }).expect(400);
    await confirm(host, JUNK, '192.0.2.50').expect(400);
    await request(host.app).post('/verify/email/undo').set(JSON_ACCEPT).set('X-Forwarded-For', '192.0.2.50').send({ token: JUNK }).expect(429);
  });
});

describe('failed link attempts when Redis is unreachable', () => {
  let server: RedisServer;
  let host: HostApp;
  beforeAll(async () => {
    server = await startRedisServer();
    host = proxiedHost('f', { redis: server.url, redisTimeout: '500ms' });
  });
  afterAll(async () => { await server.stop(); });

  it('fails closed before consuming anything: 503 within 2 s, the link still works once Redis is back', async () => {
    // verigate's own client connects in the background; wait until its limits answer.
    for (let i = 0; i < 40 && (await confirm(host, JUNK, '192.0.2.2')).status !== 400; i++) await new Promise((resolve) => setTimeout(resolve, 50));
    const user = newUser();
    const token = await mailedToken(host.vg, services.sink, user);
    await server.kill();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const started = Date.now();
    await confirm(host, token, '192.0.2.1').expect(503);
    await confirm(host, JUNK, '192.0.2.1').expect(503);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(await host.vg.isVerified(user)).toBe(false);

    await server.restart();
    let status = 0;
    for (let i = 0; i < 40 && status !== 200; i++) {
      await new Promise((resolve) => setTimeout(resolve, 150));
      status = (await confirm(host, token, '192.0.2.1')).status;
    }
    expect(status).toBe(200);
    expect(await host.vg.isVerified(user)).toBe(true);
  });
});
