/**
 * `npm run bench` runs every scenario; `npm run bench -- gate confirm` runs some. Settings come
 * from the environment (see bench/README.md). A full run writes bench/results/latest.md; a partial
 * one writes bench/results/partial.md (not committed).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const SCENARIOS = ['gate', 'confirm', 'better-auth', 'signup', 'scale', 'load-invariant'] as const;
type ScenarioName = (typeof SCENARIOS)[number];

/** Comparison dependencies live in bench/ only; install them on first use. */
function ensureBenchDependencies(): void {
  if (existsSync(join(here, 'node_modules', 'better-auth', 'package.json'))) return;
  console.log('installing the bench\'s own dependencies (npm --prefix bench install) …');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const result = spawnSync(npm, ['--prefix', here, 'install', '--no-audit', '--no-fund'], { stdio: 'inherit' });
  if (result.status !== 0) throw new Error('npm --prefix bench install failed');
}

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const unknown = wanted.filter((name) => !(SCENARIOS as readonly string[]).includes(name));
if (unknown.length) {
  console.error(`unknown scenario(s): ${unknown.join(', ')}. Choose from: ${SCENARIOS.join(', ')}`);
  process.exit(2);
}
const selected: ScenarioName[] = wanted.length ? (wanted as ScenarioName[]) : [...SCENARIOS];
ensureBenchDependencies();

// Imported only now: the scenarios may need what was just installed.
const { settings } = await import('./lib/settings.ts');
const { dropAllScratch } = await import('./lib/services.ts');
const { failedReport, printScenario } = await import('./lib/report.ts');
const { environmentFacts, resultsMarkdown } = await import('./lib/environment.ts');

let interrupted = false;
process.once('SIGINT', () => {
  interrupted = true;
  console.error('\ninterrupted: dropping scratch databases …');
  void dropAllScratch().finally(() => process.exit(130));
});

const before = await environmentFacts();
console.log(`verigate bench: ${selected.join(', ')} — ${settings.connections} connections, ${settings.seconds} s × ${settings.runs} runs, load ${before.loadavg}`);
const started = Date.now();
const reports = [];
let failed = 0;
try {
  for (const name of selected) {
    const scenario = await import(`./scenarios/${name}.ts`);
    console.log(`\n== ${name}: ${scenario.title}`);
    try {
      const report = await scenario.run();
      printScenario(report);
      reports.push(report);
    } catch (error) {
      // One broken scenario (e.g. the app under test failing) must not lose the others' figures.
      failed++;
      const message = error instanceof Error ? error.message : String(error);
      console.error(`scenario ${name} failed: ${error instanceof Error ? error.stack : message}`);
      reports.push(failedReport(name, scenario.title, message));
    }
  }
} finally {
  if (!interrupted) await dropAllScratch();
}
const after = await environmentFacts();
const markdown = resultsMarkdown(reports, before, after, (Date.now() - started) / 1000, selected.length === SCENARIOS.length);
const out = join(here, 'results', selected.length === SCENARIOS.length ? 'latest.md' : 'partial.md');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, markdown);
console.log(`\nwritten to ${out} (${Math.round((Date.now() - started) / 1000)} s)`);
// Pools and timers of closed apps must not keep the process alive.
process.exit(failed ? 1 : 0);
