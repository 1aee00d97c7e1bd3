import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import csurf from 'csurf';
import { csrfSync } from 'csrf-sync';
import express from 'express';
import type { ErrorRequestHandler, Express, RequestHandler } from 'express';
import request from 'supertest';
import { csrfFrom, newUser, signedIn } from '../helpers/flow.ts';
import { createHostApp, type HostApp } from '../helpers/host-app.ts';
import { startRealServices, type RealServices } from '../helpers/real-services.ts';
import { resultUrl } from '../helpers/result-url.ts';

const JSON_ACCEPT = { Accept: 'application/json' };
let services: RealServices;
const hosts: HostApp[] = [];

beforeAll(async () => { services = await startRealServices(); });
afterAll(async () => {
  for (const host of hosts) await host.vg.close();
  await services.close();
});

const csrfError: ErrorRequestHandler = (error, req, res, next) => {
  if ((error as { code?: string }).code === 'EBADCSRFTOKEN') return void res.status(403).send('host refused the CSRF token');
  next(error);
};

/** A host with csurf mounted globally before every route, verigate's included. */
function hostWithCsurf(overrides: Record<string, unknown> = {}): HostApp {
  const host = createHostApp({ db: services.db, redis: services.redis, smtpUrl: services.sink.url }, overrides, (app) => {
    app.use(express.urlencoded({ extended: false }), express.json());
    const protect = csurf();
    // Everything but the test's stand-in login, verigate's routes included.
    app.use((req, res, next) => (req.path === '/test/login' ? next() : protect(req, res, next)));
  });
  host.app.use(csrfError);
  hosts.push(host);
  return host;
}

function plainHost(overrides: Record<string, unknown> = {}): HostApp {
  const host = createHostApp({ db: services.db, redis: services.redis, smtpUrl: services.sink.url }, overrides);
  hosts.push(host);
  return host;
}

describe("the host's CSRF middleware (csrf: 'auto')", () => {
  it("puts the host's token in verigate's forms, so the host's middleware accepts verigate's POSTs", async () => {
    const host = hostWithCsurf();
    const user = newUser();
    const browser = await signedIn(host.app, user);
    const page = await browser.get('/verify/pending').expect(200);
    await browser.post('/verify/resend').type('form').send({ _csrf: csrfFrom(page.text) }).expect(303);
    // A token that is not the host's is refused by the host, before verigate.
    await browser.post('/verify/resend').type('form').send({ _csrf: 'A'.repeat(43) }).expect(403, 'host refused the CSRF token');
    // JSON clients: the token from the pending JSON in the header the host's middleware reads.
    const json = await browser.get('/verify/pending').set(JSON_ACCEPT).expect(200);
    await browser.post('/verify/resend').set(JSON_ACCEPT).set('X-CSRF-Token', json.body.csrfToken).send({}).expect(202);
  });

  it('carries the host token on the confirm page too, so a link opened in a fresh browser still confirms', async () => {
    const host = hostWithCsurf();
    const user = newUser();
    await host.vg.sendVerification(user);
    await host.vg.drain();
    const mail = await services.sink.waitFor((m) => m.to === user.email);
    const token = /token=([A-Za-z0-9_-]{43})/.exec(mail.text)![1];
    const fresh = request.agent(host.app);
    const page = await fresh.get(`/verify/confirm?token=${token}`).expect(200);
    await fresh.post('/verify/confirm').type('form').send({ token, _csrf: csrfFrom(page.text) }).expect(303).expect('Location', resultUrl('verified'));
  });
});

/**
 * A host protecting its forms with csrf-sync (synchronizer token in the session), reading the token
 * from its own form field (or the `X-CSRF-Token` header), mounted before or after verigate's router.
 * `/host/token` shows what the host's `req.csrfToken()` gives; `/host/form` is a host POST it protects.
 */
function hostWithCsrfSync(order: 'before' | 'after', field: string, overrides: Record<string, unknown> = {}): HostApp {
  const { csrfSynchronisedProtection } = csrfSync({
    getTokenFromRequest: (req) => (req.body?.[field] as string | undefined) ?? (req.headers['x-csrf-token'] as string | undefined),
  });
  const protect: RequestHandler = (req, res, next) => (req.path === '/test/login' ? next() : csrfSynchronisedProtection(req, res, next));
  const hostRoutes = (app: Express) => {
    app.get('/host/token', (req, res) => { res.json({ token: req.csrfToken!() }); });
    app.post('/host/form', (req, res) => { res.json({ ok: true }); });
  };
  const host = createHostApp({ db: services.db, redis: services.redis, smtpUrl: services.sink.url }, overrides, (app) => {
    app.use(express.urlencoded({ extended: false }), express.json());
    if (order === 'before') {
      app.use(protect);
      hostRoutes(app);
    }
  });
  if (order === 'after') {
    host.app.use(express.urlencoded({ extended: false }), protect);
    hostRoutes(host.app);
  }
  host.app.use(csrfError);
  hosts.push(host);
  return host;
}

