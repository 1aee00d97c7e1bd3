/**
 * f. The load invariant: sign-ups with unique addresses through the example app (PostgreSQL, Redis,
 * an SMTP sink) for BENCH_SECONDS × BENCH_RUNS, then the outbox drained and every address audited.
 * Every accepted sign-up (2xx/3xx) must have exactly one user, one link row, one outbox row (sent)
 * and one delivered message whose link works (GET renders, POST confirms → verified pair recorded);
 * a refused one must have left nothing; one never answered (cut at the end) all or nothing.
 */
import { randomBytes } from 'node:crypto';
import type { Figures } from '../lib/compare.ts';
import { cpuPerRequest, cpuSnapshot } from '../lib/cpu.ts';
import { startExampleHost, type ExampleHost } from '../lib/example-host.ts';
import { audit, complete, describeTrace, duplicated, empty, followLink, parseDelivered, type LinkCheck, type Trace } from '../lib/invariant.ts';
import { runLoad } from '../lib/load.ts';
import { fmt, type Check, type ScenarioReport } from '../lib/report.ts';
import { cleanRedisPrefix, createScratchDatabase, redisPrefix, type ScratchDatabase } from '../lib/services.ts';
import { settings } from '../lib/settings.ts';
import { startSlowSink } from '../lib/smtp-sink.ts';

export const title = 'Load invariant: sign-ups under load, each accepted one gets exactly one user, link, outbox row and working mail';

const secret = randomBytes(32).toString('base64url');
const DRAIN_LIMIT_MS = 120_000;
const LINK_CONCURRENCY = 10;
const PASSWORD = 'correct horse battery staple';

/**
 * Waits until the app has finished the requests still inside it (a request cut at the end of the
 * run keeps running) and no outbox row is pending. Resolves with the time since `since`, or NaN
 * past the limit.
 */
async function drain(app: ExampleHost, db: ScratchDatabase, since: number): Promise<number> {
  while (performance.now() - since < DRAIN_LIMIT_MS) {
    const [row] = await db.query<{ pending: number }>(`select count(*)::int as pending from verigate_outbox where status = 'pending'`);
    if (app.inFlight!() === 0 && row.pending === 0) return performance.now() - since;
    await new Promise((r) => setTimeout(r, 50));
  }
  return NaN;
}

async function followAll(app: ExampleHost, traces: Trace[]): Promise<LinkCheck[]> {
  const queue = [...traces];
  const results: LinkCheck[] = [];
  let n = 0;
  await Promise.all(Array.from({ length: LINK_CONCURRENCY }, async () => {
    for (let t = queue.shift(); t; t = queue.shift()) {
      const i = n++;
      results.push(await followLink(app.origin, t.messages[0].link!, t.address, `10.250.${(i >> 8) & 255}.${i & 255}`)
        .catch((error: Error) => ({ address: t.address, opened: false, confirmed: false, problem: error.message })));
    }
  }));
  return results;
}

