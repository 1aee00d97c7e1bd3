import type { SqlEntityManager } from '@mikro-orm/sql';
import { open } from '../crypto/seal.ts';
import type { Clock } from '../ports/clock.ts';
import type { Logger } from '../ports/logger.ts';
import type { MailTransport, RenderedEmail } from '../ports/mail.ts';
import { retryDelayMs } from './backoff.ts';
import { describeError } from '../logging/redact.ts';

export interface OutboxWorkerDeps {
  em: SqlEntityManager;
  sealKey: Buffer;
  transport: MailTransport;
  from: string;
  clock: Clock;
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
}

export interface OutboxWorker {
  /** Polls for due messages until `close()`. */
  start(): void;
  /** Asks for a round soon (after a message is queued) instead of waiting for the next poll. */
  kick(): void;
  /** Sends everything due now, including retries whose time has come; resolves to the number sent. */
  drain(): Promise<number>;
  /** Stops polling and waits for the round in progress; later `drain()` calls send nothing. */
  close(): Promise<void>;
}

interface ClaimedRow {
  id: string;
  recipient: string;
  payload: string | null;
  attempts: number;
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
  const { em, clock, logger, settings } = deps;
  let timer: NodeJS.Timeout | undefined;
  let started = false;
  let closed = false;
  let round: Promise<number> | null = null;
  let rerun = false;

  async function claim(): Promise<ClaimedRow[]> {
    const now = clock.now();
    return em.fork().execute<ClaimedRow[]>(
      `update verigate_outbox set attempts = attempts + 1, next_attempt_at = ?, updated_at = ?
       where id in (select id from verigate_outbox where status = 'pending' and next_attempt_at <= ?
                    order by next_attempt_at limit ? for update skip locked)
       returning id, recipient, payload, attempts`,
      [new Date(now.getTime() + settings.leaseMs), now, now, settings.batchSize],
    );
  }

  async function markSent(row: ClaimedRow): Promise<void> {
    const now = clock.now();
    await em.fork().execute(
      `update verigate_outbox set status = 'sent', payload = null, sent_at = ?, updated_at = ?, last_error = null where id = ?`,
      [now, now, row.id]);
  }

  async function markFailed(row: ClaimedRow, error: unknown): Promise<void> {
    const dead = row.attempts >= settings.maxAttempts || isPermanent(error);
    const now = clock.now();
    const reason = describeError(error);
    // A dead message's link is useless by the time anyone looks; the user can ask for a new one.
    await em.fork().execute(
      `update verigate_outbox set status = ?, next_attempt_at = ?, last_error = ?, updated_at = ?,
         payload = case when ? then null else payload end where id = ?`,
      [dead ? 'dead' : 'pending', new Date(now.getTime() + retryDelayMs(row.attempts, settings.retryBaseMs)), reason, now, dead, row.id]);
    logger.warn(dead ? 'email parked as dead' : 'email delivery failed; will retry', { outboxId: row.id, attempt: row.attempts, error: reason });
  }

  /** Sending and recording are separate: a failed bookkeeping write must not count as a failed send. */
  async function deliver(row: ClaimedRow): Promise<boolean> {
    try {
      if (!row.payload) throw new Error('payload missing');
      const message = open<RenderedEmail>(deps.sealKey, row.payload);
      await withTimeout(deps.transport.sendMail({ from: deps.from, to: row.recipient, ...message }), settings.sendTimeoutMs);
    } catch (error) {
      await markFailed(row, error);
      return false;
    }
    // If this write fails the lease expires and the message is sent again: a duplicate, never a loss.
    await markSent(row);
    return true;
  }

  async function runRound(): Promise<number> {
    let sent = 0;
    while (!closed) {
      const rows = await claim();
      if (rows.length === 0) break;
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
