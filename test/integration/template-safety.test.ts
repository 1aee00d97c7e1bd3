import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { createHostApp, type HostApp } from '../helpers/host-app.ts';
import { assertNothingRan, EJS_OPTION_PAYLOADS, ejsPayload, headingOf, LEAK_PATTERN } from '../helpers/hostile-input.ts';
import { startRealServices, type RealServices } from '../helpers/real-services.ts';
import type { ReceivedMail } from '../helpers/smtp-sink.ts';
import { createUsersHost, RIGHT_PASSWORD, type UsersHost } from '../helpers/users-host-app.ts';

const APP_NAME = `<script>alert("app")</script> & <b>Tools</b>`;
const WELL_FORMED_TOKEN = 'A'.repeat(43);
let services: RealServices;
let host: UsersHost;

beforeAll(async () => {
  services = await startRealServices();
  host = await createUsersHost(services, { appName: APP_NAME });
  // Hosts often parse query strings with qs (Express 4's default): `settings[view options][x]=…` then nests.
  host.app.set('query parser', 'extended');
  await host.vg.ready();
});
afterAll(async () => {
  await host.vg.close();
  await services.close();
});
afterEach(() => assertNothingRan());

/** What a browser shows for an HTML text: entities decoded. */
function decoded(html: string): string {
  return html.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&#34;|&quot;/g, '"').replace(/&#39;|&#x27;/g, "'").replace(/&amp;/g, '&');
}

/** `raw` is shown (present once entities are decoded) but never present as markup. */
function expectEscaped(html: string, raw: string): void {
  expect(html).not.toContain(raw);
  expect(decoded(html)).toContain(raw);
}

async function signedInAs(email: string | null) {
  const id = await host.createUser(email);
  const agent = request.agent(host.app);
  await agent.post('/test/login').send({ id }).expect(200);
  return { agent, id };
}

async function mailsTo(address: string, count: number): Promise<ReceivedMail[]> {
  await host.vg.drain();
  await services.sink.waitFor(() => services.sink.messages.filter((m) => m.to === address).length >= count);
  return services.sink.messages.filter((m) => m.to === address);
}

/** Valid addresses that carry HTML-significant characters (a quote, an ampersand, braces). */
const markupAddress = (tag: string) => `o'neil&amp=${tag}{x}-${randomUUID().slice(0, 6)}@example.com`;

describe('every email escapes the app name and addresses in its HTML part', () => {
  it('verify', async () => {
    const email = markupAddress('verify');
    const id = await host.createUser(email);
    await host.vg.sendVerification({ id, email });
    const [mail] = await mailsTo(email, 1);
    expectEscaped(mail.html, APP_NAME);
    expectEscaped(mail.html, email);
    expect(mail.text).toContain(email);
  });

  it('email-change (to the new address) and email-change-notice (to the old one)', async () => {
    const old = markupAddress('old');
    const next = markupAddress('new');
    const id = await host.createUser(old);
    expect((await host.vg.requestEmailChange({ id, email: old }, { newEmail: next, password: RIGHT_PASSWORD })).status).toBe('SENT');
    const [change] = await mailsTo(next, 1);
    expectEscaped(change.html, APP_NAME);
    expectEscaped(change.html, next);
    const [notice] = await mailsTo(old, 1);
    expectEscaped(notice.html, APP_NAME);
    expectEscaped(notice.html, old);
    expect(notice.html).not.toContain("o'neil");
  });

  it('email-taken-notice (to the owner of a taken address)', async () => {
    const taken = markupAddress('taken');
    await host.createUser(taken);
    const mover = markupAddress('mover');
    const id = await host.createUser(mover);
    expect((await host.vg.requestEmailChange({ id, email: mover }, { newEmail: taken, password: RIGHT_PASSWORD })).status).toBe('SENT');
    const [notice] = await mailsTo(taken, 1);
    expect(notice.subject).toContain('Someone tried to use your email address');
    expectEscaped(notice.html, APP_NAME);
    expectEscaped(notice.html, taken);
  });

  it('account-exists (sign-up with a taken address)', async () => {
    const email = markupAddress('exists');
    expect((await host.vg.notifyExistingAccount(email)).status).toBe('QUEUED');
    const [notice] = await mailsTo(email, 1);
    expectEscaped(notice.html, APP_NAME);
    expectEscaped(notice.html, email);
  });

  it('keeps the plain-text part and subject as text, on one line', async () => {
    const email = markupAddress('text');
    const id = await host.createUser(email);
    await host.vg.sendVerification({ id, email });
    const [mail] = await mailsTo(email, 1);
    expect(mail.subject).toBe(`Confirm your email address for ${APP_NAME}`);
    expect(mail.text).toContain(APP_NAME);
  });
});