export async function run(): Promise<ScenarioReport> {
  const db = await createScratchDatabase('load_invariant');
  const prefix = redisPrefix('load-invariant');
  const sink = await startSlowSink(0);
  let app: ExampleHost | undefined;
  try {
    app = await startExampleHost(db, { pg: settings.databaseUrl, redis: settings.redisUrl }, prefix, secret, sink.url);
    const tag = randomBytes(4).toString('hex');
    const addressOf = (unique: string) => `li-${unique}@bench.test`;
    const seconds = Math.min(120, settings.seconds * settings.runs);
    // One sign-up first: proves the setup works and keeps first-request costs (templates, pools) out of the figures.
    const warm = await fetch(`${app.origin}/signup`, {
      method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json', 'x-forwarded-for': '10.255.0.1' },
      body: JSON.stringify({ email: addressOf(`${tag}-warm`), password: PASSWORD }),
    });
    if (warm.status !== 202) throw new Error(`the example app refused a sign-up: ${warm.status} ${(await warm.text()).slice(0, 200)}`);
    const before = await cpuSnapshot();
    const load = await runLoad({
      url: `${app.origin}/signup`, method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' },
      bodyTemplate: `{"email":"${addressOf('{n}')}","password":"${PASSWORD}"}`, uniquePrefix: `${tag}-`,
      distinctClients: true, recordOutcomes: true, connections: settings.connections, seconds,
    });
    const cpu = cpuPerRequest(before, await cpuSnapshot(), load.requests);
    const loadEnd = performance.now();
    const drainMs = await drain(app, db, loadEnd);

    const outcomes = new Map(Object.entries(load.outcomes ?? {}).map(([unique, status]) => [addressOf(unique), status]));
    outcomes.set(addressOf(`${tag}-warm`), warm.status);
    const delivered = await parseDelivered(sink.messages);
    const ours = (address: string) => address.startsWith(`li-${tag}-`) && address.endsWith('@bench.test');
    const result = await audit(db, outcomes, delivered, ours);
    const by = (answer: Trace['answer']) => result.traces.filter((t) => t.answer === answer);
    const accepted = by('accepted');
    const refused = by('refused');
    const unanswered = by('unanswered');

    const whole = accepted.filter(complete);
    const checks = await followAll(app, whole);
    const verified = new Set((await db.query<{ email: string }>('select lower(email) as email from verigate_verified_email')).map((r) => r.email));
    const working = checks.filter((c) => c.opened && c.confirmed && verified.has(c.address));

    const duplicates = result.traces.filter(duplicated);
    const losses = accepted.filter((t) => !complete(t) && !duplicated(t));
    const leftovers = refused.filter((t) => !empty(t));
    const halfWritten = unanswered.filter((t) => !empty(t) && !complete(t));
    const brokenLinks = checks.filter((c) => !(c.opened && c.confirmed && verified.has(c.address)));
    const violations = [
      ...duplicates.map((t) => `duplicate: ${describeTrace(t)}`),
      ...losses.map((t) => `loss: ${describeTrace(t)}`),
      ...leftovers.map((t) => `refused but left something: ${describeTrace(t)}`),
      ...halfWritten.map((t) => `unanswered and half-written: ${describeTrace(t)}`),
      ...brokenLinks.map((c) => `link does not work: ${c.address}: ${c.problem ?? 'no verified pair recorded'}`),
      ...(result.sentWithoutMessage.length ? [`${result.sentWithoutMessage.length} outbox row(s) marked sent without a delivered message`] : []),
      ...(result.messagesWithoutRow ? [`${result.messagesWithoutRow} message(s) naming no outbox row`] : []),
      ...(result.repeatedMessageIds ? [`${result.repeatedMessageIds} Message-ID(s) delivered more than once`] : []),
      ...(result.foreign ? [`${result.foreign} row(s) or message(s) for addresses outside this run`] : []),
      ...(Number.isNaN(drainMs) ? [`outbox not drained within ${DRAIN_LIMIT_MS / 1000} s`] : []),
      // Nothing accepted proves nothing: a run too short for this machine must not pass as "holds".
      ...(accepted.length < 2 ? ['no sign-up of the load run was accepted (raise BENCH_SECONDS)'] : []),
    ];
    const holds = violations.length === 0;

    const refusedBy = Object.entries(refused.reduce<Record<string, number>>((acc, t) => ({ ...acc, [t.status!]: (acc[t.status!] ?? 0) + 1 }), {}))
      .map(([status, n]) => `${n} × ${status}`).join(', ');
    const figures: Figures = {
      name: `POST /signup, unique addresses, SMTP sink (${seconds} s, ${settings.connections} connections)`,
      rps: load.rps, p50: load.p50, p99: load.p99, pg: NaN, redis: NaN, appUs: cpu.appUs, pgUs: cpu.pgUs,
      runs: [], failures: refused.length + load.errors + load.timeouts, exhausted: 0,
    };
    const fact = (label: string, value: string): Check => ({ label, value, target: '', met: null });
    const zero = (label: string, items: unknown[]): Check => ({ label, value: String(items.length), target: '0', met: items.length === 0 });
    const statuses = Object.entries(result.rows.outboxByStatus).map(([s, n]) => `${n} ${s}`).join(', ') || 'none';
    return {
      id: 'f', title, figures: [figures], ratios: new Map(),
      checks: [
        fact('sign-ups answered (one before the load): accepted (2xx/3xx) / refused', `${accepted.length} / ${refused.length}${refusedBy ? ` (${refusedBy})` : ''}`),
        fact('sign-ups never answered (in flight at the end, errors, timeouts)', `${unanswered.length} (${unanswered.filter(complete).length} complete, ${unanswered.filter(empty).length} left nothing)`),
        fact('rows: users / link rows / outbox rows', `${result.rows.users} / ${result.rows.tokens} / ${result.rows.outbox} (${statuses})`),
        fact('messages delivered to the SMTP sink', String(result.rows.messages)),
        fact('drain time after the load ended', Number.isNaN(drainMs) ? `> ${DRAIN_LIMIT_MS / 1000} s` : `${fmt.ms(drainMs)} ms`),
        { label: 'accepted sign-ups with exactly one user, link row, sent outbox row and message', value: `${whole.length} of ${accepted.length}`, target: 'all', met: whole.length === accepted.length && accepted.length > 0 },
        zero('duplicates (an address with two of anything)', duplicates),
        zero('losses (an accepted address missing a row or its message)', losses),
        zero('refused sign-ups that left a row or a message', leftovers),
        zero('unanswered sign-ups half-written', halfWritten),
        { label: 'links checked: GET renders, POST confirms, verified pair recorded', value: `${working.length} of ${checks.length}`, target: 'all', met: checks.length > 0 && working.length === checks.length },
        { label: 'invariant', value: holds ? 'holds' : `violated (${violations.length})`, target: 'holds', met: holds },
      ],
      notes: [
        `Each sign-up is a JSON POST /signup of a fresh address from its own client address (X-Forwarded-For, trusted from loopback), so the per-IP and per-recipient limits see many clients, as in scenario d. The example app inserts the user and queues the first link in one transaction; the worker sends through a pooled transport to an SMTP sink that accepts at once. Addresses are matched to their rows by address, to their outbox rows through the row id in each message's Message-ID (a sent row's recipient is masked). Every link of a complete sign-up is followed.`,
        ...(holds ? [] : ['', '**Violations** (first 20):', '', ...violations.slice(0, 20).map((v) => `- ${v}`)]),
      ],
    };
  } finally {
    await app?.close().catch((error: Error) => console.error(`closing the example app: ${error.message}`));
    await sink.stop();
    await db.drop();
    await cleanRedisPrefix(prefix);
  }
}
