import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { startHostProcess, type HostProcess } from '../helpers/host-process.ts';
import { hostWithPackage, ROOT } from '../helpers/packed-package.ts';
import { node22, NODE22_VERSION } from '../helpers/node22.ts';
import { startRealServices, type RealServices } from '../helpers/real-services.ts';
import { TEST_SECRET } from '../helpers/services.ts';
import type { ReceivedMail } from '../helpers/smtp-sink.ts';
import { resultUrl } from '../helpers/result-url.ts';

const HOST_FILE = join(ROOT, 'test/external/hosts/older-cjs-host.cjs');
/** The promise the issue made: adding verigate to such an app takes at most this many lines. */
const MAX_HOST_LINES = 15;

type Agent = ReturnType<typeof request.agent>;

/** Code lines between every pair of markers: what a developer adds to an existing app. */
function verigateLines(source: string): string[] {
  const blocks = [...source.matchAll(/\/\/ verigate:begin[^\n]*\n([\s\S]*?)\/\/ verigate:end/g)].map((m) => m[1]);
  expect(blocks.length).toBeGreaterThan(0);
  expect(source.split('// verigate:begin').length - 1).toBe(blocks.length); // no unclosed block escapes the count
  return blocks.flatMap((block) => block.split('\n')).map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('//'));
}

const csrfOf = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
const linkIn = (mail: ReceivedMail, path: string) => {
  const match = new RegExp(`https?://\\S+${path.replace('/', '\\/')}\\?token=[A-Za-z0-9_-]+`).exec(mail.text);
  if (!match) throw new Error(`no ${path} link in: ${mail.text}`);
  return new URL(match[0]);
};

/** Opens an emailed link as a person would: GET shows a button (with the host's CSRF token), POST confirms. */
async function pressLink(agent: Agent, link: URL): Promise<string> {
  const page = await agent.get(`${link.pathname}${link.search}`).expect(200);
  const done = await agent.post(link.pathname).type('form')
    .send({ token: link.searchParams.get('token'), _csrf: csrfOf(page.text) }).expect(303);
  return done.headers.location as string;
}

