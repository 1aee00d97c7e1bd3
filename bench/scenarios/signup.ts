/**
 * d. Sign-up through the example app (user row and first link in one transaction, mail through the
 * outbox) with an SMTP server that takes 2 s per message, against the same app without SMTP (its
 * dev mailbox). Targets: HTTP p99 within 50 ms of the no-SMTP run; the outbox worker delivers at
 * ≥ 0.8 of the rate nodemailer reaches sending the same messages directly.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import nodemailer from 'nodemailer';
import { checked, measure, type ServiceUrls, type Setup, type Variant } from '../lib/compare.ts';
import { startExampleHost, type ExampleHost } from '../lib/example-host.ts';
import { fmt, ratioCheck, type ScenarioReport } from '../lib/report.ts';
import { cleanRedisPrefix, createScratchDatabase, redisPrefix, type ScratchDatabase } from '../lib/services.ts';
import { settings } from '../lib/settings.ts';
import { deliveryRate, startSlowSink, type SmtpSink } from '../lib/smtp-sink.ts';

export const title = 'Sign-up through the example app with a 2 s SMTP server';

const SMTP_DELAY_MS = 2000;
const secret = randomBytes(32).toString('base64url');

type App = ExampleHost;
const startApp = (db: ScratchDatabase, urls: ServiceUrls, prefix: string, smtpUrl?: string) => startExampleHost(db, urls, prefix, secret, smtpUrl);

const pending = async (db: ScratchDatabase) =>
  (await db.query<{ n: number }>(`select count(*)::int as n from verigate_outbox where status = 'pending'`))[0].n;

function signupVariant(name: string, app: App): Variant {
  return {
    name,
    spec: () => ({
      url: `${app.origin}/signup`, method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' },
      bodyTemplate: '{"email":"su-{n}@bench.test","password":"correct horse battery staple"}',
      uniquePrefix: `${randomBytes(4).toString('hex')}-`, distinctClients: true,
    }),
    // Counting pass only: wait until the worker has sent this pass's mail, so its statements count too.
    async settle() {
      const deadline = Date.now() + 60_000;
      while ((await pending(app.db)) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    },
  };
}

/** Sends the same raw messages with one pooled nodemailer transport, as many connections as the worker's batch. */
async function nodemailerRate(raws: { from: string; to: string[]; raw: Buffer }[], connections: number): Promise<number> {
  const sink = await startSlowSink(SMTP_DELAY_MS);
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port: sink.port, secure: false, ignoreTLS: true, pool: true, maxConnections: connections, maxMessages: 1000 });
  try {
    const t0 = performance.now();
    await Promise.all(raws.map((m) => transport.sendMail({ envelope: { from: m.from, to: m.to }, raw: m.raw })));
    return (await deliveryRate(sink, t0, performance.now(), 1000)).perSecond;
  } finally {
    transport.close();
    await sink.stop();
  }
}

export async function run(): Promise<ScenarioReport> {
  const slowDb = await createScratchDatabase('signup_smtp');
  const noneDb = await createScratchDatabase('signup_none');
  const prefix = redisPrefix('signup');
  const sink = await startSlowSink(SMTP_DELAY_MS);
  let delivery: { worker: number; direct: number; messages: number; backlog: number; batch: number } | undefined;
  try {
    const figures = await measure(async (urls) => {
      const slow = await startApp(slowDb, urls, `${prefix}slow:`, sink.url);
      const none = await startApp(noneDb, urls, `${prefix}none:`);
      await checked([slow, none], async () => { for (const app of [slow, none]) {
        const res = await fetch(`${app.origin}/signup`, {
          method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' },
          body: JSON.stringify({ email: `first-${randomBytes(4).toString('hex')}@bench.test`, password: 'correct horse battery staple' }),
        });
        if (res.status !== 202) throw new Error(`the example app refused a sign-up: ${res.status} ${(await res.text()).slice(0, 200)}`);
      } });
      return {
        variants: [signupVariant('POST /signup, no SMTP (dev mailbox)', none), signupVariant('POST /signup, SMTP sink 2 s per message', slow)],
        apps: { slow },
        async close() {
          await slow.close();
          await none.close();
          // Left-over mail would be picked up by the next setup's worker: start each setup empty.
          for (const db of [slowDb, noneDb]) await db.query('delete from verigate_outbox');
        },
      } as Setup & { apps: { slow: App } };
    }, { pg: settings.databaseUrl, redis: settings.redisUrl }, {
      countAmount: Math.min(settings.countRequests, 40),
      async afterTimed(setup) {
        const { slow } = (setup as Setup & { apps: { slow: App } }).apps;
        // Keep the worker busy for the whole window: a backlog of at least (window / 2 s + 2) batches.
        const batch = slow.example.vg.config.worker.batchSize;
        const want = batch * (Math.ceil(settings.deliverySeconds / (SMTP_DELAY_MS / 1000)) + 2);
        const backlog = await pending(slowDb);
        for (let i = backlog; i < want; i++) await slow.example.vg.sendVerification({ id: randomUUID(), email: `top-up-${i}-${randomBytes(3).toString('hex')}@bench.test` });
        const from = performance.now();
        await new Promise((r) => setTimeout(r, settings.deliverySeconds * 1000));
        const worker = await deliveryRate(sink, from, performance.now(), SMTP_DELAY_MS * 3);
        await slow.close(); // the worker stops before nodemailer runs alone
        const direct = await nodemailerRate(worker.messages, batch);
        delivery = { worker: worker.perSecond, direct, messages: worker.messages.length, backlog: Math.max(backlog, want), batch };
      },
    });
    const [none, smtp] = figures;
    const d = delivery!;
    return {
      id: 'd', title, figures,
      ratios: new Map([[smtp.name, [smtp.rps / none.rps, 'of no SMTP']]]),
      checks: [
        { label: 'HTTP p99, 2 s SMTP minus no SMTP', value: `${(smtp.p99 - none.p99).toFixed(1)} ms (${fmt.ms(smtp.p99)} vs ${fmt.ms(none.p99)})`, target: 'within ±50 ms', met: Math.abs(smtp.p99 - none.p99) <= 50 },
        ratioCheck(`outbox worker / nodemailer direct delivery rate (${d.worker.toFixed(2)} vs ${d.direct.toFixed(2)} msg/s)`, d.worker / d.direct, '≥ 0.8', (r) => r >= 0.8),
      ],
      notes: [
        `Sign-up = JSON POST /signup of a fresh address: the example app checks the address is free, hashes the password (scrypt N=2^15, the dominant cost), inserts the user and the verification link + outbox row in one transaction, and signs the new user in (session in Redis). NODE_ENV=test for both apps (no-SMTP mode needs it), so templates are not cached. Commands per request include the worker's statements for that sign-up's email (the counting pass waits until the outbox is empty).`,
        `Delivery: the sink takes ${SMTP_DELAY_MS / 1000} s to accept each message. The worker's rate counts the ${d.messages} messages whose transfer began in a ${settings.deliverySeconds} s window (BENCH_DELIVERY_SECONDS) with a backlog of at least ${d.backlog} pending, divided by the time from the first start to the last acceptance; nodemailer then sends the same raw messages through one pooled transport with as many connections as the worker's batch (${d.batch}, the default worker.batchSize) to a fresh sink with the same delay, measured the same way. The worker sends a batch concurrently and claims the next when the whole batch is done.`,
      ],
    };
  } finally {
    await sink.stop();
    await slowDb.drop();
    await noneDb.drop();
    await cleanRedisPrefix(prefix);
  }
}
