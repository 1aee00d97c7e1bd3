import type { SqlEntityManager } from '@mikro-orm/sql';
import type { Clock } from '../ports/clock.ts';
import type { Logger } from '../ports/logger.ts';
import type { MailTransport } from '../ports/mail.ts';
import type { VerigateUser } from '../ports/user.ts';
import type { Environment, VerigateHooks } from './options.ts';

/** Options after validation and defaults: frozen, and free of the secret so it may be inspected safely. */
export interface ResolvedConfig {
  /** `baseUrl` without a trailing slash. */
  readonly baseUrl: string;
  /** Path part of `baseUrl` without a trailing slash (`'/verify'`): the prefix of every browser-facing router URL. */
  readonly basePath: string;
  readonly environment: Environment;
  readonly em: SqlEntityManager;
  readonly mail: Readonly<{ from: string; transport: MailTransport | string }>;
  readonly tokenTtlMs: number;
  readonly appName: string;
  readonly views: readonly string[];
  readonly layout: string | false;
  readonly loginPath: string;
  readonly afterVerifyPath: string;
  /** The host's `getUser`, normalised: always `{ id: string, email: string }` or null. */
  readonly getUser: (req: any) => VerigateUser | null;
  readonly hooks: Readonly<VerigateHooks>;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly retentionMs: number;
  readonly worker: Readonly<{
    autoStart: boolean;
    pollIntervalMs: number;
    maxAttempts: number;
    retryBaseMs: number;
    batchSize: number;
    sendTimeoutMs: number;
    leaseMs: number;
  }>;
}
