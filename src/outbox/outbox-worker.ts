import type { DbAccess } from '../db/db-access.ts';
import type { Logger } from '../ports/logger.ts';
import type { MailTransport, RenderedEmail } from '../ports/mail.ts';
import { retryDelayMs } from './backoff.ts';
import { describeError } from '../logging/redact.ts';
import { claimDue, markFailed, markSent, type ClaimedMail } from './outbox-store.ts';
import { maskEmail } from '../logging/mask-email.ts';
import { open, seal } from '../crypto/seal.ts';
import { canonicalEmail } from '../email/email-address.ts';
import { skipSuppressed } from '../bounces/outbox-suppression.ts';

export interface OutboxWorkerDeps {
  /** Where the outbox lives (each statement bounded by the database timeout). */
  db: DbAccess;
  sealKey: Buffer;
  transport: MailTransport;
  from: string;
  logger: Logger;
  settings: {
    pollIntervalMs: number;
    maxAttempts: number;
    retryBaseMs: number;
    batchSize: number;
    sendTimeoutMs: number;
    leaseMs: number;
  };
  /** Extra work for each poll, e.g. the purge job; its failures are logged, never fatal. */
  onPoll?: () => Promise<void>;
  /** Called once a mail is parked as dead (after the bookkeeping write). */
  onDead?: (event: { outboxId: string; kind: string; recipient: string; attempts: number; error: string }) => Promise<void>;
  /** Delivers event rows of its channels (sinks); they share the mail's claim, lease, backoff and dead-lettering. */
  events?: OutboxEventChannels;
  /** VERP: the envelope sender of a mail, from its outbox id (`bounces+<id>@example.com`). Default: `from`'s address. */
  envelopeFrom?: (outboxId: string) => string;
}

/** Whatever delivers outbox rows that are not mail (verigate's event sinks). */
export interface OutboxEventChannels {
  readonly channels: readonly string[];
  /** Publishes one claimed row; rejects on failure (the row is then retried or parked as dead). Bounded by its own timeout. */
  publish(row: ClaimedMail): Promise<void>;
}

export interface OutboxWorker {
  /** Polls for due messages until `close()`. */
  start(): void;
  /** Asks for a round soon (after a message is queued) instead of waiting for the next poll. */
  kick(): void;
  /** Sends everything due now, including retries whose time has come; resolves to the number delivered (mails and events). */
  drain(): Promise<number>;
  /** Stops polling and waits for the round in progress; later `drain()` calls send nothing. */
  close(): Promise<void>;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(`send timed out after ${ms} ms`), { code: 'ETIMEDOUT' })), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A 5xx SMTP reply (bad recipient, policy refusal) will not change on retry. */
function isPermanent(error: unknown): boolean {
  const code = (error as { responseCode?: unknown })?.responseCode;
  return typeof code === 'number' && code >= 500 && code < 600;
}

/**
 * Delivers the outbox. Claiming pushes `next_attempt_at` forward by a lease inside one short
 * statement (`FOR UPDATE SKIP LOCKED`), so many workers share the table, no transaction is held
 * open during SMTP, and a crashed worker's messages come due again: at-least-once, never lost.
 */
