import type { DbAccess } from '../db/db-access.ts';
import { withDeadline } from '../db/sql-context.ts';
import { isInfrastructureError } from '../http/infrastructure-error.ts';
import { throttledWarn } from '../limits/throttled-log.ts';
import { describeError } from '../logging/redact.ts';
import type { Logger } from '../ports/logger.ts';
import type { VerigateUser } from '../ports/user.ts';
import type { IssueResult } from '../verification/results.ts';
import type { IssueOptions } from '../verification/verification-service.ts';
import type { ResolvedInboundEvents } from './event-options.ts';
import { parseInboundEvent } from './inbound-event.ts';
import { recordInboundEvent } from './inbound-store.ts';
import type { BlockingRedis } from './blocking-redis.ts';

export interface InboundConsumerDeps {
  settings: ResolvedInboundEvents;
  /** A connection of its own: XREADGROUP BLOCK holds it. */
  redis: BlockingRedis;
  /** Bound on every command but the blocking read. */
  redisTimeoutMs: number;
  db: DbAccess;
  /** The core's normal issue path (address policy, limits, one statement), joined to the dedupe record's transaction. */
  issue(user: VerigateUser, options: IssueOptions): Promise<IssueResult>;
  /** Wakes the outbox worker once a verification committed. */
  onQueued?: () => void;
  logger: Logger;
}

export interface InboundConsumer {
  /** Starts the read loop (idempotent). */
  start(): void;
  /** Stops reading, lets the entry in progress finish (committed and acknowledged), closes the connection. Idempotent. */
  close(): Promise<void>;
}

type Entry = [id: string, fields: string[] | null];

/** One stream's entries from an XREADGROUP reply: RESP2 `[[stream, entries]]`, RESP3's map as `[stream, entries]` or an object. */
function entriesOf(reply: unknown): Entry[] {
  if (reply === null || typeof reply !== 'object') return [];
  if (!Array.isArray(reply)) return (Object.values(reply)[0] as Entry[] | undefined) ?? [];
  const pair = typeof reply[0] === 'string' ? reply : reply[0];
  return ((pair as unknown[] | undefined)?.[1] as Entry[] | undefined) ?? [];
}
const MAX_BACKOFF_MS = 5_000;
const CLAIM_PAGES = 10;

/**
 * Reads `user.registered` events from a consumer group and sends each user a verification, at
 * least once and idempotently: an entry is acknowledged only after the dedupe record and the token
 * with its mail (and events) commit in one transaction, so a redelivery (to this consumer or,
 * after `claimAfter`, to another that XAUTOCLAIMs it from a dead one) finds the record and sends
 * nothing. Malformed entries and bugs are acknowledged and logged rather than retried forever;
 * only an outage (database or Redis) leaves an entry pending for a later retry.
 */
