import { startPgProxy, startRedisProxy } from './count-proxy.ts';
import { cpuPerRequest, cpuSnapshot } from './cpu.ts';
import { median, runLoad, type LoadResult, type LoadSpec } from './load.ts';
import { settings } from './settings.ts';

/** Where an app under test connects: straight to the services, or through the counting proxies. */
export interface ServiceUrls {
  pg: string;
  redis: string;
}

export interface RunPlan {
  connections: number;
  seconds?: number;
  amount?: number;
  /** Upper estimate of the requests this run will send (for lists of fresh tokens). */
  expected: number;
}

export type RequestSpec = Omit<LoadSpec, 'connections' | 'seconds' | 'amount'>;

/** One thing to measure: a route of an app, started by the scenario's setup. */
export interface Variant {
  name: string;
  /** The requests of one run; may prepare data first (e.g. issue `plan.expected` fresh tokens). */
  spec(plan: RunPlan): RequestSpec | Promise<RequestSpec>;
  /** After each run, e.g. clear consumed tokens so every run starts from the same table. */
  after?(): Promise<void>;
  /** After the counting pass, before the counters are read, e.g. wait until the outbox is empty. */
  settle?(): Promise<void>;
}

export interface Setup {
  variants: Variant[];
  close(): Promise<void>;
}

export type SetupFn = (urls: ServiceUrls) => Promise<Setup>;

export interface Figures {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  /** PostgreSQL commands ('Q' + 'E') and Redis commands per request, from the counting pass. */
  pg: number;
  redis: number;
  /** CPU per request: the app's main thread and the PostgreSQL backends (µs, medians). */
  appUs: number;
  pgUs: number;
  runs: Run[];
  /** Non-2xx, errors and timeouts summed over the timed runs. */
  failures: number;
  exhausted: number;
}

export interface MeasureOptions {
  /** Requests of the counting pass (default BENCH_COUNT_REQUESTS). */
  countAmount?: number;
  /** Responses other than 2xx are expected here (e.g. redirects); do not count them as failures. */
  allowNon2xx?: boolean;
  /** Runs on the timed setup after the last run, before it closes (e.g. a delivery-rate measurement). */
  afterTimed?(setup: Setup): Promise<void>;
}

/**
 * Runs a setup's checks; if one throws, closes what the setup already started before rethrowing,
 * so a failed scenario leaves no pool or worker running into the next one.
 */
export async function checked(started: { close(): Promise<void> }[], check: () => Promise<void>): Promise<void> {
  try {
    await check();
  } catch (error) {
    for (const thing of started) await thing.close().catch(() => {});
    throw error;
  }
}

/** One run of a variant: its requests, at the plan's concurrency, for the plan's time or number. */
async function load(variant: Variant, plan: RunPlan): Promise<Run> {
  const requests = await variant.spec(plan);
  const before = await cpuSnapshot();
  const result = await runLoad({ ...requests, connections: plan.connections, seconds: plan.seconds, amount: plan.amount });
  return { ...result, ...cpuPerRequest(before, await cpuSnapshot(), result.requests) };
}

/** A timed run with the CPU it cost per request (see cpu.ts). */
type Run = LoadResult & { appUs: number; pgUs: number };

const direct = (): ServiceUrls => ({ pg: settings.databaseUrl, redis: settings.redisUrl });

/**
 * A scratch database's URL, reached through `pg` (the server directly, or the counting proxy, which
 * forwards any database: the name travels in the startup packet).
 */
export function onServer(databaseUrl: string, pg: string): string {
  const url = new URL(databaseUrl);
  const via = new URL(pg);
  url.hostname = via.hostname;
  url.port = via.port;
  return url.href;
}

/**
 * Measures every variant of a scenario in two passes:
 *  1. counting: the apps connect through counting TCP proxies; a warm-up, then a fixed number of
 *     requests; commands per request = commands seen / requests;
 *  2. timed: the apps connect directly (the proxies' extra hop stays out of the figures); a short
 *     warm-up each, then `runs` rounds, the variants in rotating order, medians reported.
 */