describe('pages escape what a user or a host supplies', () => {
  it('an address from getUser with markup, on the pending page and the email form', async () => {
    const hostile = `"><img src=x onerror=alert(1)>@example.com`;
    const { agent } = await signedInAs(hostile);
    expectEscaped((await agent.get('/verify/pending').expect(200)).text, hostile);
    expectEscaped((await agent.get('/verify/email').expect(200)).text, hostile);
  });

  it('what was typed into the email form, echoed back after a refusal', async () => {
    const { agent } = await signedInAs(null);
    const form = await agent.get('/verify/email').expect(200);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(form.text)![1];
    const typed = `"><script>alert(1)</script>`;
    const refused = await agent.post('/verify/email').type('form').send({ _csrf: csrf, email: typed }).expect(422);
    expectEscaped(refused.text, typed);
  });

  it('the app name on every page, and a csrf field name from the host', async () => {
    const custom = createHostApp({ db: services.db, redis: services.redis, smtpUrl: services.sink.url },
      { appName: APP_NAME, csrf: { token: () => `"><script>alert('token')</script>`, field: 'authenticity_token' } });
    try {
      const user = { id: randomUUID(), email: `page-${randomUUID().slice(0, 8)}@example.com` };
      const agent = request.agent(custom.app);
      await agent.post('/test/login').send(user).expect(200);
      const page = await agent.get('/verify/pending').expect(200);
      expectEscaped(page.text, APP_NAME);
      expectEscaped(page.text, `"><script>alert('token')</script>`);
    } finally {
      await custom.vg.close();
    }
  });
});

interface RenderedRoute {
  name: string;
  method: 'get' | 'post';
  path: string;
  /** The browser the request comes from (its session), and the fields a normal request carries. */
  setup(): Promise<{ agent: ReturnType<typeof request.agent> | ReturnType<typeof request>; fields?: Record<string, string> }>;
}

async function csrfOf(agent: ReturnType<typeof request.agent>, path: string): Promise<string> {
  return (await agent.get(path).set('Accept', 'application/json').expect(200)).body.csrfToken;
}

const ROUTES: RenderedRoute[] = [
  { name: 'resend page (signed out)', method: 'get', path: '/verify/resend', setup: async () => ({ agent: request(host.app) }) },
  { name: 'pending (signed out: resend page)', method: 'get', path: '/verify/pending', setup: async () => ({ agent: request(host.app) }) },
  {
    name: 'pending (signed in)', method: 'get', path: '/verify/pending',
    setup: async () => ({ agent: (await signedInAs(`inj-${randomUUID().slice(0, 8)}@example.com`)).agent }),
  },
  {
    name: 'email form', method: 'get', path: '/verify/email',
    setup: async () => ({ agent: (await signedInAs(null)).agent }),
  },
  { name: 'confirm', method: 'get', path: `/verify/confirm?token=${WELL_FORMED_TOKEN}`, setup: async () => ({ agent: request(host.app) }) },
  { name: 'email confirm', method: 'get', path: `/verify/email/confirm?token=${WELL_FORMED_TOKEN}`, setup: async () => ({ agent: request(host.app) }) },
  { name: 'email undo', method: 'get', path: `/verify/email/undo?token=${WELL_FORMED_TOKEN}`, setup: async () => ({ agent: request(host.app) }) },
  { name: 'error page (no result)', method: 'get', path: '/verify/result', setup: async () => ({ agent: request(host.app) }) },
  {
    name: 'code refused (pending page again)', method: 'post', path: '/verify/code',
    setup: async () => {
      const { agent } = await signedInAs(`inj-${randomUUID().slice(0, 8)}@example.com`);
      return { agent, fields: { _csrf: await csrfOf(agent, '/verify/pending'), code: 'NOT-ACODE' } };
    },
  },
  {
    name: 'email refused (form again)', method: 'post', path: '/verify/email',
    setup: async () => {
      const { agent } = await signedInAs(null);
      return { agent, fields: { _csrf: await csrfOf(agent, '/verify/email'), email: 'not an address' } };
    },
  },
  { name: 'confirm POST (invalid token)', method: 'post', path: '/verify/confirm', setup: async () => ({ agent: request(host.app), fields: { token: 'nope' } }) },
];

describe('EJS option-injection payloads on every rendered route', () => {
  const cases = ROUTES.flatMap((route) => EJS_OPTION_PAYLOADS.map((payload) => [route.name, payload.name, route, payload.options] as const));

  it.each(cases)('%s with %s: no code runs and the answer is the normal one', async (_route, _payload, route, options) => {
    const { agent, fields = {} } = await route.setup();
    const send = (extra: { query?: string; form?: Record<string, unknown>; json?: string }) => {
      const path = extra.query ? `${route.path}${route.path.includes('?') ? '&' : '?'}${extra.query}` : route.path;
      const req = agent[route.method](path).set('Accept', 'text/html');
      if (route.method === 'get') return req;
      if (extra.json !== undefined) return req.set('Content-Type', 'application/json').send(extra.json);
      return req.type('form').send({ ...extra.form, ...fields });
    };
    const baseline = await send({ form: {} });
    const payload = ejsPayload(options);
    const carriers = route.method === 'get'
      ? [{ query: payload.query }]
      : [{ query: payload.query, form: {} }, { form: payload.flat }, { json: `${payload.json.slice(0, -1)},${JSON.stringify(fields).slice(1)}` }];
    for (const carrier of carriers) {
      const answer = await send(carrier);
      assertNothingRan();
      expect([route.name, answer.status]).toEqual([route.name, baseline.status]);
      expect(answer.text).not.toMatch(LEAK_PATTERN);
      if (baseline.type === 'text/html') expect(headingOf(answer.text)).toBe(headingOf(baseline.text));
    }
  });
});
