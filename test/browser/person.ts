import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, BrowserContextOptions, Locator, Page, Response } from 'playwright-core';

export const SCREENSHOTS_DIR = fileURLToPath(new URL('../../docs/screenshots/', import.meta.url));

/** Waits are explicit and bounded; a page that never shows what is expected fails in seconds, not at the jest timeout. */
const WAIT_MS = 15_000;

export interface Person {
  context: BrowserContext;
  page: Page;
  origin: string;
  /** Every URL any page of this person requested, in order (documents, scripts, styles, images, fetches). */
  requests: string[];
  /** Console errors (CSP violations land here too), uncaught page errors and 4xx/5xx responses no step expected. */
  errors: string[];
  /** Opens a path of the app and waits for its main heading; returns the document's response. */
  open(path: string, heading?: string | RegExp, expectStatus?: number): Promise<Response>;
  /** Waits for the page's `<h1>` to read `name`. */
  heading(name: string | RegExp): Promise<Locator>;
  /**
   * Clicks and waits for the navigation the click causes; returns the new document's response.
   * A 4xx page is an error unless `expectStatus` names it (Chromium logs one in the console).
   */
  submit(target: Locator, expectStatus?: number): Promise<Response>;
  /** A full-page PNG at docs/screenshots/<name>.png. */
  shot(name: string): Promise<void>;
  /** Fails if anything came from another origin or any console or page error was seen. */
  assertClean(): void;
  close(): Promise<void>;
}

/**
 * One person in their own browser context, with their own cookies. Light scheme, no motion, a
 * fixed viewport and locale so screenshots look the same from run to run.
 */
export async function openPerson(browser: Browser, origin: string, options: BrowserContextOptions = {}): Promise<Person> {
  const context = await browser.newContext({
    baseURL: origin, viewport: { width: 1024, height: 720 }, colorScheme: 'light', reducedMotion: 'reduce',
    locale: 'en-GB', timezoneId: 'UTC', ...options,
  });
  context.setDefaultTimeout(WAIT_MS);
  context.setDefaultNavigationTimeout(WAIT_MS);
  const requests: string[] = [];
  const errors: string[] = [];
  const consoleErrors: { text: string; url: string; page: string }[] = [];
  const failures: string[] = [];
  // "Failed to load resource" console lines of 4xx pages the test asked for, by "<status> <url>".
  const expected = new Set<string>();
  const checkStatus = (response: Response, expectStatus?: number) => {
    if (expectStatus !== undefined && response.status() !== expectStatus) {
      throw new Error(`expected ${expectStatus} from ${response.url()}, got ${response.status()}`);
    }
    if (response.status() >= 400 && response.status() === expectStatus) expected.add(`${response.status()} ${response.url()}`);
    return response;
  };
  const isExpected = (line: { text: string; url: string }) => {
    const status = /^Failed to load resource: the server responded with a status of (\d+)/.exec(line.text)?.[1];
    return status !== undefined && expected.has(`${status} ${line.url}`);
  };
  context.on('request', (request) => requests.push(request.url()));
  context.on('response', (response) => {
    if (response.status() >= 400) failures.push(`${response.status()} ${response.url()}`);
  });
  const page = await context.newPage();
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push({ text: message.text(), url: message.location().url, page: page.url() });
  });
  page.on('pageerror', (error) => errors.push(`page error: ${error.message} (${page.url()})`));

  const heading = async (name: string | RegExp) => {
    const h1 = page.getByRole('heading', { level: 1, name });
    await h1.waitFor();
    return h1;
  };

  return {
    context, page, origin, requests, errors,
    async open(path, name, expectStatus) {
      const response = await page.goto(path, { waitUntil: 'load' });
      if (!response) throw new Error(`no response for ${path}`);
      checkStatus(response, expectStatus);
      if (name !== undefined) await heading(name);
      return response;
    },
    heading,
    async submit(target, expectStatus) {
      // The click's own navigation: the main frame's document response after any redirects (303 → page).
      const [response] = await Promise.all([
        page.waitForResponse((r) => r.request().isNavigationRequest() && r.frame() === page.mainFrame() && (r.status() < 300 || r.status() >= 400)),
        target.click(),
      ]);
      await page.waitForLoadState('load');
      return checkStatus(response, expectStatus);
    },
    async shot(name) {
      mkdirSync(SCREENSHOTS_DIR, { recursive: true });
      await page.screenshot({ path: `${SCREENSHOTS_DIR}${name}.png`, fullPage: true, animations: 'disabled', caret: 'hide', scale: 'css' });
    },
    assertClean() {
      for (const line of consoleErrors) if (!isExpected(line)) errors.push(`console: ${line.text} [${line.url}] (on ${line.page})`);
      for (const failure of failures) if (!expected.has(failure)) errors.push(`unexpected HTTP ${failure}`);
      consoleErrors.length = 0;
      failures.length = 0;
      const foreign = requests.filter((url) => new URL(url).origin !== origin);
      if (foreign.length || errors.length) {
        throw new Error(`requests to other origins:\n  ${foreign.join('\n  ') || '(none)'}\nconsole, page and HTTP errors:\n  ${errors.join('\n  ') || '(none)'}`);
      }
    },
    close: () => context.close(),
  };
}
