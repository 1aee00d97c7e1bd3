import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { createExampleApp, type ExampleApp } from '../../example-app/app.ts';
import { corpusFor, methodCases, pathVariants, type BadCase, type Category, type RouteSpec } from '../helpers/bad-input-corpus.ts';
import { changedTables, snapshotRows } from '../helpers/db-snapshot.ts';
import { assertNothingRan, EJS_OPTION_PAYLOADS, ejsPayload, headingOf, LEAK_PATTERN } from '../helpers/hostile-input.ts';
import { cookieOf, rawClient, type RawClient, type RawRequest, type RawResponse } from '../helpers/raw-http.ts';
import { startRealServices, type RealServices } from '../helpers/real-services.ts';
import { REDIS_URL, TEST_SECRET } from '../helpers/services.ts';

const PASSWORD = 'correct horse battery';
const WELL_FORMED_TOKEN = 'A'.repeat(43);
const JSON_TYPE = { 'Content-Type': 'application/json' };
let services: RealServices;
let example: ExampleApp;
let client: RawClient;
let verified: { email: string; cookie: string };
let unverified: { email: string; cookie: string };
let stylesheet: string;

async function signUp(email: string): Promise<void> {
  const res = await client.send({ method: 'POST', path: '/signup', headers: { ...JSON_TYPE, Accept: 'application/json' }, body: JSON.stringify({ email, password: PASSWORD }) });
  expect(res.status).toBe(202);
}

async function logIn(email: string): Promise<string> {
  const res = await client.send({ method: 'POST', path: '/login', headers: { ...JSON_TYPE, Accept: 'application/json' }, body: JSON.stringify({ email, password: PASSWORD }) });
  expect(res.status).toBe(200);
  return cookieOf(res);
}

beforeAll(async () => {
  services = await startRealServices();
  example = await createExampleApp({
    NODE_ENV: 'test', DATABASE_URL: services.db.url, REDIS_URL, REDIS_PREFIX: `${services.redis.prefix}sess:`,
    VERIGATE_SECRET: TEST_SECRET, SESSION_SECRET: TEST_SECRET, BASE_URL: 'http://localhost:3000',
  });
  client = await rawClient(example.app);
  // Addresses with characters that mean something in HTML, as the pages must show them.
  verified = { email: `o'neil&amp=${randomUUID().slice(0, 6)}@example.com`, cookie: '' };
  unverified = { email: `pending-${randomUUID().slice(0, 6)}@example.com`, cookie: '' };
  await signUp(verified.email);
  await signUp(unverified.email);
  await example.vg.drain();
  const link = /https?:\/\/\S+\/verify\/confirm\?token=([A-Za-z0-9_-]{43})/.exec(example.mailbox!.messages().find((m) => m.to === verified.email)!.text)!;
  expect((await example.vg.confirm(link[1])).status).toBe('VERIFIED');
  verified.cookie = await logIn(verified.email);
  unverified.cookie = await logIn(unverified.email);
  stylesheet = /<link rel="stylesheet" href="([^"]+)">/.exec((await client.send({ method: 'GET', path: '/' })).text)![1];
}, 90_000);
afterAll(async () => {
  await client?.close();
  await example?.close();
  await services.close();
});

function decoded(html: string): string {
  return html.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&#34;|&quot;/g, '"').replace(/&#39;|&#x27;/g, "'").replace(/&amp;/g, '&');
}

function expectEscaped(html: string, raw: string): void {
  expect(html).not.toContain(raw);
  expect(decoded(html)).toContain(raw);
}

describe('example app: markup in what people type is shown, never run', () => {
  afterEach(() => assertNothingRan());

  it('an address with markup on the dashboard, the settings page, verigate pages in its layout, and the dev mailbox', async () => {
    for (const path of ['/dashboard', '/settings', '/verify/email', '/dev/mail']) {
      const page = await client.send({ method: 'GET', path, headers: { Cookie: verified.cookie } });
      expect([path, page.status]).toEqual([path, 200]);
      expectEscaped(page.text, verified.email);
    }
  });

  it('what was typed into the sign-up and login forms, echoed back after a refusal', async () => {
    const typed = `"><script>alert(1)</script>`;
    const signup = await client.send({ method: 'POST', path: '/signup', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: `email=${encodeURIComponent(typed)}&password=x` });
    expect(signup.status).toBe(422);
    expectEscaped(signup.text, typed);
    const login = await client.send({ method: 'POST', path: '/login', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: `email=${encodeURIComponent(typed)}&password=wrong-password` });
    expect(login.status).toBe(401);
    expectEscaped(login.text, typed);
  });

  it('its pages carry no inline style or script and allow none', async () => {
    for (const path of ['/', '/login', '/signup', '/dashboard', '/verify/pending', '/nope']) {
      const page = await client.send({ method: 'GET', path, headers: { Cookie: path === '/verify/pending' ? unverified.cookie : verified.cookie } });
      expect([path, page.text.match(/<style\b|<script\b(?![^>]*\bsrc=)|\sstyle=/gi)]).toEqual([path, null]);
      expect(String(page.headers['content-security-policy'])).not.toContain('unsafe-inline');
    }
    const css = await client.send({ method: 'GET', path: stylesheet });
    expect(css.status).toBe(200);
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(css.headers['cache-control']).toBe('public, max-age=31536000, immutable');
  });
});

