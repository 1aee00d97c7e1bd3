import { Worker } from 'node:worker_threads';

/** One load run, described in plain data so it can cross into the load generator's thread. */
export interface LoadSpec {
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  /** One body per request, each used once (e.g. fresh tokens); reused from the start when exhausted, and counted. */
  bodies?: string[];
  /** One path (with query) per request, each used once. */
  paths?: string[];
  /** A body where `{n}` becomes a unique counter (prefixed by `uniquePrefix`), e.g. a fresh email per sign-up. */
  bodyTemplate?: string;
  uniquePrefix?: string;
  /** A different X-Forwarded-For per request (10.x.y.z), as if each came from its own client. */
  distinctClients?: boolean;
  /** Keep each answered request's status under its unique value (`uniquePrefix` + counter), in `outcomes`. */
  recordOutcomes?: boolean;
  connections: number;
  /** Seconds of load, unless `amount` (a fixed number of requests) is given. */
  seconds?: number;
  amount?: number;
}

export interface LoadResult {
  rps: number;
  /** Milliseconds. */
  p50: number;
  p99: number;
  requests: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  /** Requests that found the list of fresh bodies or paths used up (a bench setup problem, reported). */
  exhausted: number;
  /** Responses per HTTP status. */
  statuses: Record<string, number>;
  /** With `recordOutcomes`: unique value → HTTP status of its answer (requests never answered are absent). */
  outcomes?: Record<string, number>;
}

/** Runs autocannon in a worker thread against loopback and resolves with its summary. */
export function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const host = new URL(spec.url).hostname;
  if (host !== '127.0.0.1' && host !== 'localhost') throw new Error(`load only against loopback, not ${host}`);
  if (!spec.amount && !(spec.seconds && spec.seconds <= 120)) throw new Error('every load run is bounded: give seconds (<= 120) or amount');
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./load-worker.ts', import.meta.url), { workerData: spec });
    let done = false;
    // A hard stop well past the run's own end, in case a server never answers.
    const limit = setTimeout(() => { void worker.terminate(); reject(new Error(`load run did not finish: ${spec.url}`)); },
      ((spec.seconds ?? 0) + 60) * 1000);
    worker.once('message', (result: LoadResult) => { done = true; clearTimeout(limit); resolve(result); });
    worker.once('error', (error) => { clearTimeout(limit); reject(error); });
    worker.once('exit', (code) => { clearTimeout(limit); if (!done) reject(new Error(`load worker exited with ${code}`)); });
  });
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
