import type { Figures } from './compare.ts';

/** A figure checked against the issue's target. `met: null` for figures reported without a target. */
export interface Check {
  label: string;
  value: string;
  target: string;
  met: boolean | null;
}

export interface ScenarioReport {
  id: string;
  title: string;
  /** The variants measured, the baseline (ratio 1) first where there is one. */
  figures: Figures[];
  /** Ratios shown in the table: variant name → [ratio, baseline name]. */
  ratios: Map<string, [number, string]>;
  checks: Check[];
  /** Extra tables or facts (sizes, delivery rates, behaviours), as markdown lines. */
  notes: string[];
  /** Set when the scenario could not run to the end. */
  error?: string;
}

const IDS: Record<string, string> = { gate: 'a', confirm: 'b', 'better-auth': 'c', signup: 'd', scale: 'e', 'load-invariant': 'f' };

export function failedReport(name: string, title: string, error: string): ScenarioReport {
  return { id: IDS[name] ?? name, title, figures: [], ratios: new Map(), checks: [], notes: [], error };
}

export const fmt = {
  rps: (n: number) => Math.round(n).toLocaleString('en-US'),
  ms: (n: number) => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2)),
  per: (n: number) => (!Number.isFinite(n) ? 'n/a' : Math.abs(n - Math.round(n)) < 0.005 ? String(Math.round(n)) : n.toFixed(2)),
  ratio: (n: number) => n.toFixed(2),
  us: (n: number) => (Number.isFinite(n) ? String(Math.round(n)) : 'n/a'),
  bytes: (n: number) => (n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MiB` : `${(n / 1024).toFixed(0)} kiB`),
};

export function ratioCheck(label: string, ratio: number, target: string, ok: (r: number) => boolean): Check {
  return { label, value: `${fmt.ratio(ratio)}×`, target, met: ok(ratio) };
}

/** The scenario's table in markdown. */
export function scenarioMarkdown(report: ScenarioReport): string[] {
  if (report.error) return [`### ${report.id}. ${report.title}`, '', `**Failed:** ${report.error.split('\n')[0]}`, ''];
  const lines = [
    `### ${report.id}. ${report.title}`, '',
    '| variant | req/s | p50 ms | p99 ms | PG cmd/req | Redis cmd/req | app CPU µs/req | PG CPU µs/req | ratio |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const f of report.figures) {
    const ratio = report.ratios.get(f.name);
    const flags = [f.failures ? `${f.failures} failed` : '', f.exhausted ? `${f.exhausted} without a fresh token` : ''].filter(Boolean).join(', ');
    lines.push(`| ${f.name}${flags ? ` (${flags})` : ''} | ${fmt.rps(f.rps)} | ${fmt.ms(f.p50)} | ${fmt.ms(f.p99)} | ${fmt.per(f.pg)} | ${fmt.per(f.redis)} | ${fmt.us(f.appUs)} | ${fmt.us(f.pgUs)} | ${ratio ? `${fmt.ratio(ratio[0])}× ${ratio[1]}` : ''} |`);
  }
  if (report.checks.length) {
    lines.push('', '| check | value | target | met |', '| --- | --- | --- | --- |');
    for (const c of report.checks) lines.push(`| ${c.label} | ${c.value} | ${c.target} | ${c.met === null ? '—' : c.met ? 'yes' : '**no**'} |`);
  }
  if (report.notes.length) lines.push('', ...report.notes);
  lines.push('');
  return lines;
}

/** Short console form while the bench runs. */
export function printScenario(report: ScenarioReport): void {
  console.log(`\n${scenarioMarkdown(report).join('\n')}`);
}
