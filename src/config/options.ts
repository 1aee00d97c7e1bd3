import type { MikroOrmEntityManager } from '../db/mikro-orm.ts';
import type { Clock } from '../ports/clock.ts';
import type { Logger } from '../ports/logger.ts';
import type { MailTransport } from '../ports/mail.ts';
import type { DatabaseSettings } from '../storage/database-settings.ts';
import type { UserStore } from '../users/user-store.ts';
import type { UserId } from '../users/user-id.ts';
import type { AddressOptions } from '../email/address-options.ts';
import type { LimitOptions } from '../limits/limit-options.ts';
import type { RedisHashCommands } from '../sessions/session-index.ts';
import type { AuditOptions } from '../audit/audit-options.ts';
import type { EventOptions, InboundEventOptions } from '../events/event-options.ts';
import type { BounceOptions } from '../bounces/bounce-options.ts';

/** An ioredis `Redis` or `Cluster` (verigate calls plain commands on it and never closes it). */
export type RedisClientLike = RedisHashCommands & { status?: string };

/** A cluster node: `'redis://host:port'` or `{ host, port }`. */
export type RedisNode = string | { host: string; port: number };

/** Where Redis is: a client of yours, a URL, a list of cluster node URLs or `{ cluster: nodes }`. */
export type RedisOption = RedisClientLike | string | readonly RedisNode[] | { cluster: readonly RedisNode[] };

export type Environment = 'production' | 'development' | 'test';

/** Side effects a host may attach. Hooks run after the transaction commits; a throwing hook is logged, not fatal. */
export interface VerigateHooks {
  /** A verification email was queued. `id` is the user id as the host gave it. */
  onVerificationSent?: (user: { id: UserId; email: string }) => void | Promise<void>;
  /** `userId` proved ownership of `email` (canonical form), e.g. to set the host's own `emailVerified` column. */
  onVerified?: (event: { userId: UserId; email: string }) => void | Promise<void>;
  /** A pending address was confirmed and applied (`previousEmail` is null when the account had none). */
  onEmailChanged?: (event: { userId: UserId; previousEmail: string | null; email: string }) => void | Promise<void>;
  /** The owner of the previous address used the undo link: `email` is back in force, `revertedEmail` is gone. */
  onEmailChangeReverted?: (event: { userId: UserId; email: string; revertedEmail: string }) => void | Promise<void>;
  /** An email was parked as dead after its last attempt (or a permanent refusal); `recipient` is masked, `error` scrubbed. */
  onEmailDead?: (event: { outboxId: string; kind: string; recipient: string; attempts: number; error: string }) => void | Promise<void>;
  /**
   * A bounce or complaint left `email` (canonical) suppressed, and withdrew its verification from
   * `userIds` (stored forms), e.g. to clear your own `emailVerified` column set in `onVerified`.
   */
  onAddressSuppressed?: (event: { email: string; kind: 'hard' | 'soft' | 'complaint'; userIds: string[] }) => void | Promise<void>;
}

export interface MailOptions {
  /** Sender address, e.g. `'Acme <no-reply@acme.test>'`. Required. */
  from: string;
  /**
   * A nodemailer transporter (or anything with `sendMail`), or an SMTP URL such as
   * `smtp://user:pass@smtp.example.com:587`. Required.
   */
  transport: MailTransport | string;
}

export interface WorkerOptions {
  /** Start the in-process outbox worker with the plugin. Default `true`; set `false` to run workers elsewhere. */
  autoStart?: boolean;
  /** How often the worker looks for due messages. Default `'2s'`. */
  pollInterval?: number | string;
  /** Delivery attempts before a message is parked as `dead`. Default `8`. */
  maxAttempts?: number;
  /** First retry delay; doubles each attempt (with jitter), capped at one hour. Default `'30s'`. */
  retryBase?: number | string;
  /** Messages claimed and sent concurrently per round. Default `10`. */
  batchSize?: number;
  /** Longest a single send may take before it counts as failed. Default `'15s'`. */
  sendTimeout?: number | string;
  /** How long a claimed message stays hidden from other workers; a crashed worker's claim expires after it. Default `'2m'`. */
  lease?: number | string;
  /**
   * Wake up as soon as any instance queues an email (PostgreSQL LISTEN/NOTIFY), holding one
   * connection of the pool for it. Polling stays as the fallback. Default `true`.
   */
  listen?: boolean;
}

