import { once } from 'node:events';
import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type BrowserContextOptions } from 'playwright-core';
import { createExampleApp, type ExampleApp } from '../../example-app/app.ts';
import { createTestDatabase } from '../helpers/database.ts';
import { createTestRedis } from '../helpers/redis.ts';
import { REDIS_URL, TEST_SECRET } from '../helpers/services.ts';
import { openPerson, type Person } from './person.ts';

/** Debian's package; override with CHROMIUM_PATH on machines that keep it elsewhere. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Chromium as CI runs it: no GPU, no sandbox (containers run as root), and none of the background
 * traffic a fresh profile makes (updates, sync, QUIC probes), so every request a page records is
 * one the page made. Playwright gives each launch a fresh, temporary user-data-dir and deletes it
 * on close.
 */
export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

export interface BrowserRun<T> {
  /** What `build` returned: the app under test and its handles. */
  app: T;
  /** `http://127.0.0.1:<port>`: the app's base URL and the only origin a page may load from. */
  origin: string;
  browser: Browser;
  /** A new person: their own browser context (cookies, storage), recording every request and console error. */
  person(options?: BrowserContextOptions): Promise<Person>;
  close(): Promise<void>;
}

/** An app to serve: its request handler, and what to close; `closers` collects cleanups of its parts. */
export type BuildApp<T> = (origin: string, closers: (() => Promise<unknown>)[]) => Promise<T & { handler: RequestListener }>;

/**
 * Binds 127.0.0.1:0 first, so the app can be built knowing its origin (links, Origin checks), then
 * serves it and launches Chromium. Everything opened is closed again, newest first, also when a
 * step of the start fails.
 */
export async function serveInBrowser<T>(build: BuildApp<T>): Promise<BrowserRun<T>> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const closers: (() => Promise<unknown>)[] = [() => new Promise((resolve) => {
    server.close(resolve);
    server.closeAllConnections();
  })];
  const close = async () => {
    for (const closer of closers.splice(0).reverse()) await closer().catch(() => {});
  };
  try {
    const app = await build(origin, closers);
    server.on('request', app.handler);
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    closers.push(() => browser.close());
    return { app, origin, browser, person: (options) => openPerson(browser, origin, options), close };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * The example app as a developer runs it locally: the real PostgreSQL and Redis (a database and
 * key prefix of this file's own), mail in the dev mailbox.
 */
export function startExampleApp(): Promise<BrowserRun<ExampleApp>> {
  return serveInBrowser(async (origin, closers) => {
    const db = await createTestDatabase();
    closers.push(() => db.close());
    const redis = await createTestRedis();
    closers.push(() => redis.close());
    const example = await createExampleApp({
      NODE_ENV: 'test', DATABASE_URL: db.url, REDIS_URL, REDIS_PREFIX: `${redis.prefix}sess:`,
      VERIGATE_SECRET: TEST_SECRET, SESSION_SECRET: TEST_SECRET, BASE_URL: origin,
    });
    closers.push(() => example.close());
    return Object.assign(example, { handler: example.app as RequestListener });
  });
}
