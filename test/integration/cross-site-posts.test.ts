import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import csurf from 'csurf';
import express from 'express';
import request from 'supertest';
import { snapshotRows } from '../helpers/db-snapshot.ts';
import { csrfFrom, newUser, signedIn, type Agent } from '../helpers/flow.ts';
import { createHostApp, type HostApp } from '../helpers/host-app.ts';
import { startRealServices, type RealServices } from '../helpers/real-services.ts';
import { tokenFrom } from '../helpers/smtp-sink.ts';
import { createUsersHost, RIGHT_PASSWORD, type UsersHost } from '../helpers/users-host-app.ts';

const JSON_ACCEPT = { Accept: 'application/json' };
let services: RealServices;
let host: UsersHost;
let csurfHost: HostApp;

beforeAll(async () => {
  services = await startRealServices();
  host = await createUsersHost(services);
  await host.vg.ready();
  csurfHost = createHostApp({ db: services.db, redis: services.redis, smtpUrl: services.sink.url }, {}, (app) => {
    app.use(express.urlencoded({ extended: false }), express.json());
    const protect = csurf();
    app.use((req, res, next) => (req.path === '/test/login' ? next() : protect(req, res, next)));
  });
});
afterAll(async () => {
  await csurfHost.vg.close();
  await host.vg.close();
  await services.close();
});

/** What another site (or a sandboxed frame it controls) can make a victim's browser send. */
const HOSTILE: Record<string, string>[] = [
  { 'Sec-Fetch-Site': 'cross-site' },
  { 'Sec-Fetch-Site': 'same-site' },
  { Origin: 'https://evil.test' },
  { Origin: 'https://evil.test', 'Sec-Fetch-Site': 'cross-site' },
  { Origin: 'https://app.test.evil.test', 'Sec-Fetch-Site': 'same-origin' },
  { Origin: 'http://app.test' },
  { Origin: 'null' },
  { Origin: 'null', 'Sec-Fetch-Site': 'cross-site' },
  // No browser sends these; unknown values fail closed.
  { 'Sec-Fetch-Site': 'cross-site, same-origin' },
  { 'Sec-Fetch-Site': 'Same-Origin' },
];
/** A same-origin browser (its no-referrer pages send Origin: null with same-origin Fetch Metadata), and a client sending neither. */
const FRIENDLY: Record<string, string>[] = [{ Origin: 'https://app.test', 'Sec-Fetch-Site': 'same-origin' }, { Origin: 'null', 'Sec-Fetch-Site': 'same-origin' }, {}];

/** Lets earlier requests' mail go out (an anonymous resend sends after answering), so a snapshot sees only what follows. */
async function settle(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 50));
  await host.vg.drain();
}

async function mailFor(email: string, count: number) {
  await host.vg.drain();
  await services.sink.waitFor(() => services.sink.messages.filter((m) => m.to === email).length >= count);
  return services.sink.messages.filter((m) => m.to === email).at(-1)!;
}

async function signedInHostUser(): Promise<{ agent: Agent; id: number; email: string; csrf: string }> {
  const email = `xs-${randomUUID().slice(0, 8)}@example.com`;
  const id = await host.createUser(email);
  const agent = request.agent(host.app);
  await agent.post('/test/login').send({ id }).expect(200);
  const csrf = (await agent.get('/verify/pending').set(JSON_ACCEPT).expect(200)).body.csrfToken as string;
  return { agent, id, email, csrf };
}

interface Route {
  name: string;
  /** Builds a request that would succeed (valid CSRF token, valid body); `send` adds the headers. */
  prepare(): Promise<{ send: (headers: Record<string, string>) => Promise<request.Response>; ok: number[] }>;
}