const fieldValue = (html: string, field: string) => new RegExp(`name="${field}" value="([^"]+)"`).exec(html)?.[1];

describe('csrf-sync as the host\'s CSRF middleware', () => {
  it("mounted before verigate's router (auto): verigate's forms carry the host's req.csrfToken() and the host decides", async () => {
    const host = hostWithCsrfSync('before', '_csrf');
    const browser = await signedIn(host.app, newUser());
    const hostToken = (await browser.get('/host/token').expect(200)).body.token as string;
    const page = await browser.get('/verify/pending').expect(200);
    expect(csrfFrom(page.text)).toBe(hostToken);
    await browser.post('/verify/resend').type('form').send({ _csrf: 'A'.repeat(43) }).expect(403, 'host refused the CSRF token');
    await browser.post('/verify/resend').type('form').send({}).expect(403, 'host refused the CSRF token');
    await browser.post('/verify/resend').type('form').send({ _csrf: hostToken }).expect(303);
    // JSON clients: the same token, from verigate's JSON, in the header csrf-sync reads.
    const json = await browser.get('/verify/pending').set(JSON_ACCEPT).expect(200);
    expect(json.body.csrfToken).toBe(hostToken);
    await browser.post('/verify/resend').set(JSON_ACCEPT).set('X-CSRF-Token', hostToken).send({}).expect(202);
  });

  it("mounted after verigate's router (auto): verigate uses its own token, and the host still protects its own routes", async () => {
    const host = hostWithCsrfSync('after', '_csrf');
    const browser = await signedIn(host.app, newUser());
    const hostToken = (await browser.get('/host/token').expect(200)).body.token as string;
    const own = csrfFrom((await browser.get('/verify/pending').expect(200)).text);
    expect(own).not.toBe(hostToken);
    // verigate checks its own token: the host's (which verigate cannot see checked) is not enough.
    expect((await browser.post('/verify/resend').set(JSON_ACCEPT).send({ _csrf: hostToken }).expect(403)).body.error.code).toBe('CSRF_INVALID');
    expect((await browser.post('/verify/resend').set(JSON_ACCEPT).send({}).expect(403)).body.error.code).toBe('CSRF_INVALID');
    await browser.post('/verify/resend').type('form').send({ _csrf: own }).expect(303);
    await browser.post('/host/form').type('form').send({}).expect(403, 'host refused the CSRF token');
    await browser.post('/host/form').type('form').send({ _csrf: hostToken }).expect(200);
  });

  it("honours the host's field name (csrf: { field }) mounted before: the host's token in the host's field, links included", async () => {
    const host = hostWithCsrfSync('before', 'CSRFToken', { csrf: { field: 'CSRFToken' } });
    const user = newUser();
    const browser = await signedIn(host.app, user);
    const hostToken = (await browser.get('/host/token').expect(200)).body.token as string;
    const page = await browser.get('/verify/pending').expect(200);
    expect(fieldValue(page.text, 'CSRFToken')).toBe(hostToken);
    expect(page.text).not.toContain('name="_csrf"');
    await browser.post('/verify/resend').type('form').send({ _csrf: hostToken }).expect(403, 'host refused the CSRF token');
    await browser.post('/verify/resend').type('form').send({ CSRFToken: hostToken }).expect(303);

    // A link opened in a fresh browser: its button carries that browser's host token in the host's field.
    await host.vg.drain();
    const mail = await services.sink.waitFor((m) => m.to === user.email);
    const token = /token=([A-Za-z0-9_-]{43})/.exec(mail.text)![1];
    const fresh = request.agent(host.app);
    const confirm = await fresh.get(`/verify/confirm?token=${token}`).expect(200);
    const freshToken = fieldValue(confirm.text, 'CSRFToken');
    expect(freshToken).toBe((await fresh.get('/host/token').expect(200)).body.token);
    await fresh.post('/verify/confirm').type('form').send({ token, CSRFToken: freshToken }).expect(303).expect('Location', resultUrl('verified'));
  });

  it("honours the host's field name (csrf: { field }) mounted after: verigate's own token in that field", async () => {
    const host = hostWithCsrfSync('after', 'CSRFToken', { csrf: { field: 'CSRFToken' } });
    const browser = await signedIn(host.app, newUser());
    const page = await browser.get('/verify/pending').expect(200);
    const own = fieldValue(page.text, 'CSRFToken');
    expect(own).toBeDefined();
    expect(own).not.toBe((await browser.get('/host/token').expect(200)).body.token);
    expect((await browser.post('/verify/resend').set(JSON_ACCEPT).send({ _csrf: own }).expect(403)).body.error.code).toBe('CSRF_INVALID');
    await browser.post('/verify/resend').type('form').send({ CSRFToken: own }).expect(303);
  });

  it('refuses a malformed field name at start-up', () => {
    expect(() => hostWithCsrfSync('before', 'x', { csrf: { field: 'bad field"' } })).toThrow(/csrf.field must be a form field name/);
    expect(() => hostWithCsrfSync('before', 'x', { csrf: { feild: 'CSRFToken' } })).toThrow(/csrf/);
  });
});

