import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { corpusFor, methodCases, pathVariants, type BadCase, type Category, type RouteSpec } from '../helpers/bad-input-corpus.ts';
import { changedTables, snapshotRows } from '../helpers/db-snapshot.ts';
import { LEAK_PATTERN } from '../helpers/hostile-input.ts';
import { cookieOf, rawClient, type RawClient, type RawResponse } from '../helpers/raw-http.ts';
import { startRealServices, type RealServices } from '../helpers/real-services.ts';
import { tokenFrom } from '../helpers/smtp-sink.ts';
import { createUsersHost, type UsersHost } from '../helpers/users-host-app.ts';

const WELL_FORMED_TOKEN = 'A'.repeat(43);
let services: RealServices;
let host: UsersHost;
let client: RawClient;
const logged: { level: string; message: string; meta?: unknown }[] = [];
let routes: RouteSpec[];
let gated: { path: string; headers: Record<string, string> }[];
let before: string;

beforeAll(async () => {
  services = await startRealServices();
  const record = (level: string) => (message: string, meta?: unknown) => { logged.push({ level, message, meta }); };
  host = await createUsersHost(services, { logger: { info() {}, warn: record('warn'), error: record('error') } });
  await host.vg.ready();
  client = await rawClient(host.app);

  const signIn = async (id: number) => cookieOf(await client.send({ method: 'POST', path: '/test/login', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ id }) }));
  // A verified user, whose every POST of the corpus is refused or has nothing to do (no open link,
  // already verified, a wrong password), and an unverified one for the gate and the pending page.
  const email = `corpus-${randomUUID().slice(0, 8)}@example.com`;
  const id = await host.createUser(email);
  await host.vg.sendVerification({ id, email });
  await host.vg.drain();
  const token = tokenFrom(await services.sink.waitFor((m) => m.to === email));
  expect((await host.vg.confirm(token)).status).toBe('VERIFIED');
  const cookie = await signIn(id);
  const form = await client.send({ method: 'GET', path: '/verify/email', headers: { Cookie: cookie, Accept: 'application/json' } });
  const csrf = JSON.parse(form.text).csrfToken as string;
  const unverified = { Cookie: await signIn(await host.createUser(`corpus-unverified-${randomUUID().slice(0, 8)}@example.com`)) };
  await client.send({ method: 'GET', path: '/verify/pending', headers: { ...unverified, Accept: 'application/json' } });
  // A browser that is not signed in, with its own session and token for "send me a new link".
  const resend = await client.send({ method: 'GET', path: '/verify/resend', headers: { Accept: 'application/json' } });
  const anonCookie = cookieOf(resend);
  const anonCsrf = JSON.parse(resend.text).csrfToken as string;
  const me = { Cookie: cookie };
  const anon = { Cookie: anonCookie };

  routes = [
    { method: 'GET', path: '/verify/pending', query: { returnTo: '/dashboard' }, headers: unverified },
    { method: 'GET', path: '/verify/pending', query: { returnTo: '/dashboard' }, headers: anon },
    { method: 'GET', path: '/verify/resend', headers: anon },
    { method: 'GET', path: '/verify/confirm', query: { token: WELL_FORMED_TOKEN } },
    { method: 'GET', path: '/verify/email/confirm', query: { token: WELL_FORMED_TOKEN } },
    { method: 'GET', path: '/verify/email/undo', query: { token: WELL_FORMED_TOKEN } },
    { method: 'GET', path: '/verify/result', query: { status: 'verified', until: '99999999999', sig: 'A'.repeat(22) } },
    { method: 'GET', path: '/verify/email', headers: me },
    { method: 'GET', path: '/verify/assets/verigate.css' },
    { method: 'POST', path: '/verify/resend', body: { _csrf: csrf }, headers: me },
    { method: 'POST', path: '/verify/resend', body: { _csrf: anonCsrf, email: `nobody-${randomUUID().slice(0, 8)}@example.com`, challenge: 'x' }, headers: anon },
    { method: 'POST', path: '/verify/code', body: { _csrf: csrf, code: 'ABCD-EFGH', for: 'verify' }, headers: me },
    { method: 'POST', path: '/verify/email', body: { _csrf: csrf, email: `new-${randomUUID().slice(0, 8)}@example.com`, password: 'wrong password' }, headers: me },
    { method: 'POST', path: '/verify/confirm', body: { token: WELL_FORMED_TOKEN } },
    { method: 'POST', path: '/verify/email/confirm', body: { token: WELL_FORMED_TOKEN } },
    { method: 'POST', path: '/verify/email/undo', body: { token: WELL_FORMED_TOKEN } },
    { method: 'GET', path: '/dashboard', headers: unverified },
  ];
  gated = [{ path: '/dashboard', headers: unverified }, { path: '/dashboard', headers: {} }];
  before = await snapshotRows(services.db, ['host_user']);
}, 90_000);
afterAll(async () => {
  await client?.close();
  await host.vg.close();
  await services.close();
});