export function createOutboxWorker(deps: OutboxWorkerDeps): OutboxWorker {
  const { logger, settings } = deps;
  const { db } = deps;
  // The row id in the Message-ID makes a duplicate (a resend after a crash between SMTP and bookkeeping) recognisable.
  const messageDomain = /@([^>\s]+)>?\s*$/.exec(deps.from)?.[1] ?? 'verigate.invalid';
  const channels = ['mail', ...(deps.events?.channels ?? [])];
  let timer: NodeJS.Timeout | undefined;
  let started = false;
  let closed = false;
  let round: Promise<number> | null = null;
  let rerun = false;

  // A finished mail keeps its address sealed, so a bounce reported later by Message-ID or outbox id can name it.
  const sealedRecipient = (row: ClaimedMail) => (row.channel === 'mail' ? seal(deps.sealKey, canonicalEmail(row.recipient)) : null);

  async function fail(row: ClaimedMail, error: unknown): Promise<void> {
    const dead = row.attempts >= settings.maxAttempts || isPermanent(error);
    const reason = describeError(error);
    await db.run((ctx) => markFailed(ctx, row.id, { dead, retryMs: retryDelayMs(row.attempts, settings.retryBaseMs), reason, recipient: row.recipient,
      recipientSealed: dead ? sealedRecipient(row) : null }));
    if (row.channel !== 'mail') {
      const meta = { outboxId: row.id, type: row.kind, sink: row.channel, attempt: row.attempts, error: reason };
      return void (dead ? logger.error('event parked as dead', meta) : logger.warn('event delivery failed; will retry', meta));
    }
    if (!dead) return void logger.warn('email delivery failed; will retry', { outboxId: row.id, attempt: row.attempts, error: reason });
    // Someone did not get their link: an operator should hear of it, not only find it in the table.
    logger.error('email parked as dead', { outboxId: row.id, kind: row.kind, attempts: row.attempts, error: reason });
    await deps.onDead?.({ outboxId: row.id, kind: row.kind, recipient: maskEmail(row.recipient), attempts: row.attempts, error: reason });
  }

  function send(row: ClaimedMail): Promise<unknown> {
    if (row.channel !== 'mail') return deps.events!.publish(row);
    if (!row.payload) throw new Error('payload missing');
    const { locale, ...message } = open<RenderedEmail>(deps.sealKey, row.payload);
    const messageId = `<${row.id}@${messageDomain}>`;
    const headers = locale ? { headers: { 'Content-Language': locale } } : {};
    const envelope = deps.envelopeFrom ? { envelope: { from: deps.envelopeFrom(row.id), to: row.recipient } } : {};
    return deps.transport.sendMail({ from: deps.from, to: row.recipient, messageId, ...message, ...headers, ...envelope });
  }

  /** Sending and recording are separate: a failed bookkeeping write must not count as a failed send. */
  async function deliver(row: ClaimedMail): Promise<boolean> {
    try {
      await withTimeout(Promise.resolve().then(() => send(row)), settings.sendTimeoutMs);
    } catch (error) {
      await fail(row, error);
      return false;
    }
    // If this write fails the lease expires and the message is sent again: a duplicate, never a loss.
    await db.run((ctx) => markSent(ctx, row.id, row.recipient, sealedRecipient(row)));
    return true;
  }

  async function runRound(): Promise<number> {
    let sent = 0;
    while (!closed) {
      const claimed = await db.run((ctx) => claimDue(ctx, settings.batchSize, settings.leaseMs, channels));
      if (claimed.length === 0) break;
      const rows = await skipSuppressed(db, claimed, logger);
      const results = await Promise.allSettled(rows.map(deliver));
      sent += results.filter((r) => r.status === 'fulfilled' && r.value).length;
      const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failure) throw failure.reason;
    }
    return sent;
  }

  /** One round at a time per worker; a caller arriving mid-round waits for it, then runs its own. */
  async function exclusiveRound(): Promise<number> {
    while (round) await round.catch(() => 0);
    if (closed) return 0;
    round = runRound().finally(() => { round = null; });
    return round;
  }

  async function poll(): Promise<void> {
    do {
      rerun = false;
      await exclusiveRound();
    } while (rerun && !closed);
    await deps.onPoll?.();
  }

  function schedule(delayMs: number): void {
    if (!started || closed) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      poll()
        .catch((error) => logger.warn('outbox round failed; will retry', { error: describeError(error) }))
        .finally(() => schedule(settings.pollIntervalMs));
    }, delayMs);
    timer.unref();
  }

  return {
    start() {
      if (started || closed) return;
      started = true;
      schedule(0);
    },
    kick() {
      // Coalesce: many sign-ups during a slow send cause one extra round, not one each.
      if (round) rerun = true;
      else schedule(0);
    },
    drain: exclusiveRound,
    async close() {
      closed = true;
      clearTimeout(timer);
      while (round) await round.catch(() => 0);
    },
  };
}
