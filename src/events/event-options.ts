import { hostname } from 'node:os';
import { checkKeys, duration, fail, isObject, positiveInt, bool } from '../config/checks.ts';
import type { Environment } from '../config/options.ts';
import type { EventSink } from './event-types.ts';
import { signWebhook } from './webhook-signature.ts';

/** Events for other services; see the README, "Events for other services". */
export interface EventOptions {
  /**
   * Publish each event to a Redis Stream (XADD with approximate MAXLEN trimming) through the
   * `redis` connection: `true` for the defaults, or `{ key, maxLength }`. Default: off.
   */
  redisStream?: boolean | {
    /** Stream key. Default: `redisPrefix` + `'events'` (`'verigate:events'`). Wrap a part in `{…}` to pin its cluster slot. */
    key?: string;
    /** About how many entries the stream keeps (`MAXLEN ~`); older ones are trimmed. Default `100000`. */
    maxLength?: number;
  };
  /** POST each event as JSON to `url`, signed with HMAC-SHA-256 (`Verigate-Signature` header). Default: off. */
  webhook?: {
    /** Receiver URL; https outside development and test. Required. */
    url: string;
    /** At least 32 characters, shared with the receiver; a list signs with each (for a rotation). Required. */
    secret: string | readonly string[];
  };
  /** Longest one publish (an XADD, or a POST until its response status) may take. At most `worker.sendTimeout`. Default `'5s'` (or `worker.sendTimeout` if shorter). */
  timeout?: number | string;
}

/** The consumer of `user.registered` events other services write to a Redis Stream. */
export interface InboundEventOptions {
  /** Stream key to read. Required. */
  stream: string;
  /** Consumer group (created at the stream's end, `$`, if missing). Default `'verigate'`. */
  group?: string;
  /** This instance's consumer name, unique per instance and stable across its restarts. Default: `'<host name>:<pid>'`. */
  consumer?: string;
  /** Longest one XREADGROUP blocks waiting for entries (at most 60 s). Default `'5s'`. */
  block?: number | string;
  /** Entries another consumer read but has not acknowledged for this long are claimed (XAUTOCLAIM). Default `'1m'`. */
  claimAfter?: number | string;
  /** Entries read per round. Default `10`. */
  batchSize?: number;
  /** Start consuming with the core. Default `true`. */
  autoStart?: boolean;
}

export interface ResolvedEvents {
  readonly sinks: readonly EventSink[];
  readonly redisStream?: Readonly<{ key: string; maxLength: number }>;
  /** The secret stays inside `sign`, so the config can still be logged. */
  readonly webhook?: Readonly<{ url: string; sign(body: string, timestamp: number): string }>;
  readonly timeoutMs: number;
}

export interface ResolvedInboundEvents {
  readonly stream: string;
  readonly group: string;
  readonly consumer: string;
  readonly blockMs: number;
  readonly claimAfterMs: number;
  readonly batchSize: number;
  readonly autoStart: boolean;
}

interface Context { environment: Environment; hasRedis: boolean; redisPrefix: string; sendTimeoutMs: number }

const EVENT_KEYS = ['redisStream', 'webhook', 'timeout'] as const;
const STREAM_KEYS = ['key', 'maxLength'] as const;
const WEBHOOK_KEYS = ['url', 'secret'] as const;
const INBOUND_KEYS = ['stream', 'group', 'consumer', 'block', 'claimAfter', 'batchSize', 'autoStart'] as const;
const MIN_WEBHOOK_SECRET = 32;

function redisName(name: string, value: unknown, code: string): string {
  if (typeof value !== 'string' || value === '' || value.length > 200 || /[\s\u0000-\u001f]/.test(value)) {
    fail(code, `${name} must be 1 to 200 characters without spaces or control characters.`, `Got ${JSON.stringify(value)}.`);
  }
  return value;
}

function resolveWebhook(value: unknown, environment: Environment): ResolvedEvents['webhook'] {
  if (!isObject(value)) fail('VERIGATE_INVALID_WEBHOOK', 'events.webhook must be { url, secret }.', `e.g. webhook: { url: 'https://crm.internal/hooks/verigate', secret: process.env.VERIGATE_WEBHOOK_SECRET }.`);
  checkKeys('events.webhook.', value, WEBHOOK_KEYS);
  let url: URL | undefined;
  try { url = new URL(String(value.url)); } catch { /* reported below */ }
  if (typeof value.url !== 'string' || !url || (url.protocol !== 'https:' && url.protocol !== 'http:') || url.username || url.password) {
    fail('VERIGATE_INVALID_WEBHOOK_URL', 'events.webhook.url must be an absolute http(s) URL without credentials.', `Got ${JSON.stringify(value.url)}.`);
  }
  if (url.protocol === 'http:' && environment === 'production') {
    fail('VERIGATE_INSECURE_WEBHOOK_URL', 'events.webhook.url must use https in production: events carry email addresses.', 'Serve the receiver over https, or use the Redis Stream inside your network.');
  }
  const secrets = typeof value.secret === 'string' ? [value.secret] : value.secret;
  if (!Array.isArray(secrets) || secrets.length === 0 || secrets.some((s) => typeof s !== 'string' || s.length < MIN_WEBHOOK_SECRET)) {
    fail('VERIGATE_WEAK_WEBHOOK_SECRET', `events.webhook.secret must be a string of at least ${MIN_WEBHOOK_SECRET} characters (or a list of them while rotating).`,
      `Generate one with: node -p "require('crypto').randomBytes(32).toString('base64url')" and give the receiver the same.`);
  }
  const frozen = Object.freeze([...secrets as string[]]);
  return Object.freeze({ url: url.href, sign: (body: string, timestamp: number) => signWebhook(body, frozen, timestamp) });
}

