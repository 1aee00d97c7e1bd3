import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { createExampleApp, type ExampleApp } from '../../example-app/app.ts';
import { startRealServices, type RealServices } from '../helpers/real-services.ts';
import { REDIS_URL, TEST_SECRET } from '../helpers/services.ts';
import { linkFrom } from '../helpers/smtp-sink.ts';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.ts';

const JSON_ACCEPT = { Accept: 'application/json' };
const PASSWORD = 'correct horse battery';

/** The example app in real mode, reaching PostgreSQL and Redis through fault-injecting proxies. */
describe('example app when PostgreSQL or Redis misbehave', () => {
  let services: RealServices;
  let pgProxy: TcpProxy;
  let redisProxy: TcpProxy;
  let example: ExampleApp;
  let verified: ReturnType<typeof request.agent>;
  let unverified: ReturnType<typeof request.agent>;
  let counter = 0;
  const fresh = () => `fault-${Date.now()}-${counter++}@example.com`;

  const timed = async (work: () => Promise<request.Response>) => {
    const started = Date.now();
    const response = await work();
    return { response, ms: Date.now() - started };
  };

  beforeAll(async () => {
    services = await startRealServices();
    pgProxy = await startTcpProxy(Number(new URL(services.db.url).port || 5432));
    redisProxy = await startTcpProxy(Number(new URL(REDIS_URL).port || 6379));
    const dbUrl = new URL(services.db.url);
    dbUrl.host = `127.0.0.1:${pgProxy.port}`;
    example = await createExampleApp({
      NODE_ENV: 'test', DATABASE_URL: dbUrl.href, REDIS_URL: `redis://127.0.0.1:${redisProxy.port}`, REDIS_PREFIX: `${services.redis.prefix}sess:`,
      SMTP_URL: services.sink.url, VERIGATE_SECRET: TEST_SECRET, SESSION_SECRET: TEST_SECRET, BASE_URL: 'http://localhost:3000',
    });
    // One verified and one unverified user, signed in.
    const email = fresh();
    verified = request.agent(example.app);
    await verified.post('/signup').set(JSON_ACCEPT).send({ email, password: PASSWORD }).expect(202);
    await verified.post('/login').set(JSON_ACCEPT).send({ email, password: PASSWORD }).expect(200);
    const link = new URL(linkFrom(await services.sink.waitFor((m) => m.to === email)));
    await verified.post('/verify/confirm').type('form').send({ token: link.searchParams.get('token') }).expect(303);
    await verified.get('/dashboard').expect(200);
    unverified = request.agent(example.app);
    const second = fresh();
    await unverified.post('/signup').set(JSON_ACCEPT).send({ email: second, password: PASSWORD }).expect(202);
    await unverified.post('/login').set(JSON_ACCEPT).send({ email: second, password: PASSWORD }).expect(200);
  }, 60_000);
  afterAll(async () => {
    await example?.close();
    await pgProxy?.close();
    await redisProxy?.close();
    await services?.close();
  });

  it('PostgreSQL black-holed: dashboard, gate and sign-up answer 503 within 2 s, never let an unverified user through, and recover', async () => {
    pgProxy.setMode('blackhole');
    try {
      for (const [agent, path] of [[verified, '/dashboard'], [unverified, '/dashboard'], [unverified, '/verify/pending']] as const) {
        const { response, ms } = await timed(() => agent.get(path).set(JSON_ACCEPT));
        expect(response.status).toBe(503);
        expect(response.headers['retry-after']).toBe('5');
        expect(ms).toBeLessThan(2000);
      }
      const signup = await timed(() => request(example.app).post('/signup').set(JSON_ACCEPT).send({ email: fresh(), password: PASSWORD }));
      expect(signup.response.status).toBe(503);
      expect(signup.ms).toBeLessThan(2000);
    } finally {
      pgProxy.setMode('forward');
      pgProxy.cutAll();
    }
    await eventually(async () => (await verified.get('/dashboard').set(JSON_ACCEPT)).status === 200);
    await unverified.get('/dashboard').set(JSON_ACCEPT).expect(403);
  });

  it('Redis answering 5 s late: 503 within 2 s on gated and sending routes, then back to normal', async () => {
    redisProxy.setDelay(5000);
    try {
      for (const [agent, method, path] of [[verified, 'get', '/dashboard'], [unverified, 'get', '/dashboard'], [unverified, 'post', '/verify/resend']] as const) {
        const { response, ms } = await timed(() => agent[method](path).set(JSON_ACCEPT));
        expect(response.status).toBe(503);
        expect(ms).toBeLessThan(2000);
      }
    } finally {
      redisProxy.setDelay(0);
      redisProxy.cutAll();
    }
    await eventually(async () => (await verified.get('/dashboard').set(JSON_ACCEPT)).status === 200);
    await unverified.get('/dashboard').set(JSON_ACCEPT).expect(403);
  });
});

async function eventually(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`not recovered within ${timeoutMs} ms`);
}
