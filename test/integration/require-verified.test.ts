import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { MikroORM } from '@mikro-orm/postgresql';
import request from 'supertest';
import { verigateEntities } from '../../src/entities/index.ts';
import type { TestDatabase } from '../helpers/database.ts';
import { mailedToken, newUser, signedIn } from '../helpers/flow.ts';
import { createHostApp, type HostApp } from '../helpers/host-app.ts';
import { startRealServices, type RealServices } from '../helpers/real-services.ts';
import type { TestRedis } from '../helpers/redis.ts';
import type { SmtpSink } from '../helpers/smtp-sink.ts';

let services: RealServices;
let db: TestDatabase;
let redis: TestRedis;
let sink: SmtpSink;
let host: HostApp;
const JSON_ACCEPT = { Accept: 'application/json' };

beforeAll(async () => {
  services = await startRealServices();
  ({ db, redis, sink } = services);
  host = createHostApp({ db, redis, smtpUrl: sink.url });
});
afterAll(async () => {
  await host.vg.close();
  await services.close();
});

describe('requireVerified', () => {
  it('sends anonymous page requests to the login page and answers API clients 401', async () => {
    await request(host.app).get('/dashboard').expect(302).expect('Location', '/login?returnTo=%2Fdashboard');
    const json = await request(host.app).get('/api/data').set(JSON_ACCEPT).expect(401);
    expect(json.body.error.code).toBe('UNAUTHENTICATED');
  });

  it('redirects an unverified browser to the pending page with a safe returnTo, and answers API clients 403', async () => {
    const browser = await signedIn(host.app, newUser());
    await browser.get('/dashboard?tab=2').expect(302).expect('Location', '/verify/pending?returnTo=%2Fdashboard%3Ftab%3D2');
    const json = await browser.get('/api/data').set(JSON_ACCEPT).expect(403);
    expect(json.body).toEqual({ error: { code: 'EMAIL_NOT_VERIFIED', message: expect.any(String), pendingUrl: '/verify/pending' } });
    expect(json.body).not.toHaveProperty('secret');
  });

  it('lets a verified user through', async () => {
    const user = newUser();
    await host.vg.confirm(await mailedToken(host.vg, sink, user));
    const browser = await signedIn(host.app, user);
    await browser.get('/dashboard').expect(200, '<h1>Dashboard</h1>');
    await browser.get('/api/data').set(JSON_ACCEPT).expect(200, { secret: 42 });
  });

  it('costs a verified user no database query and no Redis command beyond the session load on the hot path', async () => {
    const user = newUser();
    await host.vg.confirm(await mailedToken(host.vg, sink, user));
    const browser = await signedIn(host.app, user);
    await browser.get('/dashboard').expect(200); // first pass checks the database and remembers the pair

    redis.commands.length = 0;
    await browser.get('/open').expect(200);
    const baseline = [...redis.commands];
    expect(baseline.length).toBeGreaterThan(0); // the host's own session load is visible

    db.queries.length = 0;
    redis.commands.length = 0;
    for (let i = 0; i < 5; i++) await browser.get('/dashboard').expect(200);
    expect(db.queries).toEqual([]);
    expect(redis.commands).toEqual([...baseline, ...baseline, ...baseline, ...baseline, ...baseline]);
  });

  it('remembers a verified user seen by the pending page, so the next gated request skips the database', async () => {
    const user = newUser();
    await host.vg.confirm(await mailedToken(host.vg, sink, user));
    const browser = await signedIn(host.app, user);
    await browser.get('/verify/pending').set(JSON_ACCEPT).expect(200, { status: 'VERIFIED' });
    db.queries.length = 0;
    await browser.get('/dashboard').expect(200);
    expect(db.queries).toEqual([]);
  });

  it('re-checks an unverified user on each request, so a verification made elsewhere opens the gate at once', async () => {
    const user = newUser();
    const first = await signedIn(host.app, user);
    await first.get('/dashboard').expect(302);
    db.queries.length = 0;
    await first.get('/dashboard').expect(302);
    expect(db.queries.some((q) => q.includes('verigate_verified_email'))).toBe(true);

    // Confirmed by another service through the API: no browser involved, sessions untouched.
    expect((await host.vg.confirm(await mailedToken(host.vg, sink, user))).status).toBe('VERIFIED');
    await first.get('/dashboard').expect(200);
  });

  it('ends sessions that existed before a verification made in another browser (pre-hijack defence)', async () => {
    const user = newUser();
    const earlier = await signedIn(host.app, user); // e.g. whoever signed up with this address first
    await earlier.get('/dashboard').expect(302);
    const token = await mailedToken(host.vg, sink, user);
    const other = request.agent(host.app); // a different browser, not signed in
    await other.get(`/verify/confirm?token=${token}`).expect(200);
    await other.post('/verify/confirm').type('form').send({ token }).expect(303);
    // The earlier session is gone from the store: that browser is asked to sign in again.
    await earlier.get('/dashboard').expect(302).expect('Location', '/login?returnTo=%2Fdashboard');
  });

  it('rotates the session id of the browser that verifies, keeps it signed in, and ends the user\'s other sessions', async () => {
    const user = newUser();
    const other = await signedIn(host.app, user);
    await other.get('/dashboard').expect(302);
    const browser = await signedIn(host.app, user);
    await browser.get('/verify/pending').expect(200);
    const sid = () => /sid=([^;]+)/.exec(String(browser.jar.getCookies({ domain: '127.0.0.1', path: '/', secure: false, script: false } as never)))?.[1];
    const before = sid();
    expect(before).toBeDefined();
    const token = await mailedToken(host.vg, sink, user);
    await browser.get(`/verify/confirm?token=${token}`).expect(200);
    await browser.post('/verify/confirm').type('form').send({ token }).expect(303);
    expect(sid()).toBeDefined();
    expect(sid()).not.toBe(before);
    await browser.get('/dashboard').expect(200);
    await other.get('/dashboard').expect(302).expect('Location', '/login?returnTo=%2Fdashboard');
  });

  it('revoke() withdraws the verification and ends the sessions that cached it', async () => {
    const user = newUser();
    const browser = await signedIn(host.app, user);
    await host.vg.confirm(await mailedToken(host.vg, sink, user));
    await browser.get('/dashboard').expect(200); // the pair is now cached in this session
    const result = await host.vg.revoke(user.id);
    expect(result).toMatchObject({ status: 'REVOKED', pairs: 1 });
    expect(result.sessionsEnded).toBeGreaterThanOrEqual(1);
    await browser.get('/dashboard').expect(302).expect('Location', '/login?returnTo=%2Fdashboard');
    expect(await host.vg.isVerified(user)).toBe(false);
    expect(await host.vg.revoke({ nested: 1 } as never)).toEqual({ status: 'INVALID_USER', sessionsEnded: 0 });
  });

  it('closes again by itself when the host changes the user\'s email', async () => {
    const user = newUser();
    await host.vg.confirm(await mailedToken(host.vg, sink, user));
    const browser = await signedIn(host.app, user);
    await browser.get('/dashboard').expect(200);
    await browser.post('/test/change-email').send({ email: `new-${user.email}` }).expect(200);
    await browser.get('/dashboard').expect(302);
  });

  it('treats case differences in the domain as the same address', async () => {
    const user = newUser();
    await host.vg.confirm(await mailedToken(host.vg, sink, user));
    const browser = await signedIn(host.app, { id: user.id, email: user.email.replace('example.com', 'EXAMPLE.com') });
    await browser.get('/dashboard').expect(200);
  });
});

describe('requireVerified when PostgreSQL is unreachable', () => {
  it('fails closed with a fast 503, for pages and API clients', async () => {
    const broken = await MikroORM.init({
      clientUrl: 'postgresql://postgres@127.0.0.1:1/nowhere', entities: [...verigateEntities],
      pool: { min: 0, max: 1 }, driverOptions: { connectionTimeoutMillis: 1000 },
    });
    const down = createHostApp({ db: { ...db, orm: broken }, redis, smtpUrl: sink.url });
    try {
      const browser = await signedIn(down.app, newUser());
      const started = Date.now();
      const page = await browser.get('/dashboard').expect(503);
      expect(page.headers['retry-after']).toBe('5');
      expect(page.text).toContain('Temporarily unavailable');
      const json = await browser.get('/api/data').set(JSON_ACCEPT).expect(503);
      expect(json.body.error.code).toBe('SERVICE_UNAVAILABLE');
      expect(json.body).not.toHaveProperty('secret');
      expect(Date.now() - started).toBeLessThan(3000);
    } finally {
      await down.vg.close();
      await broken.close(true);
    }
  });
});
