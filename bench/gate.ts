/**
 * Throughput and latency of the gate and the confirm endpoint, with autocannon against loopback.
 * Needs the real services: PostgreSQL (BENCH_DATABASE_URL, a server where it may create a scratch
 * database) and Redis (BENCH_REDIS_URL) for connect-redis sessions, as in production.
 *
 *   npm run bench              # 10 s per scenario
 *   BENCH_SECONDS=3 npm run bench
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import autocannon from 'autocannon';
import { RedisStore } from 'connect-redis';
import express from 'express';
import session from 'express-session';
import { Redis } from 'ioredis';
import { MikroORM } from '@mikro-orm/postgresql';
import { emailVerification, migrate } from '../plugin/index.ts';
import { verigateEntities } from '../src/entities/index.ts';

const PG = process.env.BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const REDIS = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 20);

const dbName = `verigate_bench_${randomBytes(4).toString('hex')}`;
const admin = await MikroORM.init({ clientUrl: PG, entities: [...verigateEntities] });
await admin.em.execute(`create database ${dbName}`);
const url = new URL(PG);
url.pathname = `/${dbName}`;
const orm = await MikroORM.init({ clientUrl: url.href, entities: [...verigateEntities], pool: { min: 2, max: 10 } });
await migrate(orm.em);
const redis = new Redis(REDIS);
const prefix = `verigate-bench:${randomBytes(4).toString('hex')}:`;

const vg = emailVerification({
  baseUrl: 'https://bench.test/verify', secret: randomBytes(32).toString('base64url'), em: orm.em,
  mail: { from: 'bench@bench.test', transport: { sendMail: async () => ({}) } },
  getUser: (req) => req.session?.user ?? null, worker: { autoStart: false }, environment: 'production',
});
const app = express();
// Counted so shutdown waits for handlers still running when autocannon stops.
let inFlight = 0;
app.use((req, res, next) => { inFlight++; res.on('close', () => { inFlight--; }); next(); });
app.use(session({ store: new RedisStore({ client: redis, prefix }), secret: 'bench', resave: false, saveUninitialized: false }));
app.post('/login', express.json(), (req, res) => { (req.session as any).user = req.body; res.end(); });
app.get('/open', (req, res) => { res.send('ok'); });
app.get('/gated', vg.requireVerified, (req, res) => { res.send('ok'); });
app.use('/verify', vg.router);
const server = app.listen(0, '127.0.0.1');
await new Promise((resolve) => server.once('listening', resolve));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

async function login(user: { id: string; email: string }): Promise<string> {
  const res = await fetch(`${base}/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(user) });
  return res.headers.get('set-cookie')!.split(';')[0];
}
const verified = { id: randomUUID(), email: 'verified@bench.test' };
const unverified = { id: randomUUID(), email: 'unverified@bench.test' };
await orm.em.execute('insert into verigate_verified_email (user_id, email, verified_at) values (?, ?, now())', [verified.id, verified.email]);
const verifiedCookie = await login(verified);
const unverifiedCookie = await login(unverified);
await fetch(`${base}/gated`, { headers: { cookie: verifiedCookie } }); // warm the session cache

const scenarios: Array<[string, autocannon.Options]> = [
  ['GET /open (session only, no gate)', { url: `${base}/open`, headers: { cookie: verifiedCookie } }],
  ['GET /gated, verified (hot path)', { url: `${base}/gated`, headers: { cookie: verifiedCookie } }],
  ['GET /gated, unverified (DB re-check)', { url: `${base}/gated`, headers: { cookie: unverifiedCookie } }],
  ['POST /verify/confirm, junk token', { url: `${base}/verify/confirm`, method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: '{"token":"junk"}' }],
  ['POST /verify/confirm, unknown token', { url: `${base}/verify/confirm`, method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify({ token: 'A'.repeat(43) }) }],
];

// Warm up JIT, pools and the session cache so the first scenario is not penalised.
for (const [, options] of scenarios) await autocannon({ ...options, connections: CONNECTIONS, duration: 1 });

const rows: string[] = [];
for (const [name, options] of scenarios) {
  const result = await autocannon({ ...options, connections: CONNECTIONS, duration: SECONDS });
  const non2xx = result.non2xx;
  rows.push(`| ${name.padEnd(38)} | ${String(Math.round(result.requests.average)).padStart(7)} | ${String(result.latency.p50).padStart(5)} | ${String(result.latency.p99).padStart(5)} | ${String(non2xx).padStart(7)} | ${String(result.errors).padStart(6)} |`);
}
console.log(`\nverigate bench: ${CONNECTIONS} connections, ${SECONDS} s each, Node ${process.version}, loopback\n`);
console.log('| scenario                               |   req/s | p50ms | p99ms | non-2xx | errors |');
console.log('|----------------------------------------|---------|-------|-------|---------|--------|');
for (const row of rows) console.log(row);
console.log('\nnon-2xx is expected for the unverified (302) and token (4xx) scenarios.');

server.closeAllConnections();
await new Promise((resolve) => server.close(resolve));
while (inFlight > 0) await new Promise((resolve) => setTimeout(resolve, 20));
await vg.close();
const keys = await redis.keys(`${prefix}*`);
if (keys.length) await redis.del(...keys);
redis.disconnect();
await orm.close();
await admin.em.execute(`drop database ${dbName} with (force)`);
await admin.close();
