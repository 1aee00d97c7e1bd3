/**
 * b. Confirm: every request consumes one fresh, pre-issued token. verigate's POST /verify/confirm,
 * on its own pg pool (`database`) and on the host's MikroORM (`em`), against a bare Express route
 * doing the same HMAC and one conditional UPDATE … RETURNING with pg. Target: ≥ 0.8 of the bare route.
 */
import { randomBytes } from 'node:crypto';
import { checked, measure, onServer, type Variant } from '../lib/compare.ts';
import { bareConfirmHost, confirmHost, type ConfirmHost } from '../lib/hosts.ts';
import { ratioCheck, type ScenarioReport } from '../lib/report.ts';
import { cleanRedisPrefix, createScratchDatabase, redisPrefix } from '../lib/services.ts';
import { confirmBodies, tokenSupply, type TokenSupply } from '../lib/tokens.ts';
import { settings } from '../lib/settings.ts';

export const title = 'Confirm with fresh tokens: verigate vs a bare pg route';

const JSON_HEADERS = { 'content-type': 'application/json', accept: 'application/json' };

/** A confirm variant: each run gets its own fresh tokens; afterwards the table is cleared again. */
export function confirmVariant(name: string, host: ConfirmHost, supply: TokenSupply): Variant {
  return {
    name,
    async spec(plan) {
      const tokens = await supply.issue(plan.expected);
      return { url: `${host.origin}${host.path}`, method: 'POST', headers: JSON_HEADERS, bodies: confirmBodies(tokens), distinctClients: true };
    },
    after: () => supply.clear(),
  };
}

/** One token through the endpoint, so a broken setup fails loudly instead of measuring error pages. */
export async function assertConfirms(host: ConfirmHost, supply: TokenSupply): Promise<void> {
  const [token] = await supply.issue(1);
  const res = await fetch(`${host.origin}${host.path}`, { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify({ token }) });
  if (res.status !== 200) throw new Error(`${host.path} answered ${res.status}: ${await res.text()}`);
  await supply.clear();
}

export async function run(): Promise<ScenarioReport> {
  const db = await createScratchDatabase('confirm');
  const secret = randomBytes(32).toString('base64url');
  const supply = tokenSupply(db, secret);
  const prefix = redisPrefix('confirm');
  try {
    const figures = await measure(async (urls) => {
      const url = onServer(db.url, urls.pg);
      const ownPool = await confirmHost('database', { pg: url, redis: urls.redis }, secret, prefix); // also migrates the scratch database
      const hosts = [await bareConfirmHost(url, supply.hashKey), ownPool, await confirmHost('em', { pg: url, redis: urls.redis }, secret, prefix)];
      await checked(hosts, async () => { for (const host of hosts) await assertConfirms(host, supply); });
      return {
        variants: [
          confirmVariant('bare Express + pg: HMAC, one UPDATE … RETURNING', hosts[0], supply),
          confirmVariant('verigate POST /verify/confirm, own pool (`database`)', hosts[1], supply),
          confirmVariant('verigate POST /verify/confirm, MikroORM (`em`)', hosts[2], supply),
        ],
        async close() { for (const host of hosts) await host.close(); },
      };
    }, { pg: db.url, redis: settings.redisUrl });
    const [bare, own, em] = figures;
    return {
      id: 'b', title, figures,
      ratios: new Map([[own.name, [own.rps / bare.rps, 'of bare']], [em.name, [em.rps / bare.rps, 'of bare']]]),
      checks: [
        ratioCheck('confirm, own pool / bare route req/s', own.rps / bare.rps, '≥ 0.8', (r) => r >= 0.8),
        ratioCheck('confirm, MikroORM / bare route req/s', em.rps / bare.rps, '≥ 0.8', (r) => r >= 0.8),
      ],
      notes: [
        'Each request consumes a different token, issued in bulk before the run straight into `verigate_token` (one open link per user, hashed with verigate\'s keyed HMAC); the table is emptied and vacuumed after every run. The bare route parses JSON, checks the token\'s shape, hashes it and runs one parameterised `UPDATE … RETURNING` through `pg.Pool` (max 10, unnamed statement); verigate\'s pool also holds 10.',
        'No session middleware: a link opened in a fresh browser. verigate runs with Redis (limits, session index) and its default limits; `trust proxy` is on for loopback and every request carries its own X-Forwarded-For, so the per-IP limit counts as for distinct clients rather than refusing one flooding IP. After a successful confirm verigate also looks up the user\'s indexed sessions to end them (see the commands per request).',
      ],
    };
  } finally {
    await db.drop();
    await cleanRedisPrefix(prefix);
  }
}
