import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { csrfFrom, newUser, signedIn } from '../../helpers/flow.ts';
import { createHostApp, type HostApp } from '../../helpers/host-app.ts';
import { startRealServices, type RealServices } from '../../helpers/real-services.ts';
import { startRedisServer, type RedisServer } from '../../helpers/redis-server.ts';
import { createUsersHost, RIGHT_PASSWORD, type UsersHost } from '../../helpers/users-host-app.ts';

const JSON_ACCEPT = { Accept: 'application/json' };
let services: RealServices;
const hosts: Array<{ vg: { close(): Promise<void> } }> = [];

beforeAll(async () => { services = await startRealServices(); });
afterAll(async () => {
  for (const host of hosts) await host.vg.close();
  await services.close();
});

/** A host with the default limits, counted in the shared test Redis under this file's prefix. */
function limitedHost(extra: Record<string, unknown> = {}): HostApp {
  const host = createHostApp({ db: services.db, redis: services.redis, smtpUrl: services.sink.url },
    { limits: undefined, redis: services.redis.client, redisPrefix: `${services.redis.prefix}vg:`, ...extra } as never);
  hosts.push(host);
  return host;
}
const mailsTo = (to: string) => services.sink.messages.filter((m) => m.to === to);

describe('send limits on the resend route', () => {
  it('50 concurrent resends for one user send exactly the allowed 3 messages; the rest get 429 with Retry-After', async () => {
    const host = limitedHost();
    const user = newUser();
    const browser = await signedIn(host.app, user);
    const token = (await browser.get('/verify/pending').set(JSON_ACCEPT).expect(200)).body.csrfToken;
    const answers = await Promise.all(Array.from({ length: 50 }, () =>
      browser.post('/verify/resend').set(JSON_ACCEPT).set('X-CSRF-Token', token).send({})));
    expect(answers.filter((a) => a.status === 202)).toHaveLength(3);
    const limited = answers.filter((a) => a.status === 429);
    expect(limited).toHaveLength(47);
    for (const answer of limited) {
      expect(answer.body.error.code).toBe('RATE_LIMITED');
      expect(answer.body.error.retryAfter).toBeGreaterThan(0);
      expect(Number(answer.headers['retry-after'])).toBe(answer.body.error.retryAfter);
    }
    await host.vg.drain();
    await services.sink.waitFor(() => mailsTo(user.email).length >= 3);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await host.vg.drain();
    expect(mailsTo(user.email)).toHaveLength(3);

    // The page says when to try again, without JavaScript.
    const page = await browser.post('/verify/resend').type('form').send({ _csrf: csrfFrom((await browser.get('/verify/pending')).text) }).expect(429);
    expect(page.text).toContain('Please wait a moment');
    expect(page.text).toMatch(/<strong>You can try again in \d+ (hours?|minutes|seconds)\.<\/strong>/);
    expect(page.text).not.toMatch(/<script/i);
  });

  it('holds across two app instances sharing one Redis', async () => {
    const [a, b] = [limitedHost(), limitedHost()];
    const user = newUser();
    let sent = 0;
    for (const host of [a, b, a, b, a]) {
      const result = await host.vg.sendVerification(user);
      if (result.status === 'SENT') sent++;
      else expect(result).toMatchObject({ status: 'RATE_LIMITED', retryAfterSeconds: expect.any(Number) });
    }
    expect(sent).toBe(3);
  });

  it('counts a recipient by its folded address: tags and Gmail dots share one bucket', async () => {
    const host = limitedHost();
    const local = `jd${randomUUID().slice(0, 6)}`;
    const spellings = [`${local}@gmail.com`, `${local.slice(0, 1)}.${local.slice(1)}+one@gmail.com`, `${local}+two@googlemail.com`, `${local.toUpperCase()}@gmail.com`];
    const results = [];
    for (const [i, email] of spellings.entries()) results.push((await host.vg.sendVerification({ id: `fold-${local}-${i}`, email })).status);
    expect(results).toEqual(['SENT', 'SENT', 'SENT', 'RATE_LIMITED']);
  });
});

describe('password attempts', () => {
  let host: UsersHost;
  beforeAll(async () => {
    host = await createUsersHost(services, { limits: undefined, redis: services.redis.client, redisPrefix: `${services.redis.prefix}pw:` } as never);
    hosts.push(host);
    await host.vg.ready();
  });

  it('are limited per user: after 5 wrong passwords even the right one waits', async () => {
    const id = await host.createUser(`pw-${randomUUID().slice(0, 8)}@example.com`);
    const agent = request.agent(host.app);
    await agent.post('/test/login').send({ id }).expect(200);
    const token = (await agent.get('/verify/email').set(JSON_ACCEPT).expect(200)).body.csrfToken;
    const change = (password: string) => agent.post('/verify/email').set(JSON_ACCEPT).set('X-CSRF-Token', token)
      .send({ email: `new-${randomUUID().slice(0, 8)}@example.com`, password });
    for (let i = 0; i < 5; i++) expect((await change('wrong')).status).toBe(401);
    const limited = await change(RIGHT_PASSWORD);
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('RATE_LIMITED');
  });
});

describe('when Redis is unreachable', () => {
  let server: RedisServer;
  let host: HostApp;
  beforeAll(async () => {
    server = await startRedisServer();
    host = limitedHost({ redis: server.url, redisTimeout: '500ms' });
  });
  afterAll(async () => { await server.stop(); });

  it('fails closed: 503 within 2 s and nothing sent; works again once Redis is back', async () => {
    const user = newUser();
    const browser = await signedIn(host.app, user);
    // verigate's client connects on first use; on a loaded machine that may outlast redisTimeout once
    // (a fast 503, as it should be). Wait for Redis to be in use before taking it away.
    let page = await browser.get('/verify/pending').set(JSON_ACCEPT);
    for (let i = 0; i < 50 && page.status === 503; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      page = await browser.get('/verify/pending').set(JSON_ACCEPT);
    }
    expect(page.status).toBe(200);
    const token = page.body.csrfToken;
    await server.kill();
    const started = Date.now();
    const down = await browser.post('/verify/resend').set(JSON_ACCEPT).set('X-CSRF-Token', token).send({});
    expect(down.status).toBe(503);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(await host.vg.sendVerification(newUser()).catch((error: Error) => error.name)).toBe('ServiceUnavailableError');
    await host.vg.drain();
    expect(mailsTo(user.email)).toHaveLength(0);

    await server.restart();
    let status = 0;
    for (let i = 0; i < 40 && status !== 202; i++) {
      await new Promise((resolve) => setTimeout(resolve, 150));
      status = (await browser.post('/verify/resend').set(JSON_ACCEPT).set('X-CSRF-Token', token).send({})).status;
    }
    expect(status).toBe(202);
  });
});