const ROUTES: Route[] = [
  {
    name: 'POST /resend (signed in)',
    async prepare() {
      const { agent, csrf } = await signedInHostUser();
      return { ok: [202], send: (h) => agent.post('/verify/resend').set(JSON_ACCEPT).set(h).send({ _csrf: csrf }) };
    },
  },
  {
    name: 'POST /resend (not signed in)',
    async prepare() {
      const email = `xs-anon-${randomUUID().slice(0, 8)}@example.com`;
      await host.createUser(email);
      const agent = request.agent(host.app);
      const csrf = (await agent.get('/verify/resend').set(JSON_ACCEPT).expect(200)).body.csrfToken as string;
      return { ok: [202], send: (h) => agent.post('/verify/resend').set(JSON_ACCEPT).set(h).send({ _csrf: csrf, email }) };
    },
  },
  {
    name: 'POST /code',
    async prepare() {
      const { agent, id, email, csrf } = await signedInHostUser();
      await host.vg.sendVerification({ id, email });
      const code = /code[^:]*: ([A-Z2-9]{4}-[A-Z2-9]{4})/.exec((await mailFor(email, 1)).text)![1];
      return { ok: [200], send: (h) => agent.post('/verify/code').set(JSON_ACCEPT).set(h).send({ _csrf: csrf, code }) };
    },
  },
  {
    name: 'POST /email',
    async prepare() {
      const { agent, csrf } = await signedInHostUser();
      const next = `xs-new-${randomUUID().slice(0, 8)}@example.com`;
      return { ok: [202], send: (h) => agent.post('/verify/email').set(JSON_ACCEPT).set(h).send({ _csrf: csrf, email: next, password: RIGHT_PASSWORD }) };
    },
  },
  {
    name: 'POST /confirm',
    async prepare() {
      const email = `xs-confirm-${randomUUID().slice(0, 8)}@example.com`;
      const id = await host.createUser(email);
      await host.vg.sendVerification({ id, email });
      const token = tokenFrom(await mailFor(email, 1));
      return { ok: [200], send: (h) => request(host.app).post('/verify/confirm').set(JSON_ACCEPT).set(h).send({ token }) };
    },
  },
  {
    name: 'POST /email/confirm and POST /email/undo',
    async prepare() {
      const { id, email } = await signedInHostUser();
      const next = `xs-move-${randomUUID().slice(0, 8)}@example.com`;
      await host.vg.requestEmailChange({ id, email }, { newEmail: next, password: RIGHT_PASSWORD });
      const confirm = /\/verify\/email\/confirm\?token=([A-Za-z0-9_-]{43})/.exec((await mailFor(next, 1)).text)![1];
      const undo = /\/verify\/email\/undo\?token=([A-Za-z0-9_-]{43})/.exec((await mailFor(email, 1)).text)![1];
      return {
        ok: [200],
        send: async (h) => {
          const first = await request(host.app).post('/verify/email/confirm').set(JSON_ACCEPT).set(h).send({ token: confirm });
          if (first.status !== 200) return first;
          return request(host.app).post('/verify/email/undo').set(JSON_ACCEPT).set(h).send({ token: undo });
        },
      };
    },
  },
];

describe('every state-changing POST checks Fetch Metadata and Origin as well as its token', () => {
  it.each(ROUTES.map((route) => [route.name, route] as const))('%s: a valid token from another site is refused and changes nothing', async (_name, route) => {
    const { send, ok } = await route.prepare();
    await settle();
    const before = await snapshotRows(services.db, ['host_user']);
    const mailsBefore = services.sink.messages.length;
    for (const headers of HOSTILE) {
      const answer = await send(headers);
      expect([headers, answer.status, answer.body.error?.code]).toEqual([headers, 403, 'CSRF_INVALID']);
    }
    await settle();
    expect(await snapshotRows(services.db, ['host_user'])).toBe(before);
    expect(services.sink.messages.length).toBe(mailsBefore);
    // The same request from this origin goes through: the refusals were about where it came from.
    const accepted = await send(FRIENDLY[0]);
    expect(ok).toContain(accepted.status);
  });

  it.each(FRIENDLY.map((headers) => [JSON.stringify(headers), headers] as const))('accepts %s (same-origin browsers, non-browser clients)', async (_name, headers) => {
    for (const route of ROUTES) {
      const { send, ok } = await route.prepare();
      const answer = await send(headers);
      expect([route.name, ok.includes(answer.status)]).toEqual([route.name, true]);
    }
  });

  it("also refuses a valid token of the host's own CSRF middleware (csurf) sent from another site", async () => {
    const user = newUser();
    const browser = await signedIn(csurfHost.app, user);
    const page = await browser.get('/verify/pending').expect(200);
    const token = csrfFrom(page.text);
    const before = await snapshotRows(services.db);
    for (const headers of HOSTILE) {
      await browser.post('/verify/resend').type('form').set(headers).send({ _csrf: token }).expect(403);
      await browser.post('/verify/code').type('form').set(headers).send({ _csrf: token, code: 'ABCD-EFGH' }).expect(403);
    }
    expect(await snapshotRows(services.db)).toBe(before);
    await browser.post('/verify/resend').type('form').set(FRIENDLY[0]).send({ _csrf: token }).expect(303);
  });
});
