import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import os from 'node:os';
import { createRequire } from 'node:module';
import { scenarioMarkdown, type ScenarioReport } from './report.ts';
import { serverVersions } from './services.ts';
import { settings } from './settings.ts';

export interface EnvironmentFacts {
  date: string;
  loadavg: string;
  cpus: number;
  cpuModel: string;
  memory: string;
  node: string;
  postgres: string;
  redis: string;
  verigate: string;
  betterAuth: string;
  autocannon: string;
}

const require = createRequire(import.meta.url);

/** The version of an installed package (found from bench/, like the scenarios' imports), without importing it. */
function versionOf(name: string): string {
  try {
    // Some packages (better-auth) do not export ./package.json: find the folder from the resolved entry.
    let dir = dirname(require.resolve(name));
    while (!existsSync(join(dir, 'package.json')) || JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).name !== name) {
      if (dirname(dir) === dir) return 'unknown';
      dir = dirname(dir);
    }
    return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'not installed';
  }
}

export async function environmentFacts(): Promise<EnvironmentFacts> {
  const services = await serverVersions();
  return {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    loadavg: os.loadavg().map((n) => n.toFixed(2)).join(', '),
    cpus: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memory: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    node: process.version,
    postgres: services.postgres,
    redis: services.redis,
    verigate: (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version,
    betterAuth: versionOf('better-auth'),
    autocannon: versionOf('autocannon'),
  };
}

export function resultsMarkdown(reports: ScenarioReport[], before: EnvironmentFacts, after: EnvironmentFacts, seconds: number, full: boolean): string {
  const checks = reports.flatMap((r) => r.checks.filter((c) => c.met !== null).map((c) => ({ ...c, scenario: r.id })));
  const lines = [
    `# verigate bench — ${full ? 'full run' : `partial run (${reports.map((r) => r.id).join(', ')})`}`, '',
    `Run ${before.date}, ${Math.round(seconds)} s in all. Rerun with \`npm run bench\` (see bench/README.md).`, '',
    '## Machine and versions', '',
    `- ${before.cpus} CPUs (nproc), ${before.cpuModel}, ${before.memory} memory`,
    `- load average (1, 5, 15 min) before: ${before.loadavg}; after: ${after.loadavg} (the bench's own load included)`,
    `- Node ${before.node}, PostgreSQL ${before.postgres}, Redis ${before.redis}`,
    `- verigate ${before.verigate}, Better Auth ${before.betterAuth}, autocannon ${before.autocannon}`,
    '- PostgreSQL, Redis, the apps and the load generator share the same machine; everything over loopback.', '',
    '## Settings', '',
    `- ${settings.connections} connections (BENCH_CONNECTIONS), ${settings.seconds} s per timed run (BENCH_SECONDS), ${settings.runs} runs per variant (BENCH_RUNS); figures are medians of the runs; the variants of a scenario alternate run by run.`,
    `- Commands per request come from a separate pass of ${settings.countRequests} requests (BENCH_COUNT_REQUESTS) with the app connected through counting TCP proxies (PostgreSQL: 'Q' + 'E' messages; Redis: RESP commands); the timed runs connect directly.`,
    '- autocannon runs in a worker thread, so it never shares the event loop of the app under test.', '',
  ];
  const failures = reports.filter((r) => r.error);
  if (failures.length) lines.push(`**${failures.length} scenario(s) failed:** ${failures.map((r) => `${r.id} (${r.error!.split('\n')[0]})`).join('; ')}`, '');
  if (checks.length) {
    lines.push('## Targets', '', '| scenario | check | value | target | met |', '| --- | --- | --- | --- | --- |');
    for (const c of checks) lines.push(`| ${c.scenario} | ${c.label} | ${c.value} | ${c.target} | ${c.met ? 'yes' : '**no**'} |`);
    lines.push('');
  }
  lines.push('## Scenarios', '');
  for (const report of reports) lines.push(...scenarioMarkdown(report));
  return `${lines.join('\n')}\n`;
}