/** Validates `events` once, at construction; `undefined` when no events are wanted. */
export function resolveEventOptions(value: unknown, context: Context): ResolvedEvents | undefined {
  if (value === undefined) return undefined;
  if (!isObject(value)) fail('VERIGATE_INVALID_EVENTS', 'events must be an object.', `Known: ${EVENT_KEYS.join(', ')}.`);
  checkKeys('events.', value, EVENT_KEYS);
  const sinks: EventSink[] = [];
  let redisStream: ResolvedEvents['redisStream'];
  if (value.redisStream !== undefined && value.redisStream !== false) {
    const stream = value.redisStream === true ? {} : value.redisStream;
    if (!isObject(stream)) fail('VERIGATE_INVALID_EVENT_STREAM', 'events.redisStream must be true or { key, maxLength }.', `Got ${JSON.stringify(stream)}.`);
    checkKeys('events.redisStream.', stream, STREAM_KEYS);
    if (!context.hasRedis) fail('VERIGATE_EVENTS_NEED_REDIS', 'events.redisStream needs the redis option.', `Pass redis: process.env.REDIS_URL (or your ioredis client).`);
    redisStream = Object.freeze({
      key: redisName('events.redisStream.key', stream.key ?? `${context.redisPrefix}events`, 'VERIGATE_INVALID_EVENT_STREAM'),
      maxLength: positiveInt('events.redisStream.maxLength', stream.maxLength, 100_000),
    });
    sinks.push('redis');
  }
  const webhook = value.webhook === undefined ? undefined : resolveWebhook(value.webhook, context.environment);
  if (webhook) sinks.push('webhook');
  if (sinks.length === 0) fail('VERIGATE_EVENTS_NO_SINK', 'events needs a sink: redisStream, webhook or both.', `e.g. events: { redisStream: true } (with the redis option) or events: { webhook: { url, secret } }.`);
  // The default yields to a shorter worker.sendTimeout; only an explicit longer timeout is a mistake.
  const timeoutMs = value.timeout === undefined ? Math.min(5_000, context.sendTimeoutMs) : duration('events.timeout', value.timeout, '5s');
  if (timeoutMs > context.sendTimeoutMs) {
    fail('VERIGATE_EVENTS_TIMEOUT_TOO_LONG', 'events.timeout must not exceed worker.sendTimeout.', 'The worker gives up on any delivery after worker.sendTimeout; lower events.timeout or raise both.');
  }
  return Object.freeze({ sinks: Object.freeze(sinks), redisStream, webhook, timeoutMs });
}

/** Validates `inboundEvents` once, at construction. */
export function resolveInboundOptions(value: unknown, context: Context): ResolvedInboundEvents | undefined {
  if (value === undefined) return undefined;
  if (!isObject(value)) fail('VERIGATE_INVALID_INBOUND', 'inboundEvents must be an object.', `e.g. inboundEvents: { stream: 'users:events' }. Known: ${INBOUND_KEYS.join(', ')}.`);
  checkKeys('inboundEvents.', value, INBOUND_KEYS);
  if (!context.hasRedis) fail('VERIGATE_INBOUND_NEEDS_REDIS', 'inboundEvents reads a Redis Stream and needs the redis option.', 'Pass redis: process.env.REDIS_URL (or your ioredis client).');
  const blockMs = duration('inboundEvents.block', value.block, '5s');
  if (blockMs > 60_000) fail('VERIGATE_INVALID_INBOUND', 'inboundEvents.block must be at most 60 s.', 'A shorter block lets close() and claims of dead consumers run promptly; the default is 5 s.');
  return Object.freeze({
    stream: redisName('inboundEvents.stream', value.stream, 'VERIGATE_INVALID_INBOUND'),
    group: redisName('inboundEvents.group', value.group ?? 'verigate', 'VERIGATE_INVALID_INBOUND'),
    consumer: redisName('inboundEvents.consumer', value.consumer ?? `${hostname()}:${process.pid}`, 'VERIGATE_INVALID_INBOUND'),
    blockMs,
    claimAfterMs: duration('inboundEvents.claimAfter', value.claimAfter, '1m'),
    batchSize: positiveInt('inboundEvents.batchSize', value.batchSize, 10),
    autoStart: bool('inboundEvents.autoStart', value.autoStart, true, 'VERIGATE_INVALID_INBOUND'),
  });
}
