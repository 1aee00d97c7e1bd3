import type { Cluster, Redis } from 'ioredis';
import { fail } from '../config/checks.ts';
import type { RedisOption } from '../config/options.ts';
import { createRedisClient, type RedisClient, type RedisConnectionInput } from '../limits/redis-client.ts';
import { throttledWarn } from '../limits/throttled-log.ts';
import type { Logger } from '../ports/logger.ts';

/** A Redis connection for one blocking reader: nothing else may queue behind its XREADGROUP BLOCK. */
export interface BlockingRedis {
  call(...args: (string | number)[]): Promise<unknown>;
  /** Resolves once connected, after at most `waitMs`, or at once after `abort()`; the next command then fails fast if still down. */
  ready(waitMs: number): Promise<void>;
  /** Cuts the connection now: a blocking read in flight fails at once. */
  abort(): void;
  close(): Promise<void>;
}

type Duplicable = (Redis | Cluster) & { isCluster?: boolean; options: Record<string, unknown> };

/**
 * Opens a connection of its own next to verigate's shared one, with a command timeout above the
 * block time (a shared client's 1 s timeout would cut every blocking read). A host's client is
 * duplicated (same address and credentials); a URL or cluster list gets a fail-fast client.
 */
export function openBlockingRedis(option: RedisOption, commandTimeoutMs: number, logger: Logger): BlockingRedis {
  let client: RedisClient;
  let closeClient: () => Promise<void>;
  // `{ cluster: [...] }` is a list of seed nodes; an ioredis client also has a `cluster` (the CLUSTER command).
  if (typeof option === 'object' && !Array.isArray(option) && !Array.isArray((option as { cluster?: unknown }).cluster)) {
    const host = option as unknown as Duplicable;
    if (typeof host.duplicate !== 'function') {
      fail('VERIGATE_INBOUND_NEEDS_REDIS', 'inboundEvents needs an ioredis client (with duplicate()) or a redis:// URL in the redis option.', 'Pass redis: process.env.REDIS_URL or an ioredis Redis/Cluster.');
    }
    // Connecting at once (even if the host's client is lazy): commands are not queued while offline.
    client = host.isCluster
      ? (host as Cluster).duplicate([], { enableOfflineQueue: false, lazyConnect: false, redisOptions: { ...(host.options.redisOptions as object), commandTimeout: commandTimeoutMs } })
      : (host as Redis).duplicate({ commandTimeout: commandTimeoutMs, enableOfflineQueue: false, lazyConnect: false, maxRetriesPerRequest: 1 });
    const warn = throttledWarn(logger);
    client.on('error', (error: Error) => warn('Redis unavailable for inbound events; retrying.', { error: error.message }));
    closeClient = async () => { client.disconnect(); };
  } else {
    const connection = createRedisClient(option as RedisConnectionInput, { timeoutMs: commandTimeoutMs, logger });
    client = connection.client;
    closeClient = () => connection.close();
  }
  let aborted = false;
  const waiters = new Set<() => void>();
  client.on('ready', () => { for (const wake of waiters) wake(); });
  return {
    call: (...args) => client.call(String(args[0]), ...args.slice(1)),
    async ready(waitMs) {
      if (aborted || client.status === 'ready') return;
      await new Promise<void>((resolve) => {
        const done = () => { clearTimeout(timer); waiters.delete(done); resolve(); };
        const timer = setTimeout(done, waitMs);
        waiters.add(done);
      });
    },
    abort() {
      aborted = true;
      client.disconnect();
      for (const wake of waiters) wake();
    },
    close: () => closeClient(),
  };
}
