import { setTimeout as delay } from 'node:timers/promises';
import type { Locator } from 'playwright-core';
import type { DevMailbox, StoredMail } from '../../plugin/index.ts';
import type { Person } from './person.ts';

export const PASSWORD = 'correct horse battery';

/** Where mail lands: the example app, or any host with verigate and a dev mailbox. */
export interface MailSource {
  vg: { drain(): Promise<number> };
  mailbox: DevMailbox | null;
}

/**
 * Waits until the dev mailbox holds `count` messages matching `match` and returns the newest: the
 * outbox worker sends after the request has been answered (an anonymous resend only starts then),
 * so the test drains the outbox and checks again, for at most a few seconds.
 */
export async function waitForMail(source: MailSource, match: (mail: StoredMail) => boolean, count = 1, timeoutMs = 10_000): Promise<StoredMail> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await source.vg.drain();
    const found = source.mailbox!.messages().filter(match);
    if (found.length >= count) return found[0];
    if (Date.now() > deadline) throw new Error(`${found.length} of ${count} expected mails arrived in the dev mailbox`);
    await delay(50);
  }
}

/** The newest message to `to` whose subject contains `subject`, as the person sees it on /dev/mail. */
export async function openMail(person: Person, source: MailSource, to: string, subject: string): Promise<Locator> {
  await waitForMail(source, (m) => m.to === to && m.subject.includes(subject));
  await person.open('/dev/mail', 'Dev mailbox');
  const mail = person.page.locator('article.mail')
    .filter({ has: person.page.locator('dd', { hasText: new RegExp(`^${to.replace(/[.+]/g, '\\$&')}$`) }) })
    .filter({ has: person.page.getByRole('heading', { level: 2, name: subject }) })
    .first();
  await mail.waitFor();
  return mail;
}

/** The code printed in a mail (ABCD-EFGH), read off the mailbox page. */
export async function codeIn(mail: Locator): Promise<string> {
  const text = await mail.locator('pre').innerText();
  const code = /code[^:]*: ([A-Z0-9]{4}-[A-Z0-9]{4})/.exec(text)?.[1];
  if (!code) throw new Error('the mail shows no code');
  return code;
}

/** Fills the app's sign-up form and sends it; ends on "Check your inbox". */
export async function signUp(person: Person, email: string): Promise<void> {
  await person.open('/signup', 'Create an account');
  await person.page.getByLabel('Email address').fill(email);
  await person.page.getByLabel('Password').fill(PASSWORD);
  const response = await person.submit(person.page.getByRole('button', { name: 'Sign up' }));
  expectPage(response.url(), '/signup/sent', response.status(), 200);
  await person.heading('Check your inbox');
}

/** Logs in through the form; returns where the app sent the person (`/login` again, with 401, when refused and `refused` is set). */
export async function logIn(person: Person, email: string, refused = false): Promise<string> {
  if (!new URL(person.page.url()).pathname.startsWith('/login')) await person.open('/login', 'Log in');
  await person.page.getByLabel('Email address').fill(email);
  await person.page.getByLabel('Password').fill(PASSWORD);
  const response = await person.submit(person.page.getByRole('button', { name: 'Log in' }), refused ? 401 : undefined);
  return new URL(response.url()).pathname;
}

/** Follows the link in the newest verification mail and presses the button; ends on the result page. */
export async function confirmFromMailbox(person: Person, source: MailSource, email: string): Promise<void> {
  const mail = await openMail(person, source, email, 'Confirm your email address');
  await person.submit(mail.locator('pre a[href*="/verify/confirm?token="]'));
  await person.heading('Confirm your email address');
  const result = await person.submit(person.page.getByRole('button', { name: 'Confirm my email address' }));
  expectPage(result.url(), '/verify/result', result.status(), 200);
  await person.heading('Email address confirmed');
}

/** A signed-in person with a confirmed address, reached through the pages. */
export async function signUpConfirmed(person: Person, source: MailSource, email: string): Promise<void> {
  await signUp(person, email);
  await logIn(person, email);
  await confirmFromMailbox(person, source, email);
}

function expectPage(url: string, path: string, status: number, expected: number): void {
  if (new URL(url).pathname !== path || status !== expected) throw new Error(`expected ${expected} at ${path}, got ${status} at ${url}`);
}

/**
 * Waits for the anti-robot proof of work to finish in the page, as a person waits for "Ready.".
 * Up to 100 000 SHA-256 rounds in the page's JavaScript: longer than other waits on a busy machine.
 */
export async function proofOfWorkDone(person: Person): Promise<void> {
  await person.page.getByText('Ready.').waitFor({ timeout: 45_000 });
}
