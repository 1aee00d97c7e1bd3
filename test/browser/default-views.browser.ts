import type { RequestListener } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { devMailbox, type DevMailbox } from '../../plugin/index.ts';
import { startRealServices } from '../helpers/real-services.ts';
import { createUsersHost, RIGHT_PASSWORD, type UsersHost } from '../helpers/users-host-app.ts';
import { expectFocusOrder, expectNoHorizontalScroll } from './checks.ts';
import { openMail } from './flows.ts';
import { serveInBrowser, type BrowserRun } from './harness.ts';
import type { Person } from './person.ts';
import { signedResultPath } from '../helpers/result-url.ts';
import { TEST_SECRET } from '../helpers/services.ts';

const PHONE = { viewport: { width: 375, height: 740 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };

/**
 * verigate's own pages as a host gets them without overriding a view: its layout and styles, in a
 * host with integer ids, its own users table and no CSS of its own.
 */
describe('verigate\'s default pages in Chromium', () => {
  let run: BrowserRun<UsersHost & { mailbox: DevMailbox }>;
  let person: Person | undefined;
  beforeAll(async () => {
    run = await serveInBrowser(async (origin, closers) => {
      const services = await startRealServices();
      closers.push(() => services.close());
      const mailbox = devMailbox({ environment: 'test' });
      const host = await createUsersHost(services, {
        baseUrl: `${origin}/verify`, appName: 'Plain Host',
        mail: { from: 'Plain Host <no-reply@host.test>', transport: mailbox.transport },
      });
      closers.push(() => host.vg.close());
      host.app.use('/dev/mail', mailbox.router());
      // The host's own business, not verigate's: without it each page logs a 404 for the icon.
      host.app.get('/favicon.ico', (req, res) => void res.status(204).end());
      await host.vg.ready();
      return Object.assign(host, { mailbox, handler: host.app as RequestListener });
    });
  });
  afterEach(async () => {
    const seen = person;
    person = undefined;
    await seen?.close();
    seen?.assertClean();
  });
  afterAll(async () => {
    await run?.close();
  });

  async function signIn(p: Person, email: string): Promise<number> {
    const id = await run.app.createUser(email);
    const response = await p.context.request.post('/test/login', { data: { id } });
    expect(response.status()).toBe(200);
    return id;
  }

  it('fit a phone screen and keep a visible focus order: pending, mailbox, confirm, result, address form', async () => {
    person = await run.person(PHONE);
    const email = 'hedy.lamarr.with.a.rather.long.address@example-mobile-provider.example.com';
    await signIn(person, email);
    const fits = async (shot?: string) => {
      await expectNoHorizontalScroll(person!.page);
      if (shot) await person!.shot(shot);
    };

    await person.open('/verify/pending', 'Check your inbox');
    await fits();
    await person.submit(person.page.getByRole('button', { name: 'Send a link' }));
    await person.page.getByRole('status').filter({ hasText: 'We sent a new link' }).waitFor();
    await fits('default-verify-pending');
    await expectFocusOrder(person.page, ['button:Send a new link', 'input#code', 'button:Confirm with code', 'a:Use a different email address']);

    const mail = await openMail(person, run.app, email, 'Confirm your email address');
    await fits();
    await person.submit(mail.locator('pre a[href*="/verify/confirm?token="]'));
    await person.heading('Confirm your email address');
    await fits('default-verify-confirm');
    await person.submit(person.page.getByRole('button', { name: 'Confirm my email address' }));
    await person.heading('Email address confirmed');
    await fits('default-verify-result');

    await person.open('/verify/email', 'Change your email address');
    await person.page.getByLabel('New email address').fill(email.replace(/@.*/, '@mailinator.com'));
    await person.page.getByLabel('Current password').fill(RIGHT_PASSWORD);
    await person.submit(person.page.getByRole('button', { name: 'Send confirmation link' }), 422);
    await fits('default-email-change');
    await person.open('/verify/email', 'Change your email address');
    await expectFocusOrder(person.page, ['input#email', 'input#password', 'button:Send confirmation link']);

    await person.open(signedResultPath(TEST_SECRET, 'TOKEN_EXPIRED'), 'This link has expired', 410);
    await fits();
  });

  it('fit a phone screen signed out: the "get a new link" form', async () => {
    person = await run.person(PHONE);
    await person.open('/verify/resend', 'Get a new link');
    await expectNoHorizontalScroll(person.page);
    await expectFocusOrder(person.page, ['input#email', 'button:Send a new link', 'a:Sign in']);
  });
});
