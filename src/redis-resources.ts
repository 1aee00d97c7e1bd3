import type { ResolvedConfig } from './config/resolved-config.ts';
import type { VerigateKeys } from './crypto/keys.ts';
import type { DbAccess } from './db/db-access.ts';
import { withDeadline } from './db/sql-context.ts';
import { createLimiter, type Limiter } from './limits/limiter.ts';
import { createRedisClient, type RedisClient, type RedisConnection, type RedisConnectionInput } from './limits/redis-client.ts';
import { databaseSessionIndex, redisSessionIndex, type RedisHashCommands, type SessionIndex } from './sessions/session-index.ts';

export interface RedisResources {
  limiter: Limiter;
  sessions: SessionIndex;
  /** A bounded PING for health reports, when Redis is in use. */
  ping?: () => Promise<unknown>;
  /** The shared client (the host's or verigate's own), when Redis is in use; e.g. for the event stream. */
  client?: RedisClient;
  close(): Promise<void>;
}

/**
 * A host's client may queue commands while Redis is away (ioredis' offline queue): verigate's own
 * commands give up after `ms`, so a request fails closed with a fast 503 instead of hanging.
 */
function bounded(redis: RedisHashCommands, ms: number): RedisHashCommands {
  return {
    hset: (key, field, value) => withDeadline(redis.hset(key, field, value), ms, 'Redis'),
    pexpire: (key, ttl) => withDeadline(redis.pexpire(key, ttl), ms, 'Redis'),
    hgetall: (key) => withDeadline(redis.hgetall(key), ms, 'Redis'),
    hdel: (key, ...fields) => withDeadline(redis.hdel(key, ...fields), ms, 'Redis'),
  };
}

/**
 * What verigate keeps outside PostgreSQL: rate limits in Redis when configured (one client, the
 * host's or verigate's own), else in memory (this process only); the session index in verigate's
 * table, or in Redis with `sessionIndex: 'redis'`.
 */
export function createRedisResources(config: ResolvedConfig, keys: VerigateKeys, db: DbAccess): RedisResources {
  const sessionKeys = { hashKey: keys.lookupHash, sealKey: keys.dataSeal };
  let connection: RedisConnection | undefined;
  if (config.redis) connection = createRedisClient(config.redis as RedisConnectionInput, { timeoutMs: config.redisTimeoutMs, logger: config.logger });
  else if (config.environment === 'production' && config.limits !== false) {
    config.logger.warn('rate limits are kept in memory: each app instance allows the full limit. Pass redis to share them.');
  }
  const limiter = createLimiter({
    limits: config.limits,
    store: connection ? { kind: 'redis', client: connection.client } : { kind: 'memory' },
    prefix: config.redisPrefix,
    keySecret: keys.lookupHash,
    timeoutMs: config.redisTimeoutMs,
    logger: config.logger,
  });
  const client = connection?.client as unknown as (RedisHashCommands & { ping(): Promise<unknown> }) | undefined;
  return {
    limiter,
    sessions: client && config.sessionIndex === 'redis'
      ? redisSessionIndex(bounded(client, config.redisTimeoutMs), config.redisPrefix, sessionKeys, config.sessionLifetimeMs)
      : databaseSessionIndex(db, sessionKeys, config.sessionLifetimeMs),
    ping: client ? () => withDeadline(client.ping(), config.redisTimeoutMs, 'Redis') : undefined,
    client: connection?.client,
    async close() {
      await limiter.close();
      await connection?.close();
    },
  };
}