describe("verigate's own token", () => {
  it('is used when the host has no CSRF middleware, and refuses a missing or wrong token', async () => {
    const host = plainHost();
    const browser = await signedIn(host.app, newUser());
    const page = await browser.get('/verify/pending').expect(200);
    await browser.post('/verify/resend').type('form').send({}).expect(403);
    await browser.post('/verify/resend').type('form').send({ _csrf: 'B'.repeat(43) }).expect(403);
    await browser.post('/verify/resend').type('form').send({ _csrf: csrfFrom(page.text) }).expect(303);
  });

  it("refuses a valid token sent cross-site (Fetch Metadata) or from a foreign Origin", async () => {
    const host = plainHost();
    const browser = await signedIn(host.app, newUser());
    const token = csrfFrom((await browser.get('/verify/pending').expect(200)).text);
    for (const headers of [{ 'Sec-Fetch-Site': 'cross-site' }, { 'Sec-Fetch-Site': 'same-site' }, { Origin: 'https://evil.test' }, { Origin: 'null', 'Sec-Fetch-Site': 'cross-site' }, { Origin: 'null' }]) {
      const answer = await browser.post('/verify/resend').set(JSON_ACCEPT).set(headers).send({ _csrf: token }).expect(403);
      expect(answer.body.error.code).toBe('CSRF_INVALID');
    }
    // verigate's own pages are no-referrer, so a real browser sends Origin: null with same-origin Fetch Metadata.
    await browser.post('/verify/resend').set(JSON_ACCEPT).set({ Origin: 'null', 'Sec-Fetch-Site': 'same-origin' }).send({ _csrf: token }).expect(202);
    await browser.post('/verify/resend').set(JSON_ACCEPT).set({ Origin: 'https://app.test' }).send({ _csrf: token }).expect(202);
  });

  it("with csrf: 'host' and no host middleware, refuses the POST instead of going unprotected", async () => {
    const errors: unknown[] = [];
    const host = plainHost({ csrf: 'host', logger: { info() {}, warn() {}, error: (m: unknown) => errors.push(m) } });
    const browser = await signedIn(host.app, newUser());
    const token = csrfFrom((await browser.get('/verify/pending').expect(200)).text);
    await browser.post('/verify/resend').type('form').send({ _csrf: token }).expect(403);
    expect(String(errors[0])).toContain("Mount your CSRF middleware before verigate's router");
  });

  it('refuses a cross-site confirm POST but accepts one without browser headers (API clients)', async () => {
    const host = plainHost();
    await request(host.app).post('/verify/confirm').set(JSON_ACCEPT).set('Sec-Fetch-Site', 'cross-site').send({ token: 'C'.repeat(43) }).expect(403);
    await request(host.app).post('/verify/confirm').set(JSON_ACCEPT).send({ token: 'C'.repeat(43) }).expect(400);
  });
});

describe('a custom token function', () => {
  it("renders the host's token in the host's field name and defers the check to the host", async () => {
    const host = plainHost({ csrf: { token: () => 'host-issued-token', field: 'authenticity_token' } });
    const browser = await signedIn(host.app, newUser());
    const page = await browser.get('/verify/pending').expect(200);
    expect(page.text).toContain('name="authenticity_token" value="host-issued-token"');
  });
});