describe('example app: EJS option-injection payloads on every rendered route', () => {
  const routes: { name: string; method: 'GET' | 'POST'; path: string; who: () => string; body?: Record<string, string> }[] = [
    { name: 'home', method: 'GET', path: '/', who: () => '' },
    { name: 'login page', method: 'GET', path: '/login?returnTo=%2Fdashboard', who: () => '' },
    { name: 'sign-up page', method: 'GET', path: '/signup', who: () => '' },
    { name: 'sign-up sent', method: 'GET', path: '/signup/sent', who: () => '' },
    { name: 'dashboard', method: 'GET', path: '/dashboard', who: () => verified.cookie },
    { name: 'settings', method: 'GET', path: '/settings', who: () => verified.cookie },
    { name: 'dev mailbox', method: 'GET', path: '/dev/mail', who: () => verified.cookie },
    { name: 'not found', method: 'GET', path: '/nope', who: () => '' },
    { name: 'verigate pending in the app layout', method: 'GET', path: '/verify/pending', who: () => unverified.cookie },
    { name: 'sign-up refused', method: 'POST', path: '/signup', who: () => '', body: { email: 'not an address', password: PASSWORD } },
    { name: 'login refused', method: 'POST', path: '/login', who: () => '', body: { email: 'nobody@example.com', password: 'wrong password' } },
  ];
  const cases = routes.flatMap((route) => EJS_OPTION_PAYLOADS.map((payload) => [route.name, payload.name, route, payload.options] as const));

  it.each(cases)('%s with %s: no code runs and the answer is the normal one', async (_name, _payload, route, options) => {
    const send = (extra: { query?: string; form?: Record<string, string | string[]>; json?: string }) => {
      const path = extra.query ? `${route.path}${route.path.includes('?') ? '&' : '?'}${extra.query}` : route.path;
      const headers: Record<string, string> = { Accept: 'text/html', ...(route.who() ? { Cookie: route.who() } : {}) };
      if (route.method === 'GET') return client.send({ method: 'GET', path, headers });
      if (extra.json !== undefined) return client.send({ method: 'POST', path, headers: { ...headers, ...JSON_TYPE }, body: extra.json });
      const form = { ...extra.form, ...route.body };
      const body = Object.entries(form).flatMap(([k, v]) => [v].flat().map((x) => `${encodeURIComponent(k)}=${encodeURIComponent(x)}`)).join('&');
      return client.send({ method: 'POST', path, headers: { ...headers, 'Content-Type': 'application/x-www-form-urlencoded' }, body });
    };
    const baseline = await send({ form: {} });
    const payload = ejsPayload(options);
    const carriers = route.method === 'GET'
      ? [{ query: payload.query }]
      : [{ query: payload.query, form: {} }, { form: payload.flat }, { json: `${payload.json.slice(0, -1)},${JSON.stringify(route.body).slice(1)}` }];
    for (const carrier of carriers) {
      const answer = await send(carrier);
      assertNothingRan();
      expect([route.name, answer.status]).toEqual([route.name, baseline.status]);
      expect(answer.text).not.toMatch(LEAK_PATTERN);
      expect(headingOf(answer.text)).toBe(headingOf(baseline.text));
    }
  });
});

