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
import { createStorage } from './storage/storage.ts';
import { createRedisResources } from './redis-resources.ts';
import type { Listening } from './db/notify-listener.ts';
import { OUTBOX_CHANNEL } from './outbox/outbox-channel.ts';
import type { UserId } from './users/user-id.ts';
import type { SqlContext } from './db/sql-context.ts';
import type { AuditQuery } from './audit/audit-event.ts';
import { revokeVerification } from './verification/revoke.ts';
import { runHook } from './verification/run-hook.ts';
import { createAnonymousResend } from './verification/anonymous-resend.ts';
import { createAccountNotice } from './verification/account-notice.ts';
import { refusalOf } from './verification/send-limits.ts';
import { createVerificationService } from './verification/verification-service.ts';
import { createFailureLimit } from './limits/failure-limit.ts';
import { createAuditTrail } from './audit/audit-trail.ts';
import { auditedLimiter } from './audit/audited-limiter.ts';
import { apiKeyAdmin, apiKeyGuard } from './service-api/api-keys.ts';
import { createServiceApi } from './service-api/service-api.ts';
import { createEventWriter } from './events/event-sql.ts';
import { createEventPublisher, type StreamWriter } from './events/event-publisher.ts';
import { createInboundConsumer } from './events/inbound-consumer.ts';
import { openBlockingRedis } from './events/blocking-redis.ts';
import { createBounceReporter } from './bounces/report-bounce.ts';
import type { BounceReport, BounceTarget } from './bounces/bounce-results.ts';
import { verifiedAddresses, type VerifiedAddressesOptions } from './bounces/verified-addresses.ts';
import { verpAddress } from './bounces/verp.ts';

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
  const redis = createRedisResources(config, keys, db);
  const audit = createAuditTrail({ logger: config.logger, db, ipKey: keys.auditHash, table: config.audit.table });
  // Every 429 passes through the limiter: wrapped once here, every path reports it.
  const limiter = auditedLimiter(redis.limiter, audit);
  const purgeJob = createPurgeJob({ db, clock: config.clock, logger: config.logger, retentionMs: config.retentionMs,
    sessionLifetimeMs: config.sessionLifetimeMs, auditRetentionMs: config.audit.retentionMs, softWindowMs: config.bounces.softWindowMs });
  const { verp } = config.bounces;
  const worker = createOutboxWorker({
    db, sealKey: keys.outboxSeal, transport: mail.transport, from: config.mail.from,
    logger: config.logger, settings: config.worker, onPoll: purgeJob.runIfDue,
    onDead: (event) => runHook(config.logger, 'onEmailDead', config.hooks.onEmailDead, event),
    events: config.events && createEventPublisher(config.events, redis.client as unknown as StreamWriter | undefined),
    envelopeFrom: verp ? (outboxId) => verpAddress(verp, outboxId) : undefined,
  });
  const onQueued = () => worker.kick();
  const events = createEventWriter(config.events?.sinks);
  const shared = { config, keys, db, renderer, onQueued, limiter, audit, events };
  const verification = createVerificationService(shared);
  const inbound = config.inboundEvents && createInboundConsumer({
    settings: config.inboundEvents, db, onQueued, logger: config.logger, redisTimeoutMs: config.redisTimeoutMs,
    redis: openBlockingRedis(config.redis!, config.inboundEvents.blockMs + config.redisTimeoutMs, config.logger),
    issue: (user, options) => verification.issue(user, options),
  });
  const addresses = createAddressChangeService(shared);
  const anonymous = createAnonymousResend(config, verification, limiter);
  const notifyExistingAccount = createAccountNotice({
    ...shared,
    allow: async (recipientKey) => (await refusalOf(limiter, [{ rule: 'sendsPerRecipient', key: recipientKey }])) ?? { ok: true },
  });
  const bounces = createBounceReporter(shared);
  const runSql = <T>(work: (ctx: SqlContext) => Promise<T>) => db.run(work);
  let listening: Promise<Listening | undefined> | undefined;
  if (config.worker.autoStart) {
    storage.ready().then(() => {
      worker.start();
      if (config.worker.listen) {
        listening = storage.acquire(0).then((driver) => driver.listen?.(OUTBOX_CHANNEL, onQueued, config.logger)).catch(() => undefined);
      }
    }, () => {});
  }

  if (inbound && config.inboundEvents?.autoStart) storage.ready().then(() => inbound.start(), () => {});

  let closing: Promise<void> | undefined;
  return {
    config: config as ResolvedConfig,
    verification,
    addresses,
    /** "Send me a new link" for people who are not signed in (needs `users.findByEmail`). */
    anonymous,
    /** Tells the owner of an address someone tried to sign up with (enumeration-safe sign-up forms). */
    notifyExistingAccount,
    /** Which sessions belong to which user (Redis when configured, else verigate's table). */
    sessions: redis.sessions,
    /** The rate limiter (Redis when configured, else memory), for the web layer's per-IP checks; its refusals are audited. */
    limiter,
    /** The audit emitter (logger always, table when `audit.table`). */
    audit,
    /** A user's audit rows, newest first (needs `audit: { table: true }`). */
    auditLog: (userId: UserId, query?: AuditQuery) => audit.forUser(userId, query),
    /** The service API's operations, without HTTP. */
    serviceApi: createServiceApi({ config, db, verification, addresses }),
    /** Checks a service API call's `Authorization` header for a scope (constant time, revocation, per-key limit). */
    checkApiKey: apiKeyGuard(runSql, keys.apiKeyHash, limiter),
    /** Creates, lists and revokes service API keys. */
    apiKeys: apiKeyAdmin(runSql, keys.apiKeyHash),
    /** Failed link submissions per client IP, counted after the lookup (see `FailureLimit`). */
    linkAttempts: createFailureLimit(limiter, 'attemptsPerIp'),
    /** The `user.registered` consumer, when `inboundEvents` is set (started with the core unless `autoStart: false`). */
    inbound,
    /** HMAC key the web layer signs browser-held values with (the result page's outcome); never leaves the process. */
    pageSignKey: keys.pageSign,
    /**
     * A bounce or complaint for an address (or the mail, by Message-ID / outbox id): suppresses the
     * address as the kind and the soft threshold say; the web layer ends the sessions of `userIds`.
     */
    reportBounce: (target: BounceTarget, report: BounceReport) => bounces.report(target, report),
    /** Lets mail go to a suppressed address again. */
    liftSuppression: (address: unknown) => bounces.lift(address),
    /** Streams the verified pairs whose address is not suppressed (keyset pages). */
    verifiedAddresses: (options?: VerifiedAddressesOptions) => verifiedAddresses(db, options),
    /** Withdraws a user's verifications and closes their open links; the web layer ends their sessions. */
    revoke: (userId: UserId) => revokeVerification(db, userId),
    /** Database, Redis and outbox backlog at a glance; never throws. */
    health: () => checkHealth(db, redis.ping),
    /** Resolves once the database is reachable and migrated. */
    ready: () => storage.ready(),
    drain: (): Promise<number> => worker.drain(),
    purge: (): Promise<PurgeResult> => purgeJob.run(),
    close: (): Promise<void> => (closing ??= (async () => {
      await inbound?.close();
      await (await listening)?.close();
      await worker.close();
      mail.close();
      await redis.close();
      await storage.close();
    })()),
  };
}

export type VerigateCore = ReturnType<typeof createVerigateCore>;
