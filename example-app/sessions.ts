import { RedisStore } from 'connect-redis';
import session, { type Store } from 'express-session';
import type { RequestHandler } from 'express';
import { Redis } from 'ioredis';
import type { Settings } from './settings.ts';

export interface Sessions {
  middleware: RequestHandler;
  /** The Redis client behind the session store, shared with verigate (limits, session index); none in memory mode. */
  redis?: Redis;
  close(): Promise<void>;
}

const WEEK_MS = 7 * 24 * 60 * 60 * 1000;
const REDIS_READY_TIMEOUT_MS = 5000;

/** Resolves once the client can take commands; with the offline queue off, earlier commands would fail. */
function whenReady(client: Redis): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(`Redis did not become ready within ${REDIS_READY_TIMEOUT_MS} ms`)), REDIS_READY_TIMEOUT_MS);
    const onReady = () => done();
    const onError = (error: Error) => done(error);
    function done(error?: Error) {
      clearTimeout(timer);
      client.off('ready', onReady);
      client.off('error', onError);
      if (error) reject(error);
      else resolve();
    }
    client.once('ready', onReady);
    client.once('error', onError);
  });
}

async function closeRedis(client: Redis): Promise<void> {
  try {
    if (client.status === 'ready') await client.quit();
    else client.disconnect();
  } catch {
    client.disconnect();
  }
}

async function redisStore(settings: Settings, url: string): Promise<{ store: Store; client: Redis; close: () => Promise<void> }> {
  // Fail fast and recover alone: no offline queue, one retry, a 1 s command timeout (a slow Redis is a 503,
  // not a 10 s page), and reconnects every few hundred milliseconds in the background.
  const client = new Redis(url, {
    maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 1000, commandTimeout: 1000,
    retryStrategy: (attempt) => Math.min(200 * attempt, 2000),
  });
  try {
    await whenReady(client);
  } catch (error) {
    client.disconnect();
    throw new Error(`cannot reach Redis at REDIS_URL: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  // Without a listener ioredis reports every reconnect failure as an unhandled 'error' event;
  // requests meanwhile fail fast (no offline queue) and are answered 503.
  let lastLogged = 0;
  client.on('error', (error: Error) => {
    const now = Date.now();
    if (now - lastLogged < 10_000) return;
    lastLogged = now;
    process.stderr.write(`[example-app] redis: ${error.message}\n`);
  });
  return { store: new RedisStore({ client, prefix: settings.redisPrefix }), client, close: () => closeRedis(client) };
}

/** express-session backed by Redis when REDIS_URL is set, else by the in-process MemoryStore. */
export async function createSessions(settings: Settings): Promise<Sessions> {
  const redis = settings.redisUrl ? await redisStore(settings, settings.redisUrl) : undefined;
  const middleware = session({
    name: 'sid',
    secret: settings.sessionSecret,
    store: redis?.store,
    resave: false,
    saveUninitialized: false,
    cookie: { httpOnly: true, sameSite: 'lax', secure: settings.production, maxAge: WEEK_MS },
  });
  return { middleware, redis: redis?.client, close: async () => redis?.close() };
}
