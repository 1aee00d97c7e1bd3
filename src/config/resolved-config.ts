import type { MikroOrmEntityManager } from '../db/mikro-orm.ts';
import type { Clock } from '../ports/clock.ts';
import type { Logger } from '../ports/logger.ts';
import type { MailTransport } from '../ports/mail.ts';
import type { ResolvedDatabaseSettings } from '../storage/database-settings.ts';
import type { UserStore } from '../users/user-store.ts';
import type { AddressPolicy } from '../email/address-policy.ts';
import type { Environment, RedisOption, VerigateHooks } from './options.ts';
import type { ResolvedLimits } from '../limits/limit-options.ts';
import type { ResolvedAudit } from '../audit/audit-options.ts';
import type { ResolvedEvents, ResolvedInboundEvents } from '../events/event-options.ts';
import type { ResolvedBounces } from '../bounces/bounce-options.ts';

/** Core options after validation and defaults: frozen, and free of the secret so it may be inspected safely. */
export interface ResolvedConfig {
  /** `baseUrl` without a trailing slash. */
  readonly baseUrl: string;
  /** Path part of `baseUrl` without a trailing slash (`'/verify'`): the prefix of every browser-facing router URL. */
  readonly basePath: string;
  readonly environment: Environment;
  /** Exactly one of `em` (the host's ORM) and `database` (verigate's own) is set. */
  readonly em?: MikroOrmEntityManager;
  readonly database?: ResolvedDatabaseSettings;
  readonly migrate: boolean;
  readonly databaseTimeoutMs: number;
  readonly mail: Readonly<{ from: string; transport: MailTransport | string }>;
  readonly tokenTtlMs: number;
  readonly undoTtlMs: number;
  readonly appName: string;
  readonly users?: UserStore;
  /** The resolved `addresses` option as a checker. */
  readonly addressPolicy: AddressPolicy;
  readonly redis?: RedisOption;
  readonly limits: ResolvedLimits | false;
  readonly redisPrefix: string;
  readonly redisTimeoutMs: number;
  readonly sessionLifetimeMs: number;
  readonly sessionIndex: 'database' | 'redis';
  readonly hooks: Readonly<VerigateHooks>;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly retentionMs: number;
  readonly audit: ResolvedAudit;
  readonly worker: Readonly<{
    autoStart: boolean;
    pollIntervalMs: number;
    maxAttempts: number;
    retryBaseMs: number;
    batchSize: number;
    sendTimeoutMs: number;
    leaseMs: number;
    listen: boolean;
  }>;
  /** Event sinks; absent when no events are published. */
  readonly events?: ResolvedEvents;
  readonly inboundEvents?: ResolvedInboundEvents;
  readonly bounces: ResolvedBounces;
}