/** Options of verigate's framework-free core. The Express adapter adds its web options to these. */
export interface CoreOptions {
  /**
   * Public URL at which the host mounts the router, e.g. `'https://app.example.com/verify'`.
   * Links in emails are built from it alone, never from request headers. Must be https outside
   * development and test. Required.
   */
  baseUrl: string;
  /** At least 32 characters of random secret material; keys for token hashing and outbox encryption are derived from it. Required. */
  secret: string;
  /**
   * The host's MikroORM SQL EntityManager (PostgreSQL or PGlite driver). Give either this or
   * `database`. verigate runs its own SQL through it; its entities need not be registered.
   */
  em?: MikroOrmEntityManager;
  /**
   * For hosts without MikroORM: a PostgreSQL URL or connection settings. verigate opens its own
   * pool (with timeouts) and applies its migrations at start. Give either this or `em`.
   */
  database?: string | DatabaseSettings;
  /** Apply verigate's migrations at start (advisory-locked, idempotent). Default `true`; set `false` if you run `verigate-migrate --sql` with your own tool. */
  migrate?: boolean;
  /** Longest verigate waits for the database in one operation before answering 503. Default `'1500ms'`. */
  databaseTimeout?: number | string;
  /** Mail sender and transport. Required. */
  mail: MailOptions;
  /** How long a verification link stays valid: milliseconds or `'24h'`, `'30m'`. Default `'24h'`. */
  tokenTtl?: number | string;
  /** How long the undo link sent to the previous address after a change stays valid. Default `'7d'`. */
  undoTtl?: number | string;
  /** Default from `NODE_ENV`: `'development'` and `'test'` map to themselves, anything else is `'production'`. */
  environment?: Environment;
  /** Name shown in pages and emails. Default: the host name of `baseUrl`. */
  appName?: string;
  /**
   * Which addresses may be used (at sign-up verification, add-email and change): disposable
   * domains refused by default, host allow/deny lists, an optional DNS check, and the case rule of
   * the uniqueness key. Default: `{ disposable: true }`.
   */
  addresses?: AddressOptions;
  /** The host's user table, for adding or changing an address and re-authentication. Default: none (those pages answer 404). */
  users?: UserStore;
  /**
   * Redis for the rate limits and the per-user session index: your ioredis client or Cluster (e.g.
   * the one behind your connect-redis sessions; verigate never closes it), a `redis://` URL, a list
   * of cluster node URLs, or `{ cluster: [...] }` (verigate then creates a fail-fast client, and
   * needs the `ioredis` package). Default: none (limits in memory, this process only; the session
   * index in verigate's tables).
   */
  redis?: RedisOption;
  /**
   * Rate limits on every path that sends mail or checks a secret, per user, per recipient address
   * and per client IP; see the README for the rules and their defaults (3 sends per user per hour
   * and 10 per day, …). `false` turns them off (tests only). Default: the documented limits.
   */
  limits?: LimitOptions | false;
  /** Longest one Redis command may take before the request gets a 503 (fail closed). Default `'1s'`. */
  redisTimeout?: number | string;
  /** Prefix of every key verigate writes to Redis. Default `'verigate:'`. */
  redisPrefix?: string;
  /**
   * Where the per-user session index lives (which session ids to end when an address is proven or
   * changed). `'database'`: verigate's table; a confirmation then finds and forgets the sessions to
   * end in the same statement that consumes the link (one round trip). `'redis'`: one hash per user
   * in the `redis` option's Redis (needs `redis`); nothing written to PostgreSQL when a session is
   * first seen, one more round trip per confirmation. Default `'database'`.
   */
  sessionIndex?: 'database' | 'redis';
  /** How long your sessions can live (express-session's cookie maxAge); the session index forgets older ones. Default `'30d'`. */
  sessionLifetime?: number | string;
  /** Side effects after verigate's own work commits. Default: none. */
  hooks?: VerigateHooks;
  /** Where verigate reports problems (never with a token or a link). Default: warnings and errors on stderr. */
  logger?: Logger;
  /** Time source for in-process scheduling (the purge job), for tests. Token expiry uses the database's clock. Default: the system clock. */
  clock?: Clock;
  /** The outbox worker. Default: started in-process, with the defaults listed on `WorkerOptions`. */
  worker?: WorkerOptions;
  /**
   * How long expired tokens and sent or dead emails are kept before the purge job (run by the
   * worker about once an hour) deletes them. Default `'7d'`.
   */
  retention?: number | string;
  /**
   * The audit trail: every send, confirmation, failure, 429, change, undo and service API call
   * goes to `logger.info` as one object with a stable `event` field (always); with
   * `{ table: true }` also to the `verigate_audit` table, kept `retention` long (`'90d'`) and
   * read with `vg.auditLog(userId)`. Default `{ table: false, retention: '90d' }`.
   */
  audit?: AuditOptions;
  /**
   * Tell other services about verification and address changes (`email.verified`, …) through a
   * Redis Stream and/or a signed webhook, delivered at least once by the outbox worker. Default: off.
   */
  events?: EventOptions;
  /** Read `user.registered` events from a Redis Stream and send each new user a verification. Default: off. */
  inboundEvents?: InboundEventOptions;
  /**
   * Deliverability feedback (`reportBounce`): how many soft bounces within how long suppress an
   * address, and VERP envelope senders. Default `{ softThreshold: 3, softWindow: '7d' }`, VERP off.
   */
  bounces?: BounceOptions;
}
