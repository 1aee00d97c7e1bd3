import type { RequestHandler, Router } from 'express';
import type { VerigateOptions } from '../src/config/options.ts';
import type { ResolvedConfig } from '../src/config/resolved-config.ts';
import { resolveOptions } from '../src/config/resolve-options.ts';
import { deriveKeys } from '../src/crypto/keys.ts';
import { createPurgeJob } from '../src/maintenance/purge-job.ts';
import type { PurgeResult } from '../src/maintenance/purge.ts';
import { createMailTransport } from '../src/outbox/mail-transport.ts';
import { createOutboxWorker } from '../src/outbox/outbox-worker.ts';
import type { VerigateUser } from '../src/ports/user.ts';
import type { ConfirmResult, IssueResult } from '../src/verification/results.ts';
import { createVerificationService } from '../src/verification/verification-service.ts';
import { createEmailRenderer } from './email-renderer.ts';
import { createRequireVerified } from './require-verified.ts';
import { createResponder } from './respond.ts';
import { createRouter } from './router.ts';
import { createViewRenderer } from './view-renderer.ts';

export interface EmailVerification {
  /** Mount where `baseUrl` points, e.g. `app.use('/verify', vg.router)`, after session and Passport. */
  readonly router: Router;
  /** Middleware for routes that need a verified address. */
  readonly requireVerified: RequestHandler;
  /** Queues a verification email for a user (e.g. right after sign-up). Never waits on SMTP. */
  sendVerification(user: VerigateUser): Promise<IssueResult>;
  /** Whether this user's current address is verified. */
  isVerified(user: VerigateUser): Promise<boolean>;
  /** Consumes a token outside HTTP (e.g. from a custom route). */
  confirm(token: string): Promise<ConfirmResult>;
  /** Sends every message that is due now; for tests and graceful shutdown. Resolves to the number sent. */
  drain(): Promise<number>;
  /**
   * Deletes tokens expired and emails sent or dead longer than `retention` ago. The in-process
   * worker does this hourly; call it from a scheduler when `worker.autoStart` is false.
   */
  purge(): Promise<PurgeResult>;
  /** Stops the outbox worker and closes the mail transport verigate created. Idempotent. */
  close(): Promise<void>;
  /** The validated, frozen configuration (holds no secret). */
  readonly config: ResolvedConfig;
}

/**
 * The one entry point. Validates `options` once (throwing `VerigateConfigError` with a code and a
 * hint), then wires core services to Express. Instances share nothing: two may live in one process.
 */
export function emailVerification(options: VerigateOptions): EmailVerification {
  const { config, secret } = resolveOptions(options);
  const keys = deriveKeys(secret);
  const views = createViewRenderer({ hostDirs: config.views, layout: config.layout, cache: config.environment === 'production' });
  const mail = createMailTransport(config.mail.transport, config.worker.sendTimeoutMs);
  const purgeJob = createPurgeJob({ em: config.em, clock: config.clock, logger: config.logger, retentionMs: config.retentionMs });
  const worker = createOutboxWorker({
    em: config.em, sealKey: keys.outboxSeal, transport: mail.transport, from: config.mail.from,
    clock: config.clock, logger: config.logger, settings: config.worker, onPoll: purgeJob.runIfDue,
  });
  const verification = createVerificationService({ config, keys, renderer: createEmailRenderer(views), onQueued: () => worker.kick() });
  const respond = createResponder(config, views);
  const router = createRouter({ config, verification, respond });
  const requireVerified = createRequireVerified({ config, verification, respond });
  if (config.worker.autoStart) worker.start();

  let closing: Promise<void> | undefined;
  return Object.freeze({
    router,
    requireVerified,
    config,
    sendVerification: (user: VerigateUser) => verification.issue(user),
    isVerified: (user: VerigateUser) => verification.isVerified(user.id, user.email),
    confirm: (token: string) => verification.confirm(token),
    drain: () => worker.drain(),
    purge: () => purgeJob.run(),
    close: () => (closing ??= worker.close().then(() => mail.close())),
  });
}
