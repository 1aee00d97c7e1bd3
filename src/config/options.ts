import type { SqlEntityManager } from '@mikro-orm/sql';
import type { Clock } from '../ports/clock.ts';
import type { Logger } from '../ports/logger.ts';
import type { MailTransport } from '../ports/mail.ts';
import type { VerigateUser } from '../ports/user.ts';

export type Environment = 'production' | 'development' | 'test';

/** Side effects a host may attach. Hooks run after the transaction commits; a throwing hook is logged, not fatal. */
export interface VerigateHooks {
  /** A verification email was queued for `user`. */
  onVerificationSent?: (user: VerigateUser) => void | Promise<void>;
  /** `userId` proved ownership of `email` (canonical form), e.g. to set the host's own `emailVerified` column. */
  onVerified?: (event: { userId: string; email: string }) => void | Promise<void>;
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
  /** Messages claimed per round. Default `10`. */
  batchSize?: number;
  /** Longest a single send may take before it counts as failed. Default `'15s'`. */
  sendTimeout?: number | string;
  /** How long a claimed message stays hidden from other workers; a crashed worker's claim expires after it. Default `'2m'`. */
  lease?: number | string;
}

/** Options of `emailVerification(options)`. Unknown keys are rejected at start-up. */
export interface VerigateOptions {
  /**
   * Public URL at which the host mounts the router, e.g. `'https://app.example.com/verify'`.
   * Links in emails are built from it alone, never from request headers. Must be https outside
   * development and test. Required.
   */
  baseUrl: string;
  /** At least 32 characters of random secret material; keys for token hashing and outbox encryption are derived from it. Required. */
  secret: string;
  /** The host's MikroORM EntityManager (PostgreSQL or PGlite driver) with `verigateEntities` registered. Required. */
  em: SqlEntityManager;
  /** Mail sender and transport. Required. */
  mail: MailOptions;
  /** How long a verification link stays valid: milliseconds or `'24h'`, `'30m'`. Default `'24h'`. */
  tokenTtl?: number | string;
  /** Default from `NODE_ENV`: `'development'` and `'test'` map to themselves, anything else is `'production'`. */
  environment?: Environment;
  /** Name shown in pages and emails. Default: the host name of `baseUrl`. */
  appName?: string;
  /** Host view folders, searched before verigate's own `views/`, so a host can override any single page. Default `[]`. */
  views?: string | string[];
  /** Layout view wrapping every page (receives `body` and `title`), or `false` for none. Default `'layout'`. */
  layout?: string | false;
  /** Where anonymous page requests to gated routes are sent (with `returnTo`). Default `'/login'`. */
  loginPath?: string;
  /** Where "Continue" leads after verifying, unless a safe `returnTo` was kept. Default `'/'`. */
  afterVerifyPath?: string;
  /** Reads the signed-in user from a request. Default: `req.user.id` and `req.user.email` (Passport). */
  getUser?: (req: any) => VerigateUser | null | undefined;
  /** Side effects after verigate's own work commits. Default: none. */
  hooks?: VerigateHooks;
  /** Where verigate reports problems (never with a token or a link). Default: warnings and errors on stderr. */
  logger?: Logger;
  /** Time source, for tests. Default: the system clock. */
  clock?: Clock;
  /** The outbox worker. Default: started in-process, with the defaults listed on `WorkerOptions`. */
  worker?: WorkerOptions;
  /**
   * How long expired tokens and sent or dead emails are kept before the purge job (run by the
   * worker about once an hour) deletes them. Default `'7d'`.
   */
  retention?: number | string;
}
