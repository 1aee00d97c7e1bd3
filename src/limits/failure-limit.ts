import type { LimitRule } from './limit-options.ts';
import { LimiterUnavailableError } from './limiter-error.ts';
import type { Limiter, LimitResult } from './limiter.ts';

/**
 * A limit on *failed* attempts at an unguessable secret (a 256-bit link token), per key (client IP).
 *
 * Guessing such a secret is hopeless, so the limit exists to stop floods, not lucky guesses: only
 * failures are counted, after the lookup, and a successful confirmation costs no round trip to the
 * limiter's store. A key found over its limit is remembered in this process until its window ends
 * and refused before any lookup; other instances learn it at that key's next failure there, so a
 * flooding client gets at most one lookup per instance past its limit. Guessable secrets (codes,
 * passwords) are counted before they are checked instead, with `Limiter.consume`.
 *
 * Fails closed: when the store is unreachable, `admit` throws `LimiterUnavailableError` before any
 * lookup, and `failed` rejects with it.
 */
export interface FailureLimit {
  /** Before an attempt: refused at once (no round trip) when this key is known to be over its limit. */
  admit(key: string): LimitResult;
  /** After a failed attempt: counts it; a refusal means the answer becomes "too many attempts". */
  failed(key: string): Promise<LimitResult>;
}

export interface FailureLimitOptions {
  /** Keys remembered as over their limit, at most (oldest dropped first). Default `10_000`. */
  maxBlocked?: number;
  /** Milliseconds since the epoch. Default `Date.now`. */
  now?: () => number;
}

export function createFailureLimit(limiter: Limiter, rule: LimitRule, options: FailureLimitOptions = {}): FailureLimit {
  const maxBlocked = options.maxBlocked ?? 10_000;
  const now = options.now ?? Date.now;
  // Insertion-ordered, so the first entry is the oldest block when room is needed.
  const blockedUntil = new Map<string, number>();

  function remember(key: string, retryAfterSeconds: number): void {
    blockedUntil.delete(key);
    if (blockedUntil.size >= maxBlocked) blockedUntil.delete(blockedUntil.keys().next().value!);
    blockedUntil.set(key, now() + retryAfterSeconds * 1000);
  }

  return {
    admit(key) {
      if (!limiter.available()) throw new LimiterUnavailableError('the rate limit store is not connected', 'VERIGATE_LIMITER_UNAVAILABLE');
      const until = blockedUntil.get(key);
      if (until === undefined) return { ok: true };
      const left = until - now();
      if (left <= 0) {
        blockedUntil.delete(key);
        return { ok: true };
      }
      return { ok: false, rule, retryAfterSeconds: Math.max(1, Math.ceil(left / 1000)) };
    },
    async failed(key) {
      const result = await limiter.consume([{ rule, key }]);
      if (!result.ok) remember(key, result.retryAfterSeconds);
      return result;
    },
  };
}
