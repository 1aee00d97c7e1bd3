import { createAddressChangeService } from './addresses/address-change-service.ts';
import type { CoreOptions } from './config/options.ts';
import { resolveOptions } from './config/resolve-options.ts';
import type { ResolvedConfig } from './config/resolved-config.ts';
import { deriveKeys } from './crypto/keys.ts';
import { createDbAccess } from './db/db-access.ts';
import { checkHealth } from './maintenance/health.ts';
import { createPurgeJob } from './maintenance/purge-job.ts';
import type { PurgeResult } from './maintenance/purge.ts';
import { createMailTransport } from './outbox/mail-transport.ts';
import { createOutboxWorker } from './outbox/outbox-worker.ts';
import type { EmailRenderer } from './ports/mail.ts';
import { databaseSessionIndex, redisSessionIndex, type RedisHashCommands } from './sessions/session-index.ts';
import type { RedisClientLike } from './config/options.ts';
import { createStorage } from './storage/storage.ts';
import type { Listening } from './db/notify-listener.ts';
import { withDeadline } from './db/sql-context.ts';
import { OUTBOX_CHANNEL } from './outbox/outbox-channel.ts';
import type { UserId } from './users/user-id.ts';
import { revokeVerification } from './verification/revoke.ts';
import { runHook } from './verification/run-hook.ts';
import { createVerificationService } from './verification/verification-service.ts';

/**
 * The host's client may queue commands while Redis is away (ioredis' offline queue): verigate's own
 * commands give up after `ms`, so a gated request fails closed with a fast 503 instead of hanging.
 */
function boundedRedis(redis: RedisClientLike, ms: number): RedisHashCommands {
  return {
    hset: (key, field, value) => withDeadline(redis.hset(key, field, value), ms),
    pexpire: (key, ttl) => withDeadline(redis.pexpire(key, ttl), ms),
    hgetall: (key) => withDeadline(redis.hgetall(key), ms),
    hdel: (key, ...fields) => withDeadline(redis.hdel(key, ...fields), ms),
  };
}

/** A bounded PING for health reports, when Redis is in use. */
function redisPing(redis: ResolvedConfig['redis']): (() => Promise<unknown>) | undefined {
  const client = redis as unknown as { ping?: () => Promise<unknown> } | undefined;
  if (!client || typeof client.ping !== 'function') return undefined;
  return () => withDeadline(client.ping!(), 1000, 'Redis');
}

/**
 * The whole framework-free core, assembled in one place. The Express adapter only adds HTTP on
 * top; a worker-only process (no web server) can use this alone.
 */
export function createVerigateCore(options: CoreOptions, deps: { createRenderer: (config: ResolvedConfig) => EmailRenderer; extraOptionKeys?: readonly string[] }) {
  const { config, secret } = resolveOptions(options, deps.extraOptionKeys);
  const renderer = deps.createRenderer(config);
  const keys = deriveKeys(secret);
  const storage = createStorage({ em: config.em, database: config.database, migrate: config.migrate, logger: config.logger });
  const db = createDbAccess(storage, config.databaseTimeoutMs);
  const mail = createMailTransport(config.mail.transport, config.worker.sendTimeoutMs, config.worker.batchSize);
  const sessionKeys = { hashKey: keys.lookupHash, sealKey: keys.dataSeal };
  const sessions = config.redis
    ? redisSessionIndex(boundedRedis(config.redis, config.redisTimeoutMs), config.redisPrefix, sessionKeys, config.sessionLifetimeMs)
    : databaseSessionIndex(db, sessionKeys, config.sessionLifetimeMs);
  const purgeJob = createPurgeJob({ db, clock: config.clock, logger: config.logger, retentionMs: config.retentionMs, sessionLifetimeMs: config.sessionLifetimeMs });
  const worker = createOutboxWorker({
    db, sealKey: keys.outboxSeal, transport: mail.transport, from: config.mail.from,
    logger: config.logger, settings: config.worker, onPoll: purgeJob.runIfDue,
    onDead: (event) => runHook(config.logger, 'onEmailDead', config.hooks.onEmailDead, event),
  });
  const onQueued = () => worker.kick();
  const shared = { config, keys, db, renderer, onQueued };
  const verification = createVerificationService(shared);
  const addresses = createAddressChangeService(shared);
  let listening: Promise<Listening | undefined> | undefined;
  if (config.worker.autoStart) {
    storage.ready().then(() => {
      worker.start();
      if (config.worker.listen) {
        listening = storage.acquire(0).then((driver) => driver.listen?.(OUTBOX_CHANNEL, onQueued, config.logger)).catch(() => undefined);
      }
    }, () => {});
  }

  let closing: Promise<void> | undefined;
  return {
    config: config as ResolvedConfig,
    verification,
    addresses,
    /** Which sessions belong to which user (Redis when configured, else verigate's table). */
    sessions,
    /** Withdraws a user's verifications and closes their open links; the web layer ends their sessions. */
    revoke: (userId: UserId) => revokeVerification(db, userId),
    /** Database, Redis and outbox backlog at a glance; never throws. */
    health: () => checkHealth(db, redisPing(config.redis)),
    /** Resolves once the database is reachable and migrated. */
    ready: () => storage.ready(),
    drain: (): Promise<number> => worker.drain(),
    purge: (): Promise<PurgeResult> => purgeJob.run(),
    close: (): Promise<void> => (closing ??= (async () => {
      await (await listening)?.close();
      await worker.close();
      mail.close();
      await storage.close();
    })()),
  };
}

export type VerigateCore = ReturnType<typeof createVerigateCore>;
