/**
 * c. Side by side with Better Auth on the same PostgreSQL: its session-checked protected route vs
 * our gated route, and its verify-email endpoint vs our confirm (target: ours ≥ 3× its req/s),
 * with the round trips each makes. Also checks whether a verify-email token works twice.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { checked, measure, onServer, type Variant } from '../lib/compare.ts';
import { betterAuthHost, type BetterAuthHost } from '../lib/better-auth-host.ts';
import { confirmHost, sessionHost, type ConfirmHost } from '../lib/hosts.ts';
import { fmt, ratioCheck, type ScenarioReport } from '../lib/report.ts';
import { cleanRedisPrefix, createScratchDatabase, redisPrefix, type ScratchDatabase } from '../lib/services.ts';
import { settings } from '../lib/settings.ts';
import { tokenSupply, type TokenSupply } from '../lib/tokens.ts';
import { assertConfirms, confirmVariant } from './confirm.ts';

export const title = 'Side by side with Better Auth';

function verifyEmailVariant(ba: BetterAuthHost): Variant {
  return {
    name: 'Better Auth GET /api/auth/verify-email?token=… (fresh token)',
    async spec(plan) {
      const tokens = await ba.freshTokens(plan.expected);
      return { url: `${ba.origin}/api/auth/verify-email`, paths: tokens.map((t) => `/api/auth/verify-email?token=${t}`) };
    },
    after: () => ba.clear(),
  };
}

/** Uses one token twice on each side and reports the answers. */
async function replay(ba: BetterAuthHost, ours: ConfirmHost, supply: TokenSupply): Promise<{ theirs: number[]; ours: number[] }> {
  const [jwt] = await ba.freshTokens(1);
  const theirs = [];
  for (let i = 0; i < 2; i++) theirs.push((await fetch(`${ba.origin}/api/auth/verify-email?token=${jwt}`)).status);
  const [token] = await supply.issue(1);
  const statuses = [];
  for (let i = 0; i < 2; i++) {
    statuses.push((await fetch(`${ours.origin}${ours.path}`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify({ token }) })).status);
  }
  await ba.clear();
  await supply.clear();
  return { theirs, ours: statuses };
}

async function gatedCookie(db: ScratchDatabase, login: (u: { id: string; email: string }) => Promise<string>, origin: string): Promise<string> {
  const user = { id: randomUUID(), email: `verified-${randomBytes(4).toString('hex')}@bench.test` };
  await db.query('insert into verigate_verified_email (user_id, email, verified_at) values ($1, $2, now())', [user.id, user.email]);
  const cookie = await login(user);
  if ((await fetch(`${origin}/gated`, { headers: { cookie } })).status !== 200) throw new Error('gate refused a verified user');
  return cookie;
}

export async function run(): Promise<ScenarioReport> {
  const db = await createScratchDatabase('betterauth');
  const prefix = redisPrefix('betterauth');
  const secret = randomBytes(32).toString('base64url');
  const supply = tokenSupply(db, secret);
  let replayed: { theirs: number[]; ours: number[] } | undefined;
  try {
    const figures = await measure(async (urls) => {
      const url = onServer(db.url, urls.pg);
      const ours = await confirmHost('database', { pg: url, redis: urls.redis }, secret, prefix);
      const gate = await sessionHost({ pg: url, redis: urls.redis }, prefix, secret);
      const ba = await betterAuthHost(url, randomBytes(32).toString('base64url'));
      let cookie = '';
      let baCookie = '';
      await checked([ba, gate, ours], async () => {
        await assertConfirms(ours, supply);
        [cookie, baCookie] = [await gatedCookie(db, gate.login, gate.origin), await ba.signedInCookie()];
        if ((await fetch(`${ba.origin}/protected`, { headers: { cookie: baCookie } })).status !== 200) throw new Error('Better Auth refused its own session');
        replayed ??= await replay(ba, ours, supply);
      });
      return {
        variants: [
          { name: 'Better Auth GET /protected (auth.api.getSession)', spec: () => ({ url: `${ba.origin}/protected`, headers: { cookie: baCookie } }) },
          { name: 'verigate GET /gated (requireVerified, Redis session)', spec: () => ({ url: `${gate.origin}/gated`, headers: { cookie } }) },
          verifyEmailVariant(ba),
          confirmVariant('verigate POST /verify/confirm (fresh token, own pool)', ours, supply),
        ],
        async close() { await ba.close(); await gate.close(); await ours.close(); },
      };
    }, { pg: db.url, redis: settings.redisUrl });
    const [baSession, gated, baVerify, confirm] = figures;
    const twice = replayed!.theirs.every((s) => s === 200);
    return {
      id: 'c', title, figures,
      ratios: new Map([[gated.name, [gated.rps / baSession.rps, 'of BA getSession']], [confirm.name, [confirm.rps / baVerify.rps, 'of BA verify-email']]]),
      checks: [
        ratioCheck('our gated route / its getSession route req/s', gated.rps / baSession.rps, 'report', () => true),
        ratioCheck('our confirm / its verify-email req/s', confirm.rps / baVerify.rps, '≥ 3×', (r) => r >= 3),
      ].map((c, i) => (i === 0 ? { ...c, met: null } : c)),
      notes: [
        `Round trips per request: Better Auth getSession ${fmt.per(baSession.pg)} PostgreSQL command(s), our gate ${fmt.per(gated.pg)} PostgreSQL + ${fmt.per(gated.redis)} Redis (the host's session GET and touch); Better Auth verify-email ${fmt.per(baVerify.pg)} PostgreSQL command(s), our confirm ${fmt.per(confirm.pg)}.`,
        '**Better Auth\'s verify-email tokens are stateless JWTs** (HS256 over the email and user id, 1 h by default): nothing is stored or consumed, so a token stays usable until it expires. '
          + `The same token verified twice here: ${replayed!.theirs.join(', then ')} (${twice ? 'accepted both times; the second is a no-op for an already verified user' : 'refused the second time'}). `
          + `verigate's single-use token, twice: ${replayed!.ours.join(', then ')} (409 = TOKEN_USED).`,
        '**Its getSession did not use a cookie cache** (`session.cookieCache` is off by default, and was left off): each call reads the session and its user from PostgreSQL. With the cache on it would read neither until the cache cookie expires (5 min by default), at the price of seeing revocations late.',
        'Better Auth runs through `toNodeHandler` (`/api/auth/*splat`) with `rateLimit: { enabled: false }` and telemetry off; its users for verify-email are written in bulk beforehand, unverified, each token signed as its own emails sign them (`createEmailVerificationToken`).',
      ],
    };
  } finally {
    await db.drop();
    await cleanRedisPrefix(prefix);
  }
}