export function createInboundConsumer(deps: InboundConsumerDeps): InboundConsumer {
  const { settings, redis, logger } = deps;
  const { stream, group, consumer } = settings;
  const warn = throttledWarn(logger);
  const command = (...args: (string | number)[]) => withDeadline(redis.call(...args), deps.redisTimeoutMs, 'Redis');
  let running: Promise<void> | undefined;
  let closing: Promise<void> | undefined;
  let closed = false;
  // True while waiting for Redis (connecting, or blocked in XREADGROUP): holding no work, safe to cut.
  let idle = false;
  let groupReady = false;
  // Entries delivered to this consumer name before (a restart, a failed round) are read again first.
  let ownPending = true;
  let nextClaimAt = 0;
  let sleeping: { timer: NodeJS.Timeout; wake: () => void } | undefined;

  async function ensureGroup(): Promise<void> {
    try {
      await command('XGROUP', 'CREATE', stream, group, '$', 'MKSTREAM');
    } catch (error) {
      if (!/BUSYGROUP/.test((error as Error).message)) throw error;
    }
    groupReady = true;
  }

  const ack = (entryId: string) => command('XACK', stream, group, entryId);

  async function handle([entryId, fields]: Entry): Promise<void> {
    const event = parseInboundEvent(fields);
    if (event.kind === 'other') return void (await ack(entryId));
    if (event.kind === 'malformed') {
      logger.warn('inbound event malformed; acknowledged and skipped', { stream, entryId, problem: event.problem });
      return void (await ack(entryId));
    }
    let result: IssueResult | 'DUPLICATE';
    try {
      result = await deps.db.transaction(async (tx) => (await recordInboundEvent(tx, stream, event.id))
        ? deps.issue(event.user, { within: tx })
        : 'DUPLICATE');
    } catch (error) {
      // Pending until the outage passes; then this consumer (or another, after claimAfter) retries it.
      if (isInfrastructureError(error)) throw error;
      logger.error('inbound event failed; acknowledged and skipped', { stream, entryId, eventId: event.id, error: describeError(error) });
      return void (await ack(entryId));
    }
    const status = result === 'DUPLICATE' ? result : result.status;
    const meta = { stream, entryId, eventId: event.id, status };
    if (status === 'SENT') deps.onQueued?.();
    // A redelivery or an address verified meanwhile is normal; a refusal is the producer's to look at.
    else if (status === 'DUPLICATE' || status === 'ALREADY_VERIFIED') logger.info('inbound event sent no verification', meta);
    else logger.warn('inbound event sent no verification', meta);
    await ack(entryId);
  }

  /** Takes over entries idle longer than `claimAfter` (their consumer died or is stuck), this consumer's own included. */
  async function claimStale(): Promise<void> {
    let cursor = '0-0';
    for (let page = 0; page < CLAIM_PAGES && !closed; page++) {
      const [next, entries] = await command('XAUTOCLAIM', stream, group, consumer, settings.claimAfterMs, cursor, 'COUNT', settings.batchSize) as [string, (Entry | null)[]];
      for (const entry of entries) if (entry && !closed) await handle(entry);
      cursor = next;
      if (cursor === '0-0') break;
    }
  }

  async function readEntries(): Promise<Entry[]> {
    const args: (string | number)[] = ['XREADGROUP', 'GROUP', group, consumer, 'COUNT', settings.batchSize];
    if (ownPending) return entriesOf(await command(...args, 'STREAMS', stream, '0'));
    return entriesOf(await whileIdle(() => redis.call(...args, 'BLOCK', settings.blockMs, 'STREAMS', stream, '>')));
  }

  async function whileIdle<T>(wait: () => Promise<T>): Promise<T> {
    idle = true;
    try {
      return await wait();
    } finally {
      idle = false;
    }
  }

  async function round(): Promise<void> {
    await whileIdle(() => redis.ready(settings.blockMs));
    if (closed) return;
    if (!groupReady) await ensureGroup();
    if (Date.now() >= nextClaimAt) {
      await claimStale();
      nextClaimAt = Date.now() + Math.max(100, settings.claimAfterMs / 2);
    }
    if (closed) return;
    const entries = await readEntries();
    if (ownPending && entries.length === 0) ownPending = false;
    for (const entry of entries) {
      if (closed) return;
      // A trimmed entry still pending comes back without fields: nothing to act on.
      if (entry[1] === null) await ack(entry[0]);
      else await handle(entry);
    }
  }

  function pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => { clearTimeout(timer); sleeping = undefined; resolve(); };
      const timer = setTimeout(wake, ms);
      sleeping = { timer, wake };
    });
  }

  async function loop(): Promise<void> {
    let failures = 0;
    while (!closed) {
      try {
        await round();
        failures = 0;
      } catch (error) {
        if (closed) break;
        if (/NOGROUP/.test((error as Error)?.message ?? '')) groupReady = false;
        ownPending = true;
        failures++;
        warn('inbound events: round failed; retrying', { stream, error: describeError(error) });
        await pause(Math.min(MAX_BACKOFF_MS, 100 * 2 ** failures) * (0.8 + 0.4 * Math.random()));
      }
    }
  }

  return {
    start() {
      if (!running && !closed) running = loop();
    },
    close: () => (closing ??= (async () => {
      closed = true;
      sleeping?.wake();
      // A blocking read holds no work: cut it instead of waiting out the block. Entries the server
      // handed over just then stay pending for this consumer, claimed by another after claimAfter.
      if (idle) redis.abort();
      await running;
      await redis.close();
    })()),
  };
}
