import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { descriptionOf, hasFocus } from './checks.ts';
import type { ExampleApp } from '../../example-app/app.ts';
import { startExampleApp, type BrowserRun } from './harness.ts';
import { codeIn, confirmFromMailbox, logIn, openMail, proofOfWorkDone, signUp, waitForMail } from './flows.ts';
import type { Person } from './person.ts';
import { LocaleFormats } from '../../src/i18n/format-message.ts';

describe('a person signs up in Chromium', () => {
  let run: BrowserRun<ExampleApp>;
  let person: Person | undefined;
  beforeAll(async () => {
    run = await startExampleApp();
  });
  afterEach(async () => {
    // Every page of every test: nothing from another origin, no console or script error.
    const seen = person;
    person = undefined;
    await seen?.close();
    seen?.assertClean();
  });
  afterAll(async () => {
    await run?.close();
  });

  it('signs up, opens the dev mailbox, follows the link, confirms and reaches the dashboard', async () => {
    person = await run.person();
    const email = 'ada@example.com';
    await person.open('/', 'Welcome to Example App');
    await person.shot('home');
    await person.submit(person.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Sign up' }));
    await person.heading('Create an account');
    await person.shot('signup');
    await signUp(person, email);
    await person.shot('signup-sent');

    // The dashboard is gated: the login's returnTo leads to the pending page first.
    await person.open('/dashboard', 'Log in');
    expect(await logIn(person, email)).toBe('/verify/pending');
    await person.heading('Check your inbox');
    expect(await person.page.locator('main').innerText()).toContain(`We sent a link to ${email}.`);
    await person.shot('verify-pending');

    await person.submit(person.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Dev mailbox' }));
    await person.heading('Dev mailbox');
    expect(await person.page.title()).toBe('Dev mailbox · Example App');
    await person.shot('dev-mailbox');
    const mail = await openMail(person, run.app, email, 'Confirm your email address');
    const confirmPage = await person.submit(mail.locator('pre a[href*="/verify/confirm?token="]'));
    // The token page: no Referer can carry the token away, nothing is cached.
    expect(confirmPage.headers()['referrer-policy']).toBe('no-referrer');
    expect(confirmPage.headers()['cache-control']).toBe('no-store');
    await person.heading('Confirm your email address');
    await person.shot('verify-confirm');
    const result = await person.submit(person.page.getByRole('button', { name: 'Confirm my email address' }));
    expect(new URL(result.url()).searchParams.get('status')).toBe('verified');
    await person.heading('Email address confirmed');
    await person.shot('verify-result');

    await person.submit(person.page.getByRole('link', { name: 'Continue' }));
    await person.heading(`Welcome, ${email}`);
    expect(new URL(person.page.url()).pathname).toBe('/dashboard');
    await person.shot('dashboard');
  });

  it('enters the code from the mail on the pending page (a wrong one first)', async () => {
    person = await run.person();
    const email = 'grace@example.com';
    await signUp(person, email);
    await logIn(person, email);
    const code = await codeIn(await openMail(person, run.app, email, 'Confirm your email address'));

    await person.open('/verify/pending', 'Check your inbox');
    const field = person.page.getByLabel('Or enter the code from the email');
    await field.fill(code.startsWith('AAAA') ? 'BBBB-BBBB' : 'AAAA-AAAA');
    await person.submit(person.page.getByRole('button', { name: 'Confirm with code' }), 400);
    await person.page.getByRole('alert').filter({ hasText: 'The code does not match' }).waitFor();
    expect(await field.getAttribute('aria-invalid')).toBe('true');
    expect(await descriptionOf(field)).toContain('The code does not match');
    expect(await hasFocus(field)).toBe(true);
    await person.shot('verify-pending-wrong-code');

    await field.fill(code.toLowerCase());
    const result = await person.submit(person.page.getByRole('button', { name: 'Confirm with code' }));
    expect(new URL(result.url()).searchParams.get('status')).toBe('verified');
    await person.heading('Email address confirmed');
    await person.submit(person.page.getByRole('link', { name: 'Continue' }));
    await person.heading(`Welcome, ${email}`);
  });

  it('asks for new links until the limit, and the 429 page says when to try again', async () => {
    person = await run.person();
    const email = 'linus@example.com';
    await signUp(person, email);
    await logIn(person, email);
    await person.open('/verify/pending', 'Check your inbox');
    // 3 sends per user per hour: the sign-up's link and two more, then the limit.
    const resend = person.page.getByRole('button', { name: 'Send a new link' });
    for (let i = 0; i < 2; i++) {
      await person.submit(resend, 200);
      await person.page.getByRole('status').filter({ hasText: 'We sent a new link' }).waitFor();
    }
    const limited = await person.submit(resend, 429);
    const retryAfter = Number(limited.headers()['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    await person.heading('Please wait a moment');
    // The page words the wait as the catalogue's duration does: "1 hour", "59 minutes", "45 seconds".
    expect(await person.page.locator('main').innerText()).toContain(`try again in ${new LocaleFormats('en', 'UTC').duration(retryAfter * 1000)}`);
    await person.shot('rate-limited');

    // "Back" leads to the pending page; the newest of the three mails confirms.
    await person.submit(person.page.getByRole('link', { name: 'Back' }));
    await person.heading('Check your inbox');
    await waitForMail(run.app, (m) => m.to === email, 3);
    expect(run.app.mailbox!.messages().filter((m) => m.to === email)).toHaveLength(3);
    await confirmFromMailbox(person, run.app, email);
  });

  it('asks for a new link while signed out: the proof-of-work check runs in the page, then the form sends', async () => {
    person = await run.person();
    const email = 'barbara@example.com';
    await signUp(person, email);
    await person.submit(person.page.getByRole('link', { name: 'ask for a new link' }));
    await person.heading('Get a new link');
    await person.page.getByLabel('Email address').fill(email);
    // The solver disables the button while it works and says "Ready." when done, as a person would see.
    await proofOfWorkDone(person);
    await person.shot('verify-resend');
    const sent = await person.submit(person.page.getByRole('button', { name: 'Send a new link' }));
    expect(sent.status()).toBe(200);
    await person.page.getByRole('status').filter({ hasText: 'If an account with that address is waiting' }).waitFor();
    await waitForMail(run.app, (m) => m.to === email, 2);

    // The person then confirms from the newest mail, in this browser that never signed in.
    await confirmFromMailbox(person, run.app, email);
    await person.page.getByRole('link', { name: 'Continue' }).waitFor();
  });
});
