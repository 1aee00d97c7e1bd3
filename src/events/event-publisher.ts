import { withDeadline } from '../db/sql-context.ts';
import type { ClaimedMail } from '../outbox/outbox-store.ts';
import type { OutboxEventChannels } from '../outbox/outbox-worker.ts';
import type { ResolvedEvents } from './event-options.ts';
import type { VerigateEvent } from './event-types.ts';
import { SIGNATURE_HEADER } from './webhook-signature.ts';

/** The one Redis command the stream sink needs, on an ioredis `Redis` or `Cluster`. */
export interface StreamWriter {
  xadd(key: string, ...args: (string | number)[]): Promise<unknown>;
}

/** A refused delivery, with a status for the outbox's error column (no URL, no body). */
class DeliveryError extends Error {
  readonly code?: string;

  constructor(message: string, code?: string) {
    super(message);
    this.name = 'DeliveryError';
    this.code = code;
  }
}

/**
 * XADD with approximate trimming (`MAXLEN ~`: Redis trims whole macro nodes, which is much cheaper
 * than an exact cap). Fields: `id`, `type`, `version` for routing without parsing, `payload` for
 * the whole event. A redelivery adds a second entry with the same `id`: consumers dedupe on it.
 */
async function publishToStream(redis: StreamWriter, settings: NonNullable<ResolvedEvents['redisStream']>, event: VerigateEvent, body: string, timeoutMs: number): Promise<void> {
  await withDeadline(redis.xadd(settings.key, 'MAXLEN', '~', settings.maxLength, '*',
    'id', event.id, 'type', event.type, 'version', String(event.version), 'payload', body), timeoutMs, 'Redis');
}

/**
 * POSTs the event, signed over `timestamp.body` at each attempt (so a retry hours later is not
 * refused as a replay). Only a 2xx counts; redirects are not followed; the whole exchange up to
 * the response status is bounded by `timeoutMs`.
 */
async function publishToWebhook(webhook: NonNullable<ResolvedEvents['webhook']>, event: VerigateEvent, body: string, timeoutMs: number): Promise<void> {
  const timestamp = Math.floor(Date.now() / 1000);
  let response: Response;
  try {
    response = await fetch(webhook.url, {
      method: 'POST',
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
      headers: {
        'content-type': 'application/json',
        'user-agent': 'verigate',
        [SIGNATURE_HEADER]: webhook.sign(body, timestamp),
        'Verigate-Event-Id': event.id,
        'Verigate-Event-Type': event.type,
      },
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    const timedOut = (error as Error).name === 'TimeoutError';
    throw new DeliveryError(timedOut ? `webhook did not answer within ${timeoutMs} ms` : `webhook unreachable: ${cause?.code ?? (error as Error).message}`,
      timedOut ? 'ETIMEDOUT' : cause?.code);
  }
  // The body is of no use; cancelling it frees the connection.
  await response.body?.cancel().catch(() => {});
  if (response.status < 200 || response.status > 299) throw new DeliveryError(`webhook answered ${response.status}`);
}

/** Delivers event rows for the outbox worker: a `redis` row to the stream, a `webhook` row to the URL. */
export function createEventPublisher(settings: ResolvedEvents, redis: StreamWriter | undefined): OutboxEventChannels {
  return {
    channels: settings.sinks,
    async publish(row: ClaimedMail) {
      if (!row.payload) throw new DeliveryError('payload missing');
      const event = JSON.parse(row.payload) as VerigateEvent;
      // Stored as PostgreSQL wrote it; sent compact, with the fields in schema order.
      const body = JSON.stringify(event);
      if (row.channel === 'redis' && settings.redisStream && redis) return publishToStream(redis, settings.redisStream, event, body, settings.timeoutMs);
      if (row.channel === 'webhook' && settings.webhook) return publishToWebhook(settings.webhook, event, body, settings.timeoutMs);
      throw new DeliveryError(`no ${row.channel} sink configured`);
    },
  };
}
