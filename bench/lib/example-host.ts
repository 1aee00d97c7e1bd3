import { createExampleApp, type ExampleApp } from '../../example-app/app.ts';
import { onServer, type ServiceUrls } from './compare.ts';
import { listen, type Listening } from './http.ts';
import type { ScratchDatabase } from './services.ts';

/** The public origin the example app builds its links from; requests go to `origin` (loopback) instead. */
export const EXAMPLE_BASE_URL = 'http://localhost:3000';

export interface ExampleHost extends Listening { example: ExampleApp; db: ScratchDatabase }

/**
 * The example app in real mode (PostgreSQL, sessions and limits in Redis under `prefix`; SMTP when
 * `smtpUrl` is given, else its dev mailbox), listening on loopback. `trust proxy` is set for
 * loopback, so the load generator's X-Forwarded-For is each request's client IP.
 */
export async function startExampleHost(db: ScratchDatabase, urls: ServiceUrls, prefix: string, secret: string, smtpUrl?: string): Promise<ExampleHost> {
  const example = await createExampleApp({
    NODE_ENV: 'test', DATABASE_URL: onServer(db.url, urls.pg), REDIS_URL: urls.redis, REDIS_PREFIX: prefix,
    VERIGATE_SECRET: secret, SESSION_SECRET: secret, BASE_URL: EXAMPLE_BASE_URL, TRUST_PROXY: 'loopback',
    ...(smtpUrl ? { SMTP_URL: smtpUrl } : {}),
  });
  const server = await listen(example.app);
  return { ...server, example, db, async close() { await server.close(); await example.close(); } };
}
