/**
 * Every knob of the bench, read once from the environment. The defaults finish the whole bench in
 * under ten minutes on two cores; shorten with BENCH_SECONDS=2 BENCH_RUNS=1 while developing.
 */
function number(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number (got ${JSON.stringify(raw)})`);
  return value;
}

export interface BenchSettings {
  /** Seconds of load per timed run. */
  seconds: number;
  /** Concurrent keep-alive connections of the load generator. */
  connections: number;
  /** Timed runs per variant; the table shows medians. */
  runs: number;
  /** Requests of the separate counting pass (through the counting proxies). */
  countRequests: number;
  /** A PostgreSQL server where the bench may CREATE and DROP scratch databases. */
  databaseUrl: string;
  redisUrl: string;
  /** Seconds the outbox delivery rate is observed in the sign-up scenario. */
  deliverySeconds: number;
  /** Filler rows of the small and the large token table in the scale scenario. */
  scaleSmallRows: number;
  scaleLargeRows: number;
}

export const settings: BenchSettings = Object.freeze({
  seconds: number('BENCH_SECONDS', 5),
  connections: Math.round(number('BENCH_CONNECTIONS', 10)),
  runs: Math.round(number('BENCH_RUNS', 4)),
  countRequests: Math.round(number('BENCH_COUNT_REQUESTS', 200)),
  databaseUrl: process.env.BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres',
  redisUrl: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379',
  deliverySeconds: number('BENCH_DELIVERY_SECONDS', 10),
  scaleSmallRows: Math.round(number('BENCH_SCALE_SMALL_ROWS', 10_000)),
  scaleLargeRows: Math.round(number('BENCH_SCALE_LARGE_ROWS', 1_000_000)),
});

/** Only loopback targets: the bench generates load and must never aim it elsewhere. */
export function assertLoopback(url: string, what: string): void {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  if (!['127.0.0.1', 'localhost', '::1'].includes(host)) throw new Error(`${what} must be on loopback (got ${host})`);
}
