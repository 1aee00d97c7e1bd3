import { createHmac } from 'node:crypto';
import { defaultLogger, type Logger } from '../ports/logger.ts';
import { LIMIT_RULES, type LimitRule, type ResolvedLimits } from './limit-options.ts';
import { LimiterUnavailableError, unavailable, withDeadline } from './limiter-error.ts';
import { createRedisClient, type RedisConnection, type RedisConnectionInput } from './redis-client.ts';
import { throttledWarn } from './throttled-log.ts';
import { memoryCounter, redisCounter, type Taken, type WindowCounter } from './window-counter.ts';

/**
 * Where counts live. `memory`: this process only, for the embedded demo mode and tests (several
 * app instances would each allow the full limit). `redis`: shared by every instance; `client` is a
 * URL (verigate then creates, and on close quits, its own client) or your ioredis client (never closed).
 */
export type LimiterStore = { kind: 'memory' } | { kind: 'redis'; client: RedisConnectionInput };

export interface LimiterOptions {
  /** From `resolveLimitOptions`; `false` lets everything through (tests only). */
  limits: ResolvedLimits | false;
  store: LimiterStore;
  /** Start of every Redis key, e.g. `'verigate:'`; keys are `<prefix>limit:<rule>:<seconds>s:<hmac>`. */
  prefix: string;
  /** HMAC key (at least 16 bytes) for the keys' last part, so no address or IP is stored in clear. */
  keySecret: Buffer;
  /** The longest a limiter call may take before it fails closed, in ms. Default `1000`. */
  timeoutMs?: number;
  /** Where store failures are reported (throttled). Default: stderr. */
  logger?: Logger;
}

/** One axis to count: the rule and the caller's key for it (user id, folded address, client IP). */
export interface LimitCheck {
  rule: LimitRule;
  key: string;
}

export type LimitResult = { ok: true } | { ok: false; rule: LimitRule; retryAfterSeconds: number };

export interface Limiter {
  /**
   * Takes one point from every window of every listed rule. Refused when any window is full, with
   * the longest wait among the full ones (whole seconds, at least 1).
   *
   * A refused call costs nothing: its points are given back, so hammering an hourly limit does not
   * use up the daily one. The windows of one rule are taken shortest first, one after the other, and
   * a call the short window refuses never reaches the long one: each rule admits exactly its limit
   * however many app instances race for it. Different rules are counted in parallel, so a burst of
   * concurrent calls contending for two rules at once may admit fewer than the limit until the
   * refunds land (never more).
   *
   * Rejects with `LimiterUnavailableError` (never answers ok) when the store fails or takes longer
   * than `timeoutMs`.
   */
  consume(checks: readonly LimitCheck[]): Promise<LimitResult>;
  /** What `consume` would answer, without taking a point (e.g. to show "try again in 20 minutes"). */
  peek(checks: readonly LimitCheck[]): Promise<LimitResult>;
  /**
   * Whether the store can answer right now, without a round trip: false while Redis is not connected
   * (or after `close()`), so callers can refuse at once instead of waiting for a deadline.
   */
  available(): boolean;
  /** Clears every window of `rule` for `key`, e.g. password attempts after a correct password. */
  reset(rule: LimitRule, key: string): Promise<void>;
  /** Waits for pending refunds, then quits the Redis client only if the limiter created it. */
  close(): Promise<void>;
}

const OK: LimitResult = Object.freeze({ ok: true });

/** One rule for one caller key: its windows, shortest first, and the key's MAC. */
interface Group {
  rule: LimitRule;
  windows: readonly WindowCounter[];
  id: string;
}

/** What a group's consume took (to give back on refusal) and, if refused, the longest wait in ms. */
interface GroupOutcome {
  taken: [WindowCounter, Taken][];
  refusedMs: number | null;
}

/**
 * Redis Cluster: every command touches exactly one key (rate-limiter-flexible's script, the refund
 * script, DEL, GET+PTTL on one key), so no two keys must share a slot and none carries a hash tag;
 * one user's windows thereby spread over the nodes.
 */
