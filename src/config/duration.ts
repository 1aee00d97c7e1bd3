const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Accepts a number of milliseconds or a string such as `'15m'`, `'24h'`, `'7d'`.
 * Returns `null` for anything else so the caller can raise a config error with context.
 */
export function parseDuration(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) && value > 0 ? value : null;
  if (typeof value !== 'string') return null;
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$/.exec(value);
  if (!match) return null;
  const ms = Number(match[1]) * UNITS[match[2]];
  return ms > 0 ? ms : null;
}
