/**
 * autocannon in its own thread, so the load generator never shares an event loop with the app
 * under test (an in-process autocannon would eat the app's CPU time and flatten every ratio).
 */
import { parentPort, workerData } from 'node:worker_threads';
import autocannon from 'autocannon';
import type { LoadSpec, LoadResult } from './load.ts';

const spec = workerData as LoadSpec;
let sent = 0;
let exhausted = 0;

const outcomes: Record<string, number> = {};

/** Per-request variation: the next body or path from a list (each used once), or a unique counter. */
function setupRequest(request: Record<string, unknown>, context: Record<string, unknown>): Record<string, unknown> {
  const n = sent++;
  // One request in flight per connection (no pipelining): its context names the request being answered.
  if (spec.recordOutcomes) context.unique = `${spec.uniquePrefix ?? ''}${n}`;
  if (spec.distinctClients) request = { ...request, headers: { ...(request.headers as object), 'x-forwarded-for': `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}` } };
  if (spec.bodies) {
    if (n >= spec.bodies.length) exhausted++;
    return { ...request, body: spec.bodies[n % spec.bodies.length] };
  }
  if (spec.paths) {
    if (n >= spec.paths.length) exhausted++;
    return { ...request, path: spec.paths[n % spec.paths.length] };
  }
  if (spec.bodyTemplate) return { ...request, body: spec.bodyTemplate.replaceAll('{n}', `${spec.uniquePrefix ?? ''}${n}`) };
  return request;
}

const dynamic = Boolean(spec.bodies || spec.paths || spec.bodyTemplate || spec.distinctClients);
const url = new URL(spec.url);
const options = {
  url: url.origin,
  connections: spec.connections,
  ...(spec.amount ? { amount: spec.amount } : { duration: spec.seconds }),
  timeout: 10,
  requests: [{
    method: (spec.method ?? 'GET') as 'GET',
    path: `${url.pathname}${url.search}`,
    headers: spec.headers ?? {},
    ...(spec.body !== undefined ? { body: spec.body } : {}),
    ...(dynamic ? { setupRequest: setupRequest as never } : {}),
    ...(spec.recordOutcomes ? { onResponse: (status: number, _body: string, context: object) => { outcomes[String((context as { unique?: string }).unique)] = status; } } : {}),
  }],
};
// Latencies kept exactly (autocannon's histogram rounds to whole milliseconds, too coarse for a 2 ms route).
const latencies: number[] = [];
const statuses: Record<string, number> = {};
// Typed as a bare promise, it is also the run's event emitter.
const instance = autocannon(options) as unknown as Promise<unknown> & import('node:events').EventEmitter;
instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
  latencies.push(ms);
  statuses[status] = (statuses[status] ?? 0) + 1;
});
// Off the main thread autocannon hands back its raw (encoded) result, with the counts we need.
const raw = (await instance) as unknown as { totalCompletedRequests: number; duration: number; non2xx: number; errors: number; timeouts: number };
latencies.sort((a, b) => a - b);
const percentile = (p: number) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)] : NaN);

const out: LoadResult = {
  rps: raw.totalCompletedRequests / raw.duration,
  p50: percentile(50),
  p99: percentile(99),
  requests: raw.totalCompletedRequests,
  non2xx: raw.non2xx,
  errors: raw.errors,
  timeouts: raw.timeouts,
  exhausted,
  statuses,
  ...(spec.recordOutcomes ? { outcomes } : {}),
};
parentPort!.postMessage(out);
