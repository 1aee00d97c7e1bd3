import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { expectFocusOrder, expectNoHorizontalScroll } from './checks.ts';
import { logIn, openMail, proofOfWorkDone, signUp } from './flows.ts';
import type { ExampleApp } from '../../example-app/app.ts';
import { startExampleApp, type BrowserRun } from './harness.ts';
import type { Person } from './person.ts';
import { signedResultPath } from '../helpers/result-url.ts';
import { TEST_SECRET } from '../helpers/services.ts';

const PHONE = { viewport: { width: 375, height: 740 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };

describe('keyboard and small screens in Chromium', () => {
  let run: BrowserRun<ExampleApp>;
  let person: Person | undefined;
  beforeAll(async () => {
    run = await startExampleApp();
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

  it('reaches every field and button of the main forms with Tab, in order, with a visible focus ring', async () => {
    person = await run.person();
    const email = 'margaret@example.com';
    await person.open('/signup', 'Create an account');
    await expectFocusOrder(person.page, ['input#email', 'input#password', 'button:Sign up', 'a:I already have an account']);
    await signUp(person, email);

    await person.open('/verify/resend', 'Get a new link');
    await proofOfWorkDone(person);
    await expectFocusOrder(person.page, ['input#email', 'button:Send a new link', 'a:Sign in']);

    await person.open('/login', 'Log in');
    await expectFocusOrder(person.page, ['input#email', 'input#password', 'button:Log in', 'a:Create an account']);
    await logIn(person, email);
    await person.heading('Check your inbox');
    await expectFocusOrder(person.page, ['button:Send a new link', 'input#code', 'button:Confirm with code', 'a:Use a different email address']);

    const mail = await openMail(person, run.app, email, 'Confirm your email address');
    await person.submit(mail.locator('pre a[href*="/verify/confirm?token="]'));
    await person.heading('Confirm your email address');
    await expectFocusOrder(person.page, ['button:Confirm my email address']);
    // Pressing Enter on the focused button is how a keyboard user confirms.
    await person.page.getByRole('button', { name: 'Confirm my email address' }).focus();
    await Promise.all([person.page.waitForURL('**/verify/result?status=verified&*'), person.page.keyboard.press('Enter')]);
    await person.heading('Email address confirmed');

    await person.open('/verify/email', 'Change your email address');
    await expectFocusOrder(person.page, ['input#email', 'input#password', 'button:Send confirmation link']);

    // The skip link moves focus past the header to the page itself.
    await person.open('/settings', 'Account settings');
    await person.page.keyboard.press('Tab');
    await person.page.keyboard.press('Enter');
    expect(await person.page.evaluate(() => (globalThis as any).document.activeElement?.id)).toBe('main');
  });

  it('fits a 375 px wide phone screen on every page, without horizontal scrolling', async () => {
    person = await run.person(PHONE);
    const email = 'hedy.lamarr.with.a.rather.long.address@example-mobile-provider.example.com';
    const fits = async (shot?: string) => {
      await expectNoHorizontalScroll(person!.page);
      if (shot) await person!.shot(shot);
    };
    await person.open('/', 'Welcome to Example App');
    await fits('mobile-home');
    await person.open('/signup', 'Create an account');
    await fits('mobile-signup');
    await signUp(person, email);
    await fits();
    await person.open('/verify/resend', 'Get a new link');
    await fits();
    await person.open('/no-such-page', 'Page not found', 404);
    await fits();
    await logIn(person, email);
    await person.heading('Check your inbox');
    await fits('mobile-verify-pending');
    await openMail(person, run.app, email, 'Confirm your email address');
    await fits('mobile-dev-mailbox');
    await person.page.getByText('HTML version').first().click();
    await fits();
    const mail = await openMail(person, run.app, email, 'Confirm your email address');
    await person.submit(mail.locator('pre a[href*="/verify/confirm?token="]'));
    await person.heading('Confirm your email address');
    await fits('mobile-verify-confirm');
    await person.submit(person.page.getByRole('button', { name: 'Confirm my email address' }));
    await person.heading('Email address confirmed');
    await fits();
    await person.open('/dashboard', /^Welcome, /);
    await fits('mobile-dashboard');
    await person.open('/settings', 'Account settings');
    await fits();
    await person.open('/verify/email', 'Change your email address');
    await fits();
    await person.open(signedResultPath(TEST_SECRET, 'TOKEN_SUPERSEDED'), 'A newer link was sent', 410);
    await fits();
  });

  it('shows the same pages in a dark colour scheme without losing the focus ring', async () => {
    person = await run.person({ colorScheme: 'dark' });
    await person.open('/login', 'Log in');
    await expectFocusOrder(person.page, ['input#email', 'input#password', 'button:Log in', 'a:Create an account']);
    await person.open('/verify/resend', 'Get a new link');
    await proofOfWorkDone(person);
    await person.shot('dark-verify-resend');
  });
});
