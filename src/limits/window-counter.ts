import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { RedisClient } from './redis-client.ts';
import type { ResolvedWindow } from './limit-options.ts';

/**
 * One fixed window of one rule (e.g. sendsPerUser, 3 per hour), counted per hashed key.
 * Refusals resolve with the wait in ms; only store failures reject.
 */
export interface WindowCounter {
  /** Takes a point. Resolves `null` when there was room, else the ms until the window ends. */
  consume(id: string): Promise<number | null>;
  /** Gives a point back, unless the window ended meanwhile (which would pre-spend the next one). */
  refund(id: string): Promise<void>;
  /** Like `consume` without taking a point: would the next one be refused, and for how long? */
  peek(id: string): Promise<number | null>;
  /** Forgets the key's count. */
  reset(id: string): Promise<void>;
}

// DECR keeps the key's TTL; checking EXISTS in the same script means a refund can never create a key.
const REFUND_SCRIPT = `if redis.call('exists', KEYS[1]) == 1 then return redis.call('decr', KEYS[1]) end return false`;

function waitMs(res: RateLimiterRes, window: ResolvedWindow): number {
  // A key without a TTL cannot come from rate-limiter-flexible's script; assume a whole window if it does.
  return res.msBeforeNext > 0 ? res.msBeforeNext : window.durationMs;
}

type Limiter = RateLimiterMemory | RateLimiterRedis;

function counterOn(limiter: Limiter, window: ResolvedWindow, refund: (id: string) => Promise<void>): WindowCounter {
  return {
    consume: (id) => limiter.consume(id).then(() => null, (outcome: unknown) => {
      // rate-limiter-flexible rejects with a RateLimiterRes for "no points left" and an Error for a store failure.
      if (outcome instanceof RateLimiterRes) return waitMs(outcome, window);
      throw outcome;
    }),
    refund,
    peek: async (id) => {
      const res = await limiter.get(id);
      return res && res.consumedPoints >= window.points ? waitMs(res, window) : null;
    },
    reset: async (id) => {
      await limiter.delete(id);
    },
  };
}

export function memoryCounter(window: ResolvedWindow, keyPrefix: string): WindowCounter {
  const limiter = new RateLimiterMemory({ points: window.points, duration: window.durationMs / 1000, keyPrefix });
  return counterOn(limiter, window, async (id) => {
    const res = await limiter.get(id);
    if (res && res.msBeforeNext > 0) await limiter.reward(id);
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
  return counterOn(limiter, window, async (id) => {
    await client.eval(REFUND_SCRIPT, 1, limiter.getKey(id));
  });
}