describe('example app under malformed input: never 5xx, never a stack trace, no row changed', () => {
  let routes: RouteSpec[];
  let before: string;
  const sizes: Record<string, number> = {};

  beforeAll(async () => {
    const me = { Cookie: verified.cookie };
    const pending = { Cookie: unverified.cookie };
    routes = [
      { method: 'GET', path: '/' },
      { method: 'GET', path: '/login', query: { returnTo: '/dashboard' } },
      { method: 'GET', path: '/signup' },
      { method: 'GET', path: '/signup/sent' },
      { method: 'GET', path: '/dashboard', headers: pending },
      { method: 'GET', path: '/settings', headers: me },
      { method: 'GET', path: '/dev/mail', headers: me },
      { method: 'GET', path: stylesheet },
      // A refused address comes first, so no corruption of it can create an account or send a notice.
      { method: 'POST', path: '/signup', body: { email: 'someone@mailinator.com', password: PASSWORD }, corrupt: ['email'] },
      { method: 'POST', path: '/login', query: { returnTo: '/dashboard' }, body: { email: verified.email, password: 'wrong password', returnTo: '/dashboard' } },
      { method: 'POST', path: '/logout' },
      { method: 'GET', path: '/verify/pending', query: { returnTo: '/dashboard' }, headers: pending },
      { method: 'POST', path: '/verify/confirm', body: { token: WELL_FORMED_TOKEN } },
    ];
    await example.vg.drain();
    before = await snapshotRows(services.db, ['example_user']);
  });

  async function run(cases: BadCase[]): Promise<string[]> {
    const problems: string[] = [];
    for (const [i, c] of cases.entries()) {
      const accept = i % 2 === 0 ? 'text/html' : 'application/json';
      const request: RawRequest = { ...c.request, headers: { Accept: accept, ...c.request.headers } };
      const res: RawResponse = await client.send(request);
      let problem: string | null = null;
      if (res.status === -1 || res.status === 431) problem = request.path.length > 16_000 ? null : `connection refused (${res.status})`;
      else if (res.status >= 500) problem = `status ${res.status}`;
      else if (LEAK_PATTERN.test(res.text)) problem = `leaks internals: ${res.text.slice(0, 200)}`;
      else if (res.status >= 400 && request.method !== 'HEAD' && res.text.trim() === '') problem = `empty ${res.status} body`;
      else if (res.status >= 400 && request.method !== 'HEAD' && String(res.headers['content-type']).startsWith('application/json')) {
        const error = (JSON.parse(res.text) as { error?: { code?: unknown; message?: unknown } }).error;
        if (typeof error?.code !== 'string' || typeof error.message !== 'string') problem = `JSON error without code and message: ${res.text}`;
      }
      if (problem) problems.push(`${c.label} [${accept}]: ${problem}`);
    }
    return problems;
  }

  const CATEGORIES: Category[] = ['types', 'repeated', 'long', 'encoding', 'content-type'];
/** Hundreds of sequential requests (some paying for a password hash): generous under a loaded machine. */
const CORPUS_TIMEOUT_MS = 180_000;
  it.each(CATEGORIES)('%s', async (category) => {
    const passwordTypes = corpusFor({ method: 'POST', path: '/signup', body: { email: `fresh-${randomUUID().slice(0, 6)}@example.com`, password: 'short' }, corrupt: ['password'] })
      .filter((c) => c.category === 'types' && c.label.includes('JSON'));
    const cases = [...routes.flatMap(corpusFor), ...passwordTypes].filter((c) => c.category === category);
    sizes[category] = cases.length;
    expect(await run(cases)).toEqual([]);
    await example.vg.drain();
    expect(changedTables(before, await snapshotRows(services.db, ['example_user']))).toEqual([]);
  }, CORPUS_TIMEOUT_MS);

  it('methods', async () => {
    const cases = routes.flatMap(methodCases);
    sizes.methods = cases.length;
    expect(await run(cases)).toEqual([]);
    expect(changedTables(before, await snapshotRows(services.db, ['example_user']))).toEqual([]);
  }, CORPUS_TIMEOUT_MS);

  it("paths: spellings of /dashboard, /settings and /dev/mail get the gate's answer or a 4xx, never the page", async () => {
    const pending = { Cookie: unverified.cookie };
    const cases = [...pathVariants('/dashboard', pending), ...pathVariants('/dashboard'), ...pathVariants('/settings'), ...pathVariants('/dev/mail'), ...pathVariants('/verify/pending', pending)];
    sizes.paths = cases.length;
    expect(await run(cases)).toEqual([]);
    const opened: string[] = [];
    for (const c of cases.filter((x) => /dashboard|settings/i.test(x.request.path))) {
      const res = await client.send({ ...c.request, headers: { Accept: 'application/json', ...c.request.headers } });
      if (res.status === 200) opened.push(`${c.label}: ${res.status} ${res.text.slice(0, 80)}`);
    }
    expect(opened).toEqual([]);
    expect(changedTables(before, await snapshotRows(services.db, ['example_user']))).toEqual([]);
    expect(Object.keys(sizes)).toHaveLength(7);
  }, CORPUS_TIMEOUT_MS);
});