/** Why a response is not acceptable for a malformed request, or null. */
function problemWith(c: BadCase, res: RawResponse): string | null {
  // Node refuses request heads over 16 kB itself (431, or a reset before the answer is read).
  if (res.status === -1 || res.status === 431) return c.request.path.length > 16_000 ? null : `connection refused (${res.status})`;
  if (res.status >= 500) return `status ${res.status}`;
  if (LEAK_PATTERN.test(res.text)) return `leaks internals: ${res.text.slice(0, 200)}`;
  const type = String(res.headers['content-type'] ?? '');
  if (res.status >= 400 && c.request.method !== 'HEAD') {
    if (res.text.trim() === '') return `empty ${res.status} body`;
    if (type.startsWith('application/json')) {
      const error = (JSON.parse(res.text) as { error?: { code?: unknown; message?: unknown } }).error;
      if (typeof error?.code !== 'string' || typeof error.message !== 'string' || error.message.length < 10) return `JSON error without code and message: ${res.text}`;
    }
  }
  return null;
}

async function run(cases: BadCase[]): Promise<string[]> {
  const problems: string[] = [];
  for (const [i, c] of cases.entries()) {
    const accept = i % 2 === 0 ? 'text/html' : 'application/json';
    const res = await client.send({ ...c.request, headers: { Accept: accept, ...c.request.headers } });
    const problem = problemWith(c, res);
    if (problem) problems.push(`${c.label} [${accept}]: ${problem}`);
  }
  return problems;
}

const CATEGORIES: Category[] = ['types', 'repeated', 'long', 'encoding', 'content-type'];
/** Hundreds of sequential requests (some paying for a password hash): generous under a loaded machine. */
const CORPUS_TIMEOUT_MS = 180_000;
/** Cases per category, for the record (and so a shrinking corpus is noticed). */
const sizes: Record<string, number> = {};

describe("verigate's router under malformed input: never 5xx, never a stack trace, no row changed", () => {
  it.each(CATEGORIES)('%s', async (category) => {
    const cases = routes.flatMap(corpusFor).filter((c) => c.category === category);
    sizes[category] = cases.length;
    expect(cases.length).toBeGreaterThan(20);
    expect(await run(cases)).toEqual([]);
    expect(changedTables(before, await snapshotRows(services.db, ['host_user']))).toEqual([]);
  }, CORPUS_TIMEOUT_MS);

  it('methods: HEAD, OPTIONS, PUT, DELETE, PATCH, TRACE and the other of GET/POST on every route', async () => {
    const paths = new Map(routes.map((r) => [`${r.path}|${JSON.stringify(r.headers ?? {})}`, r]));
    const cases = [...paths.values()].flatMap(methodCases);
    sizes.methods = cases.length;
    expect(await run(cases)).toEqual([]);
    expect(changedTables(before, await snapshotRows(services.db, ['host_user']))).toEqual([]);
  }, CORPUS_TIMEOUT_MS);

  it("paths: case, slashes, dots and escapes of gated and verigate routes get the gate's answer or a 4xx, never the page", async () => {
    const cases = [
      ...gated.flatMap((g) => pathVariants(g.path, g.headers)),
      ...pathVariants('/verify/pending', routes[0].headers), ...pathVariants('/verify/confirm'), ...pathVariants('/verify/result'),
      ...pathVariants('/verify/assets/verigate.css'),
    ];
    sizes.paths = cases.length;
    expect(await run(cases)).toEqual([]);
    const opened: string[] = [];
    for (const c of cases.filter((x) => x.request.path.toLowerCase().includes('dashboard'))) {
      const res = await client.send({ ...c.request, headers: { Accept: 'application/json', ...c.request.headers } });
      // The gated JSON route's own answer carries the user; an unverified or anonymous caller must never see it.
      if (res.status === 200 || res.text.includes('"user"')) opened.push(`${c.label}: ${res.status}`);
    }
    expect(opened).toEqual([]);
    expect(changedTables(before, await snapshotRows(services.db, ['host_user']))).toEqual([]);
  }, CORPUS_TIMEOUT_MS);

  it('logged no unexpected error while answering', () => {
    expect(logged.filter((entry) => entry.level === 'error')).toEqual([]);
    expect(Object.keys(sizes).length).toBe(7);
  });
});
