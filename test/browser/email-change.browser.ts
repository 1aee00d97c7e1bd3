import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { descriptionOf, hasFocus } from './checks.ts';
import type { ExampleApp } from '../../example-app/app.ts';
import { startExampleApp, type BrowserRun } from './harness.ts';
import { codeIn, logIn, openMail, PASSWORD, signUpConfirmed } from './flows.ts';
import type { Person } from './person.ts';

describe('a person changes their address in Chromium', () => {
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

  /** From the settings page through verigate's form, with the re-auth password; ends on "Check your new inbox". */
  async function askForChange(p: Person, newEmail: string, shots = false): Promise<void> {
    await p.open('/settings', 'Account settings');
    if (shots) await p.shot('settings');
    await p.submit(p.page.getByRole('link', { name: 'Change email address' }));
    await p.heading('Change your email address');
    await p.page.getByLabel('New email address').fill(newEmail);
    await p.page.getByLabel('Current password').fill('not my password');
    await p.submit(p.page.getByRole('button', { name: 'Send confirmation link' }), 401);
    await p.page.getByRole('alert').filter({ hasText: 'The password is not correct' }).waitFor();
    // The refusal is about the password: that field is marked, described by the message and focused.
    const password = p.page.getByLabel('Current password');
    expect(await password.getAttribute('aria-invalid')).toBe('true');
    expect(await descriptionOf(password)).toContain('The password is not correct');
    expect(await hasFocus(password)).toBe(true);
    expect(await p.page.getByLabel('New email address').getAttribute('aria-invalid')).toBeNull();
    // What was typed stays; the password does not.
    expect(await p.page.getByLabel('New email address').inputValue()).toBe(newEmail);
    expect(await p.page.getByLabel('Current password').inputValue()).toBe('');
    if (shots) await p.shot('email-change-wrong-password');
    await p.page.getByLabel('Current password').fill(PASSWORD);
    if (shots) await p.shot('email-change');
    const sent = await p.submit(p.page.getByRole('button', { name: 'Send confirmation link' }));
    expect(new URL(sent.url()).pathname).toBe('/verify/pending');
    await p.heading('Check your new inbox');
    await p.page.getByRole('status').filter({ hasText: 'We sent a link to your new address.' }).waitFor();
  }

  it('changes the address with the password, confirms the new one from its mail, then undoes it from the old one', async () => {
    person = await run.person();
    const old = 'alan@example.com';
    const next = 'alan.turing@example.org';
    await signUpConfirmed(person, run.app, old);
    await askForChange(person, next, true);
    await person.shot('email-change-pending');
    await person.open('/dashboard', `Welcome, ${old}`);
    expect(await person.page.locator('main').innerText()).toContain(`A change to ${next} is waiting`);

    const confirmMail = await openMail(person, run.app, next, 'Confirm your new email address');
    await person.submit(confirmMail.locator('pre a[href*="/verify/email/confirm?token="]'));
    await person.heading('Confirm your new email address');
    await person.shot('email-change-confirm');
    const changed = await person.submit(person.page.getByRole('button', { name: 'Confirm new address' }));
    expect(new URL(changed.url()).searchParams.get('status')).toBe('email-changed');
    await person.heading('Email address changed');
    await person.shot('email-change-result');
    await person.submit(person.page.getByRole('link', { name: 'Continue' }));
    await person.heading(`Welcome, ${next}`);

    // The old address got a notice with an undo link; following it restores the address and signs everyone out.
    const notice = await openMail(person, run.app, old, 'is being changed');
    await person.submit(notice.locator('pre a[href*="/verify/email/undo?token="]'));
    await person.heading('Undo the email change');
    await person.shot('email-undo');
    const undone = await person.submit(person.page.getByRole('button', { name: 'Undo the change' }));
    expect(new URL(undone.url()).searchParams.get('status')).toBe('change-undone');
    await person.heading('Change undone');
    await person.shot('email-undo-result');
    await person.open('/dashboard', 'Log in');
    expect(await logIn(person, next, true)).toBe('/login');
    expect(await logIn(person, old)).toBe('/dashboard');
    await person.heading(`Welcome, ${old}`);
  });

  it('confirms a new address with the code from its mail instead of the link', async () => {
    person = await run.person();
    const old = 'katherine@example.com';
    const next = 'katherine.johnson@example.org';
    await signUpConfirmed(person, run.app, old);
    // A refused address: the address field is the one marked, described and focused.
    await person.open('/verify/email', 'Change your email address');
    await person.page.getByLabel('New email address').fill('katherine@mailinator.com');
    await person.page.getByLabel('Current password').fill(PASSWORD);
    await person.submit(person.page.getByRole('button', { name: 'Send confirmation link' }), 422);
    const address = person.page.getByLabel('New email address');
    expect(await address.getAttribute('aria-invalid')).toBe('true');
    expect(await descriptionOf(address)).toMatch(/disposable|throwaway|temporary/i);
    expect(await hasFocus(address)).toBe(true);
    await askForChange(person, next);
    const code = await codeIn(await openMail(person, run.app, next, 'Confirm your new email address'));
    await person.open('/verify/pending', 'Check your new inbox');
    await person.page.getByLabel('Or enter the code from the email').fill(code);
    const changed = await person.submit(person.page.getByRole('button', { name: 'Confirm with code' }));
    expect(new URL(changed.url()).searchParams.get('status')).toBe('email-changed');
    await person.heading('Email address changed');
    await person.open('/settings', 'Account settings');
    expect(await person.page.locator('main').innerText()).toContain(`${next} — confirmed`);
  });
});
