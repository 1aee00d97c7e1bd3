import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import express from 'express';
import request from 'supertest';
import { altchaChallenge, devMailbox, VerigateConfigError } from '../../plugin/index.ts';
import { createHostApp, type HostApp } from '../helpers/host-app.ts';
import { startRealServices, type RealServices } from '../helpers/real-services.ts';
import { createUsersHost, type UsersHost } from '../helpers/users-host-app.ts';

const JSON_ACCEPT = { Accept: 'application/json' };
const hostViews = fileURLToPath(new URL('../fixtures/host-views', import.meta.url));
const WELL_FORMED_TOKEN = 'A'.repeat(43);
let services: RealServices;
let host: UsersHost;
const others: HostApp[] = [];

beforeAll(async () => {
  services = await startRealServices();
  host = await createUsersHost(services, { challenge: altchaChallenge({ hmacKey: 'altcha-test-key-0123456789abcdefghijklmnop', maxNumber: 2000 }) });
  await host.vg.ready();
});
afterAll(async () => {
  for (const other of others) await other.vg.close();
  await host.vg.close();
  await services.close();
});

function otherHost(overrides: Record<string, unknown>, before: (app: express.Express) => void = () => {}): HostApp {
  const made = createHostApp({ db: services.db, redis: services.redis, smtpUrl: services.sink.url }, overrides, before);
  others.push(made);
  return made;
}

function policyOf(header: string | undefined): Map<string, string[]> {
  return new Map((header ?? '').split(';').map((part) => part.trim().split(/\s+/)).filter((p) => p[0]).map(([name, ...sources]) => [name, sources]));
}

/** Every page verigate renders for this host, reached the way a person reaches it. */
async function everyPage(): Promise<[string, request.Response][]> {
  const id = await host.createUser(`pages-${Date.now()}@example.com`);
  const agent = request.agent(host.app);
  await agent.post('/test/login').send({ id }).expect(200);
  const pending = await agent.get('/verify/pending').expect(200);
  const csrf = /name="_csrf" value="([^"]+)"/.exec(pending.text)![1];
  await agent.post('/verify/resend').type('form').send({ _csrf: csrf }).expect(303);
  const invalid = await request(host.app).get('/verify/confirm?token=nope').expect(303);
  return [
    ['resend (anonymous, with the bot challenge)', await request(host.app).get('/verify/resend').expect(200)],
    ['pending, with the code form', await agent.get('/verify/pending').expect(200)],
    ['pending after a wrong code', await agent.post('/verify/code').type('form').send({ _csrf: csrf, code: 'ABCD-EFGH' }).expect(400)],
    ['email form', await agent.get('/verify/email').expect(200)],
    ['confirm', await request(host.app).get(`/verify/confirm?token=${WELL_FORMED_TOKEN}`).expect(200)],
    ['email confirm', await request(host.app).get(`/verify/email/confirm?token=${WELL_FORMED_TOKEN}`).expect(200)],
    ['email undo', await request(host.app).get(`/verify/email/undo?token=${WELL_FORMED_TOKEN}`).expect(200)],
    ['result', await request(host.app).get(invalid.headers.location).expect(400)],
    ['error', await request(host.app).get('/verify/result').expect(404)],
  ];
}

