import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { RedisClient } from './redis-client.ts';
import type { ResolvedWindow } from './limit-options.ts';

/** What one consume saw: whether the window was already full, and how long it still runs. */
export interface Taken {
  readonly refused: boolean;
  readonly msLeft: number;
}

/**
 * One fixed window of one rule (e.g. sendsPerUser, 3 per hour), counted per hashed key.
 * Refusals resolve; only store failures reject.
 */
export interface WindowCounter {
  consume(id: string): Promise<Taken>;
  /**
   * Gives back the point `taken` took, unless its window has ended meanwhile: a fresh window's
   * TTL is longer than what was left of the old one, and giving its point back would over-admit.
   */
  refund(id: string, taken: Taken): Promise<void>;
  /** Like `consume` without taking a point: would the next one be refused, and for how long? */
  peek(id: string): Promise<Taken | null>;
  /** Forgets the key's count. */
  reset(id: string): Promise<void>;
}

// DECR keeps the TTL. The TTL check in the same script means a refund never creates a key (PTTL of a
// missing key is -2) and never touches a window that started after the consume.
const REFUND_SCRIPT = `local ttl = redis.call('pttl', KEYS[1])
if ttl > 0 and ttl <= tonumber(ARGV[1]) then return redis.call('decr', KEYS[1]) end
return false`;

function taken(res: RateLimiterRes, window: ResolvedWindow, refused: boolean): Taken {
  // A key without a TTL cannot come from rate-limiter-flexible's script; assume a whole window if it does.
  return { refused, msLeft: res.msBeforeNext > 0 ? res.msBeforeNext : window.durationMs };
}

type FlexibleLimiter = RateLimiterMemory | RateLimiterRedis;

function counterOn(limiter: FlexibleLimiter, window: ResolvedWindow, refund: WindowCounter['refund']): WindowCounter {
  return {
    consume: (id) => limiter.consume(id).then((res) => taken(res, window, false), (outcome: unknown) => {
      // rate-limiter-flexible rejects with a RateLimiterRes for "no points left" and an Error for a store failure.
      if (outcome instanceof RateLimiterRes) return taken(outcome, window, true);
      throw outcome;
    }),
    refund,
    peek: async (id) => {
      const res = await limiter.get(id);
      // The memory store may still hold a window whose end has passed; it counts for nothing.
      return res && res.msBeforeNext > 0 ? taken(res, window, res.consumedPoints >= window.points) : null;
    },
    reset: async (id) => {
      await limiter.delete(id);
    },
  };
}

export function memoryCounter(window: ResolvedWindow, keyPrefix: string): WindowCounter {
  const limiter = new RateLimiterMemory({ points: window.points, duration: window.durationMs / 1000, keyPrefix });
  return counterOn(limiter, window, async (id, { msLeft }) => {
    const res = await limiter.get(id);
    if (res && res.msBeforeNext > 0 && res.msBeforeNext <= msLeft) await limiter.reward(id);
  });
}

/**
 * Atomic per key: rate-limiter-flexible's Lua script creates the key with its TTL and increments it
 * in one step, so concurrent consumes from any number of app instances never over-admit.
 * No insuranceLimiter: a local fallback would let requests through while Redis is down.
 */
export function redisCounter(client: RedisClient, window: ResolvedWindow, keyPrefix: string): WindowCounter {
  const limiter = new RateLimiterRedis({
    storeClient: client,
    points: window.points,
    duration: window.durationMs / 1000,
    keyPrefix,
    // Refuse at once while disconnected instead of waiting on a host client's offline queue.
    rejectIfRedisNotReady: true,
  });
  return counterOn(limiter, window, async (id, { msLeft }) => {
    await client.eval(REFUND_SCRIPT, 1, limiter.getKey(id), String(Math.ceil(msLeft)));
  });
}