export async function measure(setupFn: (urls: ServiceUrls) => Promise<Setup>, urls: ServiceUrls = direct(), options: MeasureOptions = {}): Promise<Figures[]> {
  const counts = await countingPass(setupFn, urls, options.countAmount ?? settings.countRequests);
  const setup = await setupFn(urls);
  try {
    const rate = new Map<Variant, number>();
    const results = new Map<Variant, Run[]>();
    const warmSeconds = Math.min(2, settings.seconds);
    for (const variant of setup.variants) {
      const warm = await load(variant, { connections: settings.connections, seconds: warmSeconds, expected: 4000 * warmSeconds });
      await variant.after?.();
      rate.set(variant, warm.rps);
      results.set(variant, []);
    }
    for (let run = 0; run < settings.runs; run++) {
      const order = run % 2 === 0 ? setup.variants : [...setup.variants].reverse();
      for (const variant of order) {
        // Generous: a run faster than the warm-up must not run out (each token costs a few microseconds to write).
        const expected = Math.ceil(Math.max(rate.get(variant)! * 2, 1500) * settings.seconds) + 1000;
        const result = await load(variant, { connections: settings.connections, seconds: settings.seconds, expected });
        await variant.after?.();
        rate.set(variant, Math.max(rate.get(variant)!, result.rps));
        results.get(variant)!.push(result);
        process.stdout.write(`  run ${run + 1}/${settings.runs} ${variant.name}: ${Math.round(result.rps)} req/s, p50 ${result.p50.toFixed(2)} ms, p99 ${result.p99.toFixed(2)} ms${result.non2xx ? `, ${result.non2xx} non-2xx` : ''}${result.exhausted ? `, ${result.exhausted} EXHAUSTED` : ''}\n`);
      }
    }
    await options.afterTimed?.(setup);
    return setup.variants.map((variant, i) => {
      const runs = results.get(variant)!;
      return {
        name: variant.name,
        rps: median(runs.map((r) => r.rps)),
        p50: median(runs.map((r) => r.p50)),
        p99: median(runs.map((r) => r.p99)),
        appUs: median(runs.map((r) => r.appUs)),
        pgUs: median(runs.map((r) => r.pgUs)),
        pg: counts[i].pg,
        redis: counts[i].redis,
        runs,
        failures: runs.reduce((sum, r) => sum + (options.allowNon2xx ? 0 : r.non2xx) + r.errors + r.timeouts, 0),
        exhausted: runs.reduce((sum, r) => sum + r.exhausted, 0),
      };
    });
  } finally {
    await setup.close();
  }
}

async function countingPass(setupFn: SetupFn, urls: ServiceUrls, amount: number): Promise<{ pg: number; redis: number }[]> {
  const pgProxy = await startPgProxy(urls.pg);
  const redisProxy = await startRedisProxy(urls.redis);
  try {
    const setup = await setupFn({ pg: pgProxy.url, redis: redisProxy.url });
    try {
      const counts: { pg: number; redis: number }[] = [];
      for (const variant of setup.variants) {
        const warmAmount = Math.min(50, amount);
        await load(variant, { connections: settings.connections, amount: warmAmount, expected: warmAmount + 100 });
        await variant.settle?.();
        await variant.after?.();
        await new Promise((resolve) => setTimeout(resolve, 100));
        pgProxy.reset();
        redisProxy.reset();
        const result = await load(variant, { connections: settings.connections, amount, expected: amount + 100 });
        await variant.settle?.();
        // Statements answered after the last response (e.g. a pool's release) land within a moment.
        await new Promise((resolve) => setTimeout(resolve, 100));
        const requests = Math.max(1, result.requests);
        counts.push({ pg: pgProxy.count() / requests, redis: redisProxy.count() / requests });
        await variant.after?.();
      }
      return counts;
    } finally {
      await setup.close();
    }
  } finally {
    await pgProxy.close();
    await redisProxy.close();
  }
}