describe("verigate's pages", () => {
  let pages: [string, request.Response][];
  beforeAll(async () => { pages = await everyPage(); });

  it('send a Content-Security-Policy with no inline script or style, and the private headers', () => {
    for (const [name, page] of pages) {
      const policy = policyOf(page.headers['content-security-policy']);
      expect([name, policy.get('default-src')]).toEqual([name, ["'none'"]]);
      for (const directive of ['script-src', 'style-src']) {
        const sources = policy.get(directive)!;
        expect([name, sources[0], sources.length]).toEqual([name, "'self'", 2]);
        expect(sources[1]).toMatch(/^'nonce-[A-Za-z0-9+/=]{24}'$/);
      }
      expect(policy.get('frame-ancestors')).toEqual(["'none'"]);
      expect(policy.get('base-uri')).toEqual(["'none'"]);
      expect(policy.get('form-action')).toEqual(["'self'"]);
      expect(page.headers).toMatchObject({
        'x-content-type-options': 'nosniff', 'cache-control': 'no-store', 'referrer-policy': 'no-referrer', 'x-frame-options': 'DENY',
      });
    }
  });

  it('carry no inline code: no <style>, no <script> without src, no style= or on…= attributes', () => {
    for (const [name, page] of pages) {
      const html = page.text;
      expect([name, html.match(/<style\b|<script\b(?![^>]*\bsrc=)[^>]*>|\sstyle=|\son[a-z]+=/gi)]).toEqual([name, null]);
    }
  });

  it("load only the router's own files, each served as its type, nosniff, cached for a year under a hashed name", async () => {
    const urls = new Set<string>();
    for (const [, page] of pages) {
      for (const match of page.text.matchAll(/<(?:link|script)\b[^>]*\b(?:href|src)="([^"]+)"/g)) urls.add(match[1]);
    }
    expect([...urls].sort()).toEqual([expect.stringMatching(/^\/verify\/assets\/verigate-pow\.js$/), expect.stringMatching(/^\/verify\/assets\/verigate\.[0-9a-f]{12}\.css$/)]);
    const css = [...urls].find((url) => url.endsWith('.css'))!;
    const sheet = await request(host.app).get(css).expect(200);
    expect(sheet.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(sheet.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(sheet.headers['x-content-type-options']).toBe('nosniff');
    expect(sheet.text).toContain('.card');
    expect(sheet.text).not.toMatch(/url\(|@import/);
    // An older page's name (rolling deploy) still gets the file, without the year-long promise.
    const stale = await request(host.app).get('/verify/assets/verigate.0123456789ab.css').expect(200);
    expect(stale.headers['cache-control']).toBe('public, max-age=86400');
    expect((await request(host.app).get('/verify/assets/verigate-pow.js').expect(200)).headers['content-type']).toMatch(/^application\/javascript/);
    for (const unknown of ['/verify/assets/secret.txt', '/verify/assets/..%2Fpackage.json', '/verify/assets/verigate.css.map']) {
      await request(host.app).get(unknown).expect(404);
    }
  });

  it('get a fresh nonce each time', () => {
    const nonces = pages.map(([, page]) => policyOf(page.headers['content-security-policy']).get('script-src')![1]);
    expect(new Set(nonces).size).toBe(nonces.length);
  });

  it('answer JSON and redirects under a policy that loads nothing', async () => {
    const json = await request(host.app).get('/verify/pending').set(JSON_ACCEPT).expect(200);
    expect(json.headers['content-security-policy']).toBe("default-src 'none'; frame-ancestors 'none'; base-uri 'none'");
    const redirect = await request(host.app).get('/verify/confirm?token=nope').expect(303);
    expect(redirect.headers['content-security-policy']).toBe("default-src 'none'; frame-ancestors 'none'; base-uri 'none'");
  });
});

describe('host layouts and the policy', () => {
  it("hand the page's nonce to an overriding layout as cspNonce (res.locals), reusing the host's own", async () => {
    const fresh = otherHost({ views: hostViews, layout: 'nonce-layout' });
    const page = await request(fresh.app).get(`/verify/confirm?token=${WELL_FORMED_TOKEN}`).expect(200);
    const nonce = /<style nonce="([^"]+)">/.exec(page.text)![1];
    expect(page.text).toContain(`<script nonce="${nonce}">`);
    expect(policyOf(page.headers['content-security-policy']).get('script-src')).toEqual(["'self'", `'nonce-${nonce}'`]);

    const helmetLike = otherHost({ views: hostViews, layout: 'nonce-layout' }, (app) => {
      app.use((req, res, next) => { res.locals.cspNonce = req.get('x-test-nonce'); next(); });
    });
    const reused = await request(helmetLike.app).get(`/verify/confirm?token=${WELL_FORMED_TOKEN}`).set('x-test-nonce', 'hostnonce0123456789abcdef').expect(200);
    expect(reused.text).toContain('<style nonce="hostnonce0123456789abcdef">');
    expect(policyOf(reused.headers['content-security-policy']).get('style-src')).toEqual(["'self'", "'nonce-hostnonce0123456789abcdef'"]);
    // A value that could break out of the header is not a nonce: a fresh one replaces it.
    const hostile = await request(helmetLike.app).get(`/verify/confirm?token=${WELL_FORMED_TOKEN}`).set('x-test-nonce', "x'; script-src *").expect(200);
    expect(hostile.headers['content-security-policy']).not.toContain('script-src *');
    expect(hostile.text).not.toContain("x'; script-src *");
  });

  it('adds sources a host lists per directive, and leaves the header alone with csp: false', async () => {
    const cdn = otherHost({ csp: { 'style-src': ['https://cdn.example.com'], 'connect-src': ["'self'"] } });
    const policy = policyOf((await request(cdn.app).get(`/verify/confirm?token=${WELL_FORMED_TOKEN}`).expect(200)).headers['content-security-policy']);
    expect(policy.get('style-src')).toEqual(["'self'", expect.stringMatching(/^'nonce-/), 'https://cdn.example.com']);
    expect(policy.get('connect-src')).toEqual(["'self'"]);
    expect(policy.get('frame-ancestors')).toEqual(["'none'"]);

    const own = otherHost({ csp: false }, (app) => {
      app.use((req, res, next) => { res.set('Content-Security-Policy', "default-src 'self'"); next(); });
    });
    const page = await request(own.app).get(`/verify/confirm?token=${WELL_FORMED_TOKEN}`).expect(200);
    expect(page.headers['content-security-policy']).toBe("default-src 'self'");
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect((await request(own.app).get('/verify/pending').set(JSON_ACCEPT).expect(401)).headers['content-security-policy']).toBe("default-src 'self'");
  });

  it.each([
    ['a string', 'strict', 'VERIGATE_INVALID_CSP'],
    ['a misspelt directive', { 'styles-src': ['https://cdn.example.com'] }, 'VERIGATE_UNKNOWN_OPTION'],
    ['a source that ends the directive', { 'img-src': ["https: ; script-src 'unsafe-inline'"] }, 'VERIGATE_INVALID_CSP'],
    ['a bare string of sources', { 'img-src': 'https:' }, 'VERIGATE_INVALID_CSP'],
  ])('refuses %s at start-up', (_name, csp, code) => {
    let caught: unknown;
    try { otherHost({ csp }); } catch (error) { caught = error; }
    expect(caught).toBeInstanceOf(VerigateConfigError);
    expect((caught as VerigateConfigError).code).toBe(code);
  });
});

describe('the dev mailbox page', () => {
  it("runs no script but its nonce'd own, lets messages keep their inline styles, and serves its stylesheet", async () => {
    const box = devMailbox({ environment: 'test' });
    await box.transport.sendMail({ to: 'a@x.test', from: 'App <a@app.test>', subject: 'Hi', text: 'hi', html: '<p style="color:red">hi</p><script>alert(1)</script>' });
    const app = express();
    app.use('/dev/mail', box.router());
    const page = await request(app).get('/dev/mail').expect(200);
    const policy = policyOf(page.headers['content-security-policy']);
    expect(policy.get('script-src')).toEqual(["'self'", expect.stringMatching(/^'nonce-/)]);
    expect(policy.get('style-src')).toEqual(["'self'", "'unsafe-inline'"]);
    expect(policy.get('frame-ancestors')).toEqual(["'none'"]);
    const css = /<link rel="stylesheet" href="([^"]+)">/.exec(page.text)![1];
    expect(css).toMatch(/^\/dev\/mail\/assets\/verigate\.[0-9a-f]{12}\.css$/);
    expect((await request(app).get(css).expect(200)).headers['content-type']).toBe('text/css; charset=utf-8');
  });
});
