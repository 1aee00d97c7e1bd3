const MAX_DELAY_MS = 3_600_000;

/**
 * Delay before attempt `attempt + 1`: base · 2^(attempt-1), capped at an hour, with ±20 % jitter so
 * a burst of failures does not retry in lockstep. `random` is injectable for tests.
 */
export function retryDelayMs(attempt: number, baseMs: number, random: () => number = Math.random): number {
  const exponential = Math.min(MAX_DELAY_MS, baseMs * 2 ** Math.max(0, attempt - 1));
  const jitter = 0.8 + 0.4 * random();
  return Math.round(exponential * jitter);
}