describe('adding verigate to an older app: Express 4.17, CommonJS, username login, integer ids, SQLite users, SQL sessions, global csurf', () => {
  it(`takes at most ${MAX_HOST_LINES} host lines and no adapter file`, () => {
    const lines = verigateLines(readFileSync(HOST_FILE, 'utf8'));
    expect(lines.length).toBeGreaterThan(3);
    expect(lines.length).toBeLessThanOrEqual(MAX_HOST_LINES);
  });

  // Node 24 runs the suite; Node 22.17.0 is the lowest `engines.node` claims (require() of the ESM
  // build, node:sqlite unflagged). Mount order does not depend on the Node version, so 22 runs one.
  describe.each([
    { runtime: 'Node 24', csrfOrder: 'before' },
    { runtime: 'Node 24', csrfOrder: 'after' },
    { runtime: `Node ${NODE22_VERSION}`, csrfOrder: 'before' },
  ])('on $runtime with csurf mounted $csrfOrder verigate\'s router', ({ runtime, csrfOrder }) => {
    let services: RealServices;
    let host: HostProcess;
    let agent: Agent;
    let dir = '';
    let counter = 0;
    const mailsTo = (to: string) => services.sink.messages.filter((m) => m.to === to);
    const nthMail = async (to: string, n: number) => {
      await services.sink.waitFor(() => mailsTo(to).length >= n, 15_000);
      return mailsTo(to)[n - 1];
    };

    beforeAll(async () => {
      services = await startRealServices();
      const node = runtime === 'Node 24' ? process.execPath : await node22();
      dir = await hostWithPackage('older-cjs', [HOST_FILE], 'express417');
      host = await startHostProcess(dir, 'older-cjs-host.cjs', {
        NODE_ENV: 'test', PORT: '0', BASE_URL: 'http://127.0.0.1', DATABASE_URL: services.db.url, SMTP_URL: services.sink.url,
        SESSION_SECRET: TEST_SECRET, VERIGATE_SECRET: TEST_SECRET, CSRF_ORDER: csrfOrder,
      }, 30_000, node);
      agent = request.agent(host.url);
    }, 420_000);

    it(`runs on ${runtime}`, async () => {
      const { version } = (await agent.get('/runtime').expect(200)).body;
      expect(version).toBe(runtime === 'Node 24' ? process.version : `v${NODE22_VERSION}`);
    });
    afterAll(async () => {
      await host?.stop();
      await services?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('walks sign-up without email → add email → gate closed → resend → confirm → gate open → change of address', async () => {
      const email = `ada-${csrfOrder}-${counter++}@example.com`;
      const signup = await agent.get('/signup').expect(200);
      await agent.post('/signup').type('form').send({ username: `ada-${csrfOrder}`, password: 'correct horse', _csrf: csrfOf(signup.text) })
        .expect(302).expect('Location', '/dashboard');

      // No address on file: the gate asks for one (no loop back to the login page).
      await agent.get('/dashboard').expect(302).expect('Location', '/verify/pending?returnTo=%2Fdashboard');
      await agent.get('/verify/pending').expect(303).expect('Location', '/verify/email');
      const form = await agent.get('/verify/email').expect(200);
      expect(form.text).toContain('Add your email address');
      expect(form.text).not.toContain('name="password"');

      // The form carries the host's token in the host's field, so csurf lets it through.
      await agent.post('/verify/email').type('form').send({ email, _csrf: csrfOf(form.text) }).expect(303).expect('Location', '/verify/pending');
      const pending = await agent.get('/verify/pending').expect(200);
      expect(pending.text).toContain('Check your new inbox');
      expect(pending.text).toContain(email);
      await agent.get('/dashboard').expect(302);

      // Asking again supersedes the first link.
      await agent.post('/verify/email').type('form').send({ email, _csrf: csrfOf((await agent.get('/verify/email')).text) }).expect(303);
      const first = linkIn(await nthMail(email, 1), '/email/confirm');
      const second = linkIn(await nthMail(email, 2), '/email/confirm');
      expect(await pressLink(agent, first)).toMatch(resultUrl('superseded'));
      await agent.get('/dashboard').expect(302);
      expect(await pressLink(agent, second)).toMatch(resultUrl('email-changed'));
      const dashboard = await agent.get('/dashboard').expect(200);
      expect(dashboard.text).toContain(email);

      // Already verified: a resend sends nothing and moves on.
      const resendPage = await agent.get('/verify/email').expect(200);
      await agent.post('/verify/resend').type('form').send({ _csrf: csrfOf(resendPage.text) }).expect(303);
      expect(mailsTo(email)).toHaveLength(2);

      // Change of address: password first; wrong password sends nothing.
      const next = `ada-new-${csrfOrder}-${counter++}@example.com`;
      const change = await agent.get('/verify/email').expect(200);
      expect(change.text).toContain('name="password"');
      await agent.post('/verify/email').type('form').send({ email: next, password: 'wrong password', _csrf: csrfOf(change.text) }).expect(401);
      await agent.post('/verify/email').type('form').send({ email: next, password: 'correct horse', _csrf: csrfOf(change.text) }).expect(303);
      const notice = await nthMail(email, 3);
      expect(notice.text).toContain('a***@example.com');
      expect(notice.text).toMatch(/\/verify\/email\/undo\?token=/);
      expect((await nthMail(next, 1)).subject).toContain('Confirm your new email address');
      // Until confirmed, the old address stays in force.
      expect((await agent.get('/dashboard').expect(200)).text).toContain(email);
      expect(await pressLink(agent, linkIn(await nthMail(next, 1), '/email/confirm'))).toMatch(resultUrl('email-changed'));
      expect((await agent.get('/dashboard').expect(200)).text).toContain(next);

      // The SQLite integer id is stored in one normalised form, with its type kept for hooks.
      const rows = await services.db.orm.em.fork().execute(`select distinct user_id, user_id_type from verigate_token`);
      expect(rows.length).toBeGreaterThan(0);
      for (const row of rows) {
        expect(row.user_id).toMatch(/^\d+$/);
        expect(row.user_id_type).toBe('number');
      }
      expect(host.output()).not.toMatch(/token=|\/confirm\?/);
    });

    it('walks sign-up with an address → pending → resend sends a second mail → a refused resend says so → confirm', async () => {
      const browser = request.agent(host.url);
      const email = `bob-${csrfOrder}-${counter++}@example.com`;
      const outboxRows = async () => Number((await services.db.orm.em.fork().execute('select count(*)::int as n from verigate_outbox'))[0].n);
      const signup = await browser.get('/signup').expect(200);
      await browser.post('/signup').type('form').send({ username: `bob-${csrfOrder}`, password: 'correct horse', email, _csrf: csrfOf(signup.text) })
        .expect(302).expect('Location', '/dashboard');
      const first = linkIn(await nthMail(email, 1), '/confirm');
      await browser.get('/dashboard').expect(302).expect('Location', '/verify/pending?returnTo=%2Fdashboard');
      const pending = await browser.get('/verify/pending').expect(200);
      expect(pending.text).toContain(`We sent a link to <strong>${email}</strong>`);
      expect(pending.text).not.toContain('We sent a new link');

      // Resend while still pending: a second mail really goes out, and the first link stops working.
      await browser.post('/verify/resend').type('form').send({ _csrf: csrfOf(pending.text) }).expect(303).expect('Location', '/verify/pending');
      const second = linkIn(await nthMail(email, 2), '/confirm');
      expect(second.searchParams.get('token')).not.toBe(first.searchParams.get('token'));
      const afterResend = await browser.get('/verify/pending').expect(200);
      expect(afterResend.text).toContain('We sent a new link');
      await browser.post('/verify/resend').type('form').send({ _csrf: csrfOf(afterResend.text) }).expect(303);
      const third = linkIn(await nthMail(email, 3), '/confirm');

      // The fourth send within the hour (sign-up + 2 resends = the default 3 per user) is refused:
      // nothing is queued, and neither the answer nor the pending page claims a mail was sent.
      const before = await outboxRows();
      const refusedPage = await browser.get('/verify/pending').expect(200);
      const refused = await browser.post('/verify/resend').type('form').send({ _csrf: csrfOf(refusedPage.text) }).expect(429);
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      expect(refused.text).toContain('Too many attempts');
      expect(refused.text).not.toMatch(/We sent/);
      expect(await outboxRows()).toBe(before);
      const afterRefusal = await browser.get('/verify/pending').expect(200);
      expect(afterRefusal.text).not.toContain('We sent a new link');
      expect(mailsTo(email)).toHaveLength(3);

      expect(await pressLink(browser, first)).toMatch(resultUrl('superseded'));
      expect(await pressLink(browser, third)).toMatch(resultUrl('verified'));
      await browser.get('/dashboard').expect(200);
    });

    it('signs up with an address that cannot be used: a typed result, no mail, and every page says so', async () => {
      const browser = request.agent(host.url);
      const outboxRows = async () => Number((await services.db.orm.em.fork().execute('select count(*)::int as n from verigate_outbox'))[0].n);
      const before = await outboxRows();
      const signup = await browser.get('/signup').expect(200);
      // The host stores what was typed; sendVerification answers with a result instead of a 500.
      await browser.post('/signup').type('form').send({ username: `carol-${csrfOrder}`, password: 'correct horse', email: 'carol at example.com', _csrf: csrfOf(signup.text) })
        .expect(302).expect('Location', '/dashboard');
      await browser.get('/dashboard').expect(302).expect('Location', '/verify/pending?returnTo=%2Fdashboard');
      const pending = await browser.get('/verify/pending').expect(200);
      expect(pending.text).not.toMatch(/We sent/);
      expect(pending.text).toContain('no link to it is open');
      const resend = await browser.post('/verify/resend').type('form').send({ _csrf: csrfOf(pending.text) }).expect(422);
      expect(resend.text).toContain('This email address cannot be used');
      expect(resend.text).not.toMatch(/We sent/);
      expect(await outboxRows()).toBe(before);
      expect(host.output()).not.toMatch(/at Object\.|stack/i);
    });
  });
});
