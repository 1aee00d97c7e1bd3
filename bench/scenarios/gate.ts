/**
 * a. The gate's hot path: a verified user on a route behind `requireVerified`, against the very
 * same route without it, on a typical Passport host (sessions in Redis through connect-redis).
 * Target: ≥ 0.97 of the ungated throughput, and no database or Redis command added.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { checked, measure, onServer, type ServiceUrls } from '../lib/compare.ts';
import { sessionHost } from '../lib/hosts.ts';
import { fmt, ratioCheck, type ScenarioReport } from '../lib/report.ts';
import { cleanRedisPrefix, createScratchDatabase, redisPrefix } from '../lib/services.ts';

export const title = 'Gate: verified user, route with vs without requireVerified';

export async function run(): Promise<ScenarioReport> {
  const db = await createScratchDatabase('gate');
  const prefix = redisPrefix('gate');
  const secret = randomBytes(32).toString('base64url');
  try {
    const figures = await measure(async (urls: ServiceUrls) => {
      const host = await sessionHost({ pg: onServer(db.url, urls.pg), redis: urls.redis }, prefix, secret);
      const user = { id: randomUUID(), email: `verified-${randomBytes(4).toString('hex')}@bench.test` };
      let cookie = '';
      await checked([host], async () => {
        await db.query('insert into verigate_verified_email (user_id, email, verified_at) values ($1, $2, now())', [user.id, user.email]);
        cookie = await host.login(user);
        // The first gated request checks the database once and caches the verified pair in the session.
        const first = await fetch(`${host.origin}/gated`, { headers: { cookie } });
        if (first.status !== 200) throw new Error(`gate refused a verified user: ${first.status}`);
      });
      const get = (path: string) => () => ({ url: `${host.origin}${path}`, headers: { cookie } });
      return {
        variants: [
          { name: 'GET /open (same route, no requireVerified)', spec: get('/open') },
          { name: 'GET /gated (requireVerified, verified user)', spec: get('/gated') },
        ],
        close: () => host.close(),
      };
    });
    const [open, gated] = figures;
    const added = { pg: gated.pg - open.pg, redis: gated.redis - open.redis };
    return {
      id: 'a', title, figures,
      ratios: new Map([[gated.name, [gated.rps / open.rps, 'of /open']]]),
      checks: [
        ratioCheck('gated / ungated req/s', gated.rps / open.rps, '≥ 0.97', (r) => r >= 0.97),
        { label: 'commands added by the gate (PG, Redis per request)', value: `${fmt.per(added.pg)}, ${fmt.per(added.redis)}`, target: '0, 0', met: Math.abs(added.pg) < 0.01 && Math.abs(added.redis) < 0.01 },
      ],
      notes: [
        'Host: Express 5, express-session with connect-redis (GET the session, and EXPIRE to touch it, per request), Passport keeping `{ id, email }` in the session. The first gated request of a session reads the verified pair from PostgreSQL and caches it in the session; the figures are the hot path after that.',
      ],
    };
  } finally {
    await db.drop();
    await cleanRedisPrefix(prefix);
  }
}
