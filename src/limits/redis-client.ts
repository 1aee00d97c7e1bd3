import { createRequire } from 'node:module';
import type { Cluster, ClusterOptions, Redis, RedisOptions } from 'ioredis';
import { fail, isObject } from '../config/checks.ts';
import { defaultLogger, type Logger } from '../ports/logger.ts';
import { withDeadline } from './limiter-error.ts';
import { throttledWarn } from './throttled-log.ts';

/** An ioredis single-node client or Cluster. */
export type RedisClient = Redis | Cluster;

/** A cluster seed node: `'redis://host:port'` (credentials and `rediss:` honoured) or `{ host, port }`. */
export type ClusterNodeAddress = string | { host: string; port: number };

/**
 * Where Redis is:
 * - `'redis://…'` / `'rediss://…'`: one node (e.g. `process.env.REDIS_URL`);
 * - several such URLs, as an array or one comma-separated string: seed nodes of a Redis Cluster;
 * - `{ cluster: [...] }`: seed nodes of a Redis Cluster (URLs or `{ host, port }`);
 * - an ioredis `Redis` or `Cluster` you created: used as is and never closed by verigate.
 */
export type RedisConnectionInput = string | readonly string[] | { cluster: readonly ClusterNodeAddress[] } | RedisClient;

export interface RedisClientOptions {
  /** Where connection problems are reported (at most one warning per 10 s). Default: stderr. */
  logger?: Logger;
  /** Connect timeout and per-command timeout of clients verigate creates, in ms. Default `1000`. */
  timeoutMs?: number;
}

export interface RedisConnection {
  readonly client: RedisClient;
  /** True when verigate created the client, so `close()` quits it; a host's client is left open. */
  readonly owned: boolean;
  close(): Promise<void>;
}

const CODE = 'VERIGATE_INVALID_REDIS';
const RECONNECT_CAP_MS = 2000;

/**
 * Reconnects forever (a Redis restart must heal without restarting the app), backing off to at most
 * 2 s with jitter so many app instances do not reconnect in lockstep.
 */
export function reconnectDelayMs(attempt: number): number {
  const base = Math.min(100 * 2 ** Math.min(Math.max(attempt - 1, 0), 10), RECONNECT_CAP_MS);
  return Math.round(base * (0.8 + Math.random() * 0.2));
}

function isClient(value: unknown): value is RedisClient {
  const v = value as Record<string, unknown>;
  return isObject(value) && typeof v.sendCommand === 'function' && typeof v.status === 'string';
}

function parseUrl(text: string): URL {
  let url: URL | undefined;
  try {
    url = new URL(text.trim());
  } catch { /* reported below */ }
  if (!url || (url.protocol !== 'redis:' && url.protocol !== 'rediss:') || !url.hostname) {
    fail(CODE, 'Redis addresses must be redis:// or rediss:// URLs.',
      `Got one that is not; e.g. 'redis://127.0.0.1:6379' or for a cluster 'redis://a:7000,redis://b:7000'.`);
  }
  return url;
}

function clusterSettings(nodes: readonly ClusterNodeAddress[]): { seeds: { host: string; port: number }[]; auth: RedisOptions } {
  if (nodes.length === 0) fail(CODE, 'A Redis Cluster needs at least one seed node.', `e.g. { cluster: ['redis://10.0.0.1:7000', 'redis://10.0.0.2:7000'] }.`);
  const auth: RedisOptions = {};
  const seeds = nodes.map((node) => {
    if (typeof node !== 'string') {
      if (!isObject(node) || typeof node.host !== 'string' || !Number.isInteger(node.port)) {
        fail(CODE, 'Cluster nodes must be redis:// URLs or { host, port }.', `Got ${JSON.stringify(node)}.`);
      }
      return { host: node.host, port: node.port };
    }
    const url = parseUrl(node);
    // Cluster nodes share one set of credentials, so the first URL that carries them sets them.
    if (url.password && auth.password === undefined) {
      auth.username = decodeURIComponent(url.username) || undefined;
      auth.password = decodeURIComponent(url.password);
    }
    if (url.protocol === 'rediss:') auth.tls = {};
    return { host: url.hostname, port: Number(url.port || 6379) };
  });
  return { seeds, auth };
}

// Loaded on first use so that hosts who pass their own client, or use no Redis, need no ioredis.
function loadIoredis(): typeof import('ioredis') {
  try {
    return createRequire(import.meta.url)('ioredis') as typeof import('ioredis');
  } catch (error) {
    fail('VERIGATE_IOREDIS_REQUIRED', `A Redis URL needs the ioredis package (${(error as Error).message}).`,
      'npm install ioredis, or pass your own ioredis client instead of a URL.');
  }
}

/**
 * Returns a client for `input`. Clients verigate creates fail fast instead of queueing: no offline
 * queue, one attempt per command, `timeoutMs` to connect and per command; they reconnect by
 * themselves; their 'error' events are logged (throttled) and never crash the process.
 */
export function createRedisClient(input: RedisConnectionInput, options: RedisClientOptions = {}): RedisConnection {
  if (isClient(input)) return { client: input, owned: false, close: async () => {} };
  const timeoutMs = options.timeoutMs ?? 1000;
  const logger = options.logger ?? defaultLogger;
  const nodeOptions: RedisOptions = { connectTimeout: timeoutMs, commandTimeout: timeoutMs, maxRetriesPerRequest: 1 };

  let nodes: readonly ClusterNodeAddress[] | undefined;
  if (typeof input === 'string' && input.includes(',')) nodes = input.split(',');
  else if (Array.isArray(input)) nodes = input;
  else if (isObject(input) && Array.isArray(input.cluster)) nodes = input.cluster;
  else if (typeof input !== 'string') {
    fail(CODE, 'redis must be a redis:// URL, a list of cluster URLs, { cluster: [...] } or an ioredis client.', `e.g. process.env.REDIS_URL.`);
  }

  const { Redis: RedisClass, Cluster: ClusterClass } = loadIoredis();
  let client: RedisClient;
  if (nodes) {
    const { seeds, auth } = clusterSettings(nodes);
    const clusterOptions: ClusterOptions = {
      enableOfflineQueue: false,
      clusterRetryStrategy: reconnectDelayMs,
      // ioredis leaves a dropped node disconnected by default; a node that restarts with its slots must come back.
      clusterNodeRetryStrategy: reconnectDelayMs,
      slotsRefreshTimeout: timeoutMs,
      redisOptions: { ...nodeOptions, ...auth },
    };
    client = new ClusterClass(seeds, clusterOptions);
  } else {
    parseUrl(input as string);
    client = new RedisClass(input as string, { ...nodeOptions, enableOfflineQueue: false, retryStrategy: reconnectDelayMs });
  }

  const warn = throttledWarn(logger);
  let failing = false;
  client.on('error', (error: Error) => {
    failing = true;
    warn('Redis unavailable; requests that need it are refused until it reconnects.', { error: error.message });
  });
  client.on('ready', () => {
    if (failing) logger.info('Redis reachable again.');
    failing = false;
  });

  return {
    client,
    owned: true,
    async close() {
      try {
        await withDeadline(client.quit(), timeoutMs, 'quit');
      } catch {
        // Already down or mid-reconnect: nothing to say goodbye to.
      } finally {
        client.disconnect();
      }
    },
  };
}
