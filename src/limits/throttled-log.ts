import type { Logger } from '../ports/logger.ts';

/**
 * A warning that repeats while Redis is down (every reconnect attempt, every refused request) would
 * flood the host's logs; this reports the first one, then at most one per `intervalMs` with a count
 * of those left out.
 */
export function throttledWarn(logger: Logger, intervalMs = 10_000, now: () => number = Date.now) {
  let last = -Infinity;
  let suppressed = 0;
  return (message: string, meta: Record<string, unknown> = {}): void => {
    const t = now();
    if (t - last < intervalMs) {
      suppressed++;
      return;
    }
    last = t;
    const extra = suppressed > 0 ? { suppressed } : {};
    suppressed = 0;
    logger.warn(message, { ...meta, ...extra });
  };
}