export function createLimiter(options: LimiterOptions): Limiter {
  const { limits, store, prefix, keySecret } = options;
  const timeoutMs = options.timeoutMs ?? 1000;
  const logger = options.logger ?? defaultLogger;
  if (!Buffer.isBuffer(keySecret) || keySecret.length < 16) throw new TypeError('createLimiter: keySecret must be a Buffer of at least 16 bytes.');
  if (!(timeoutMs > 0)) throw new TypeError('createLimiter: timeoutMs must be a positive number of milliseconds.');

  const connection: RedisConnection | undefined = store.kind === 'redis' && limits ? createRedisClient(store.client, { logger, timeoutMs }) : undefined;
  const counters = new Map<LimitRule, WindowCounter[]>();
  for (const rule of LIMIT_RULES) {
    const windows = [...(limits ? limits[rule] : [])].sort((a, b) => a.durationMs - b.durationMs);
    counters.set(rule, windows.map((window) => {
      const keyPrefix = `${prefix}limit:${rule}:${window.durationMs / 1000}s`;
      return connection ? redisCounter(connection.client, window, keyPrefix) : memoryCounter(window, keyPrefix);
    }));
  }

  const warn = throttledWarn(logger);
  const pending = new Set<Promise<void>>();
  let closed = false;

  // The rule is part of the MAC so one IP's buckets under different rules cannot be linked.
  const lookup = (rule: LimitRule, key: string) => createHmac('sha256', keySecret).update(`limit:${rule}:${key}`).digest('hex').slice(0, 32);

  function groupsOf(checks: readonly LimitCheck[]): Group[] {
    if (closed) throw new LimiterUnavailableError('the limiter is closed', 'VERIGATE_LIMITER_UNAVAILABLE');
    return checks.map(({ rule, key }) => {
      const windows = counters.get(rule);
      if (!windows) throw new TypeError(`Unknown limit rule ${JSON.stringify(rule)}.`);
      if (typeof key !== 'string' || key === '') throw new TypeError(`The key for limit rule ${rule} must be a non-empty string.`);
      return { rule, windows, id: lookup(rule, key) };
    }).filter((group) => group.windows.length > 0);
  }

  async function run<T>(what: string, groups: Group[], step: (group: Group) => Promise<T>): Promise<T[]> {
    try {
      return await withDeadline(Promise.all(groups.map(step)), timeoutMs, what);
    } catch (error) {
      const failure = unavailable(error);
      warn('Rate limiter store unavailable; refusing requests until it answers (fail closed).', { error: failure.message });
      throw failure;
    }
  }

  const longestWait = (seen: (Taken | null)[]) => seen.reduce<number | null>((worst, t) => (t?.refused && t.msLeft > (worst ?? -1) ? t.msLeft : worst), null);

  async function consumeGroup({ windows, id }: Group): Promise<GroupOutcome> {
    const taken: [WindowCounter, Taken][] = [];
    for (const [i, window] of windows.entries()) {
      const t = await window.consume(id);
      taken.push([window, t]);
      if (t.refused) {
        // The longer windows are not taken, only looked at, so the wait covers them too.
        const rest = await Promise.all(windows.slice(i + 1).map((w) => w.peek(id)));
        return { taken, refusedMs: longestWait([t, ...rest]) };
      }
    }
    return { taken, refusedMs: null };
  }

  function verdict(groups: Group[], waits: (number | null)[]): LimitResult {
    let worst = -1;
    waits.forEach((wait, i) => {
      if (wait !== null && (worst < 0 || wait > waits[worst]!)) worst = i;
    });
    if (worst < 0) return OK;
    return { ok: false, rule: groups[worst].rule, retryAfterSeconds: Math.max(1, Math.ceil(waits[worst]! / 1000)) };
  }

  function refund(id: string, window: WindowCounter, taken: Taken): void {
    // Not awaited: the answer is already known; close() waits for these. The refusing window is
    // refunded too, or a burst of concurrent calls would keep it (and so the user) locked.
    const done = withDeadline(window.refund(id, taken), timeoutMs, 'refund')
      .catch((error: unknown) => warn('Rate limiter could not give back a point; it stays spent until its window ends.',
        { error: unavailable(error).message }))
      .finally(() => pending.delete(done));
    pending.add(done);
  }

  return {
    async consume(checks) {
      const groups = groupsOf(checks);
      if (groups.length === 0) return OK;
      const outcomes = await run('consume', groups, consumeGroup);
      const result = verdict(groups, outcomes.map((o) => o.refusedMs));
      if (!result.ok) outcomes.forEach((o, i) => o.taken.forEach(([window, t]) => refund(groups[i].id, window, t)));
      return result;
    },
    async peek(checks) {
      const groups = groupsOf(checks);
      if (groups.length === 0) return OK;
      const waits = await run('peek', groups, async ({ windows, id }) => longestWait(await Promise.all(windows.map((w) => w.peek(id)))));
      return verdict(groups, waits);
    },
    available() {
      return !closed && (connection === undefined || connection.client.status === 'ready');
    },
    async reset(rule, key) {
      await run('reset', groupsOf([{ rule, key }]), async ({ windows, id }) => {
        await Promise.all(windows.map((w) => w.reset(id)));
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      await Promise.allSettled([...pending]);
      await connection?.close();
    },
  };
}
