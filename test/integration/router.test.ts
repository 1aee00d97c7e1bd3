import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import type { TestDatabase } from '../helpers/database.ts';
import { ageTokens } from '../helpers/time-travel.ts';
import { csrfFrom, mailedToken, newUser, signedIn } from '../helpers/flow.ts';
import { createHostApp, type HostApp } from '../helpers/host-app.ts';
import { startRealServices, type RealServices } from '../helpers/real-services.ts';
import type { TestRedis } from '../helpers/redis.ts';
import type { SmtpSink } from '../helpers/smtp-sink.ts';
import { resultUrl } from '../helpers/result-url.ts';

let services: RealServices;
let db: TestDatabase;
let redis: TestRedis;
let sink: SmtpSink;
let host: HostApp;
const JSON_ACCEPT = { Accept: 'application/json' };

beforeAll(async () => {
  services = await startRealServices();
  ({ db, redis, sink } = services);
  host = createHostApp({ db, redis, smtpUrl: sink.url }, { tokenTtl: '1h' });
});
afterAll(async () => {
  await host.vg.close();
  await services.close();
});

const tokenState = async (userId: string) =>
  (await db.orm.em.fork().execute('select used_at from verigate_token where user_id = ? order by created_at desc', [userId]))[0];

describe('sign-up verification, end to end', () => {
  it('mails a link; GET shows a button and leaves the token unused; POST verifies; the gate opens', async () => {
    const user = newUser();
    const browser = await signedIn(host.app, user);
    const gated = await browser.get('/dashboard').expect(302).expect('Location', '/verify/pending?returnTo=%2Fdashboard');
    await browser.get(gated.headers.location).expect(200);

    const token = await mailedToken(host.vg, sink, user);
    const mail = sink.messages.find((m) => m.to === user.email)!;
    expect(mail.subject).toBe('Confirm your email address for Test App');
    expect(mail.html).toContain(`https://app.test/verify/confirm?token=${token}`);

    const page = await browser.get(`/verify/confirm?token=${token}`).expect(200);
    expect(page.text).toContain('Confirm my email address');
    // Nothing loaded from anywhere else: the one subresource is verigate's stylesheet, from the router.
    expect([...page.text.matchAll(/<(script|link|img|iframe)\b[^>]*>/gi)].map((m) => m[0]))
      .toEqual([expect.stringMatching(/^<link rel="stylesheet" href="\/verify\/assets\/verigate\.[0-9a-f]{12}\.css">$/)]);
    expect(page.text).not.toMatch(/url\(|@import|<style|\sstyle=/i);
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect((await tokenState(user.id)).used_at).toBeNull();

    const confirmed = await browser.post('/verify/confirm').type('form').send({ token }).expect(303);
    expect(confirmed.headers.location).toMatch(resultUrl('verified'));
    expect(confirmed.headers.location).not.toContain(token);
    expect((await tokenState(user.id)).used_at).not.toBeNull();

    // Nothing at rest holds the token: not the token table, not the (sent, scrubbed) outbox.
    const atRest = JSON.stringify(await db.orm.em.fork().execute(
      `select (select json_agg(t) from verigate_token t) as tokens, (select json_agg(o) from verigate_outbox o) as outbox`));
    expect(atRest).toContain(user.id);
    expect(atRest).not.toContain(token);

    const result = await browser.get(confirmed.headers.location).expect(200);
    expect(result.text).toContain('Email address confirmed');
    expect(result.text).toContain('href="/dashboard"');
    await browser.get('/dashboard').expect(200, '<h1>Dashboard</h1>');
  });

  it('answers JSON with the same outcomes when asked', async () => {
    const user = newUser();
    const token = await mailedToken(host.vg, sink, user);
    await request(host.app).get(`/verify/confirm?token=${token}`).set(JSON_ACCEPT)
      .expect(200, { status: 'CONFIRMATION_REQUIRED', method: 'POST', action: '/verify/confirm' });
    await request(host.app).post('/verify/confirm').set(JSON_ACCEPT).send({ token }).expect(200, { status: 'VERIFIED' });
    const again = await request(host.app).post('/verify/confirm').set(JSON_ACCEPT).send({ token }).expect(409);
    expect(again.body.error.code).toBe('TOKEN_USED');
  });
});

describe('concurrency', () => {
  it('lets exactly one of 20 concurrent POSTs of one token verify; the rest are told it was used', async () => {
    const user = newUser();
    const token = await mailedToken(host.vg, sink, user);
    const responses = await Promise.all(Array.from({ length: 20 }, () =>
      request(host.app).post('/verify/confirm').set(JSON_ACCEPT).send({ token })));
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(19);
    expect(responses.find((r) => r.status === 200)!.body).toEqual({ status: 'VERIFIED' });
    for (const r of responses.filter((x) => x.status === 409)) expect(r.body.error.code).toBe('TOKEN_USED');
  });
});

describe('unusable tokens get the right result, never a 500', () => {
  const cases: Array<[string, () => Promise<{ token: unknown; userId?: string }>, string, number, string]> = [
    ['expired', async () => { const u = newUser(); const token = await mailedToken(host.vg, sink, u); await ageTokens(db, 3_600_001, u.id); return { token }; }, 'expired', 410, 'TOKEN_EXPIRED'],
    ['used', async () => { const u = newUser(); const token = await mailedToken(host.vg, sink, u); await host.vg.confirm(token); return { token }; }, 'used', 409, 'TOKEN_USED'],
    ['superseded', async () => { const u = newUser(); const token = await mailedToken(host.vg, sink, u); await mailedToken(host.vg, sink, u); return { token }; }, 'superseded', 410, 'TOKEN_SUPERSEDED'],
    ['tampered', async () => { const token = await mailedToken(host.vg, sink, newUser()); return { token: `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}` }; }, 'invalid', 400, 'TOKEN_INVALID'],
    ['empty', async () => ({ token: '' }), 'invalid', 400, 'TOKEN_INVALID'],
    ['missing', async () => ({ token: undefined }), 'invalid', 400, 'TOKEN_INVALID'],
    ['10 kB', async () => ({ token: 'x'.repeat(10_240) }), 'invalid', 400, 'TOKEN_INVALID'],
  ];

  it.each(cases)('%s token: HTML result page and JSON code', async (_label, make, slug, http, code) => {
    const { token } = await make();
    const body = token === undefined ? {} : { token };
    const html = await request(host.app).post('/verify/confirm').type('form').send(body).expect(303);
    expect(html.headers.location).toMatch(resultUrl(slug));
    const page = await request(host.app).get(html.headers.location).expect(http);
    expect(page.text).toMatch(slug === 'used' ? /already used/ : /Send a new link/);
    const json = await request(host.app).post('/verify/confirm').set(JSON_ACCEPT).send(body).expect(http);
    expect(json.body).toEqual({ error: { code, message: expect.any(String) } });
    // Only well-formed tokens get a confirm page; junk goes straight to the invalid result.
    if (typeof token === 'string' && token.length !== 43) {
      const get = await request(host.app).get(`/verify/confirm?token=${encodeURIComponent(token)}`).expect(303);
      expect(get.headers.location).toMatch(resultUrl('invalid'));
    }
  });

  it('answers a body over the size limit with 413, and malformed JSON with 400', async () => {
    const big = await request(host.app).post('/verify/confirm').set(JSON_ACCEPT).send({ token: 'x'.repeat(40_000) }).expect(413);
    expect(big.body.error.code).toBe('PAYLOAD_TOO_LARGE');
    const bad = await request(host.app).post('/verify/confirm').set(JSON_ACCEPT).set('Content-Type', 'application/json').send('{"token":').expect(400);
    expect(bad.body.error.code).toBe('INVALID_REQUEST');
    expect(JSON.stringify(bad.body)).not.toMatch(/at .*\.ts|SyntaxError/);
  });

  it('answers an unknown result status with 404', async () => {
    await request(host.app).get('/verify/result?status=nope').expect(404);
  });
});

describe('pending page and resend', () => {
  it('sends anonymous visitors to sign in', async () => {
    await request(host.app).get('/verify/pending').expect(302).expect('Location', '/login?returnTo=%2Fverify%2Fpending');
    const json = await request(host.app).get('/verify/pending').set(JSON_ACCEPT).expect(401);
    expect(json.body.error.code).toBe('UNAUTHENTICATED');
  });

  it('resends with a valid CSRF token, superseding the old link', async () => {
    const user = newUser();
    const first = await mailedToken(host.vg, sink, user);
    const browser = await signedIn(host.app, user);
    const page = await browser.get('/verify/pending').expect(200);
    expect(page.text).toContain(user.email);
    const resent = await browser.post('/verify/resend').type('form').send({ _csrf: csrfFrom(page.text) }).expect(303);
    expect(resent.headers.location).toBe('/verify/pending');
    const after = (await browser.get(resent.headers.location).expect(200)).text;
    expect(after.slice(after.indexOf('<main'))).toContain('We sent a new link');
    // The notice is shown once, not on every later visit.
    expect((await browser.get('/verify/pending').expect(200)).text).not.toContain('We sent a new link');
    await host.vg.drain();
    await sink.waitFor(() => sink.messages.filter((m) => m.to === user.email).length === 2);
    expect((await host.vg.confirm(first)).status).toBe('TOKEN_SUPERSEDED');
  });

  it('refuses a resend without or with a wrong CSRF token, and sends nothing', async () => {
    const user = newUser();
    const browser = await signedIn(host.app, user);
    await browser.get('/verify/pending').expect(200);
    const noToken = await browser.post('/verify/resend').set(JSON_ACCEPT).send({}).expect(403);
    expect(noToken.body.error.code).toBe('CSRF_INVALID');
    await browser.post('/verify/resend').type('form').send({ _csrf: 'forged' }).expect(403);
    const rows = await db.orm.em.fork().execute('select 1 from verigate_token where user_id = ?', [user.id]);
    expect(rows).toHaveLength(0);
  });

  it('resends over JSON with the token from the pending JSON', async () => {
    const user = newUser();
    const browser = await signedIn(host.app, user);
    const pending = await browser.get('/verify/pending').set(JSON_ACCEPT).expect(200);
    expect(pending.body).toMatchObject({ status: 'PENDING', email: user.email, csrfToken: expect.any(String) });
    const sent = await browser.post('/verify/resend').set(JSON_ACCEPT).set('X-CSRF-Token', pending.body.csrfToken).send({}).expect(202);
    expect(sent.body.status).toBe('SENT');
  });

  it('sends a verified user from the pending page on to where they were going', async () => {
    const user = newUser();
    await host.vg.confirm(await mailedToken(host.vg, sink, user));
    const browser = await signedIn(host.app, user);
    await browser.get('/verify/pending?returnTo=%2Fdashboard').expect(303).expect('Location', '/dashboard');
    const json = await browser.get('/verify/pending').set(JSON_ACCEPT).expect(200, { status: 'VERIFIED' });
    expect(json.headers['cache-control']).toBe('no-store');
    expect(json.headers['referrer-policy']).toBe('no-referrer');
  });

  it('ignores an unsafe returnTo', async () => {
    const user = newUser();
    await host.vg.confirm(await mailedToken(host.vg, sink, user));
    const browser = await signedIn(host.app, user);
    for (const evil of ['//evil.test', '/\\evil.test', 'https://evil.test', '/%2F%2Fevil.test']) {
      await browser.get(`/verify/pending?returnTo=${encodeURIComponent(evil)}`).expect(303).expect('Location', '/');
    }
  });
});
