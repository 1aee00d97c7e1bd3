/**
 * e. Scale: confirm latency with 10 thousand vs 1 million rows in `verigate_token` (target: p50 and
 * p99 ratios ≤ 1.2), then `vg.purge()` on the large table: rows and pg_total_relation_size before
 * and after, after VACUUM, and after a second fill + purge (is the space reused, the size bounded?).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { migrate } from '../../plugin/index.ts';
import { checked, measure, onServer } from '../lib/compare.ts';
import { benchVerigate, confirmHost, type ConfirmHost } from '../lib/hosts.ts';
import { fmt, ratioCheck, type ScenarioReport } from '../lib/report.ts';
import { cleanRedisPrefix, createScratchDatabase, redisPrefix, type ScratchDatabase } from '../lib/services.ts';
import { settings } from '../lib/settings.ts';
import { tokenSupply } from '../lib/tokens.ts';
import { assertConfirms, confirmVariant } from './confirm.ts';

export const title = 'Scale: confirm with 10 thousand vs 1 million token rows, and the purge';

/**
 * Old rows, as months of traffic leave them: 3 in 4 used, the rest never clicked; all expired
 * 29 days ago, so past the default 7-day retention. One INSERT … generate_series.
 */
const FILL = `insert into verigate_token (id, purpose, user_id, user_id_type, email, token_hash, code_attempts, created_at, expires_at, used_at)
  select gen_random_uuid(), 'verify', 'filler-' || $2::text || i, 'string', 'filler-' || i || '@bench.test',
         encode(sha256(('filler-' || $2::text || i)::bytea), 'hex'), 0, now() - interval '30 days', now() - interval '29 days',
         case when i % 4 = 0 then null else now() - interval '29 days 12 hours' end
  from generate_series(1, $1::int) as i`;

async function fill(db: ScratchDatabase, rows: number, round: string): Promise<number> {
  const t0 = performance.now();
  await db.query(FILL, [rows, round]);
  await db.query('vacuum analyze verigate_token');
  return (performance.now() - t0) / 1000;
}

interface TableFacts { rows: number; bytes: number }

async function tableFacts(db: ScratchDatabase): Promise<TableFacts> {
  const [row] = await db.query<{ rows: number; bytes: string }>(`select (select count(*)::int from verigate_token) as rows, pg_total_relation_size('verigate_token') as bytes`);
  return { rows: row.rows, bytes: Number(row.bytes) };
}

const describe = (f: TableFacts) => `${f.rows.toLocaleString('en-US')} rows, ${fmt.bytes(f.bytes)}`;

export async function run(): Promise<ScenarioReport> {
  const small = await createScratchDatabase('scale_small');
  const large = await createScratchDatabase('scale_large');
  const prefix = redisPrefix('scale');
  const secret = randomBytes(32).toString('base64url');
  try {
    const fills: number[] = [];
    for (const [db, rows] of [[small, settings.scaleSmallRows], [large, settings.scaleLargeRows]] as const) {
      const pool = new pg.Pool({ connectionString: db.url, max: 1 });
      await migrate(pool as never);
      await pool.end();
      fills.push(await fill(db, rows, 'a'));
    }
    const supplies = [tokenSupply(small, secret), tokenSupply(large, secret)];
    const figures = await measure(async (urls) => {
      const hosts: ConfirmHost[] = [];
      for (const db of [small, large]) hosts.push(await confirmHost('database', { pg: onServer(db.url, urls.pg), redis: urls.redis }, secret, prefix));
      await checked(hosts, async () => { for (let i = 0; i < 2; i++) await assertConfirms(hosts[i], supplies[i]); });
      return {
        variants: [
          confirmVariant(`confirm, ${settings.scaleSmallRows.toLocaleString('en-US')} rows in verigate_token`, hosts[0], supplies[0]),
          confirmVariant(`confirm, ${settings.scaleLargeRows.toLocaleString('en-US')} rows in verigate_token`, hosts[1], supplies[1]),
        ],
        async close() { for (const host of hosts) await host.close(); },
      };
    }, { pg: settings.databaseUrl, redis: settings.redisUrl });
    const [few, many] = figures;

    // The purge, on the large table, through verigate's own API; then two more periods of the same
    // traffic, to see whether the freed space is reused (PostgreSQL recycles freed index pages only
    // from the VACUUM after the one that freed them).
    const vg = benchVerigate(secret, { database: large.url });
    await vg.ready();
    const cycles: { filled: TableFacts; fillSeconds: number; deleted: number; purgeSeconds: number; purged: TableFacts; vacuumed: TableFacts }[] = [];
    for (const round of ['a', 'b', 'c']) {
      const fillSeconds = round === 'a' ? fills[1] : await fill(large, settings.scaleLargeRows, round);
      const filled = await tableFacts(large);
      const t0 = performance.now();
      const { tokens: deleted } = await vg.purge();
      const purgeSeconds = (performance.now() - t0) / 1000;
      const purged = await tableFacts(large);
      await large.query('vacuum verigate_token');
      cycles.push({ filled, fillSeconds, deleted, purgeSeconds, purged, vacuumed: await tableFacts(large) });
    }
    await vg.close();
    const [first, second, third] = cycles;

    return {
      id: 'e', title, figures,
      ratios: new Map([[many.name, [many.p50 / few.p50, `p50, ${fmt.ratio(many.p99 / few.p99)}× p99 of ${settings.scaleSmallRows.toLocaleString('en-US')} rows`]]]),
      checks: [
        ratioCheck('confirm p50, 1M / 10k rows', many.p50 / few.p50, '≤ 1.2', (r) => r <= 1.2),
        ratioCheck('confirm p99, 1M / 10k rows', many.p99 / few.p99, '≤ 1.2', (r) => r <= 1.2),
        { label: 'table size when filled: 3rd vs 2nd period of 1M rows', value: `${fmt.bytes(third.filled.bytes)} vs ${fmt.bytes(second.filled.bytes)} (1st ${fmt.bytes(first.filled.bytes)})`, target: 'bounded (no growth)', met: third.filled.bytes <= second.filled.bytes * 1.05 },
      ],
      notes: [
        `Filler rows: one \`INSERT … SELECT … generate_series\` each (${fills.map((f) => `${f.toFixed(1)} s`).join(' and ')} with VACUUM ANALYZE), 3 in 4 used, all expired 29 days ago. Every run adds its own fresh tokens on top (up to ${supplies[0].largestIssue.toLocaleString('en-US')} on the small table) and deletes them afterwards.`,
        '', '| `verigate_token` (large) | filled | after `vg.purge()` | after VACUUM |', '| --- | --- | --- | --- |',
        ...cycles.map((c, i) => `| period ${i + 1}: ${c.deleted.toLocaleString('en-US')} rows purged in ${c.purgeSeconds.toFixed(1)} s (filled in ${c.fillSeconds.toFixed(1)} s) | ${describe(c.filled)} | ${describe(c.purged)} | ${describe(c.vacuumed)} |`),
        '', 'DELETE alone never shrinks the files. VACUUM (autovacuum, in production) truncates the emptied heap and marks the index pages free, but PostgreSQL hands freed B-tree pages out again only after a later VACUUM, so the second period grows the indexes once more; from then on each period reuses the space of the one before, and the size stays flat instead of growing with every period. Only VACUUM FULL would return the space to the operating system.',
      ],
    };
  } finally {
    await small.drop();
    await large.drop();
    await cleanRedisPrefix(prefix);
  }
}
