import { readFileSync } from 'node:fs';
import pg from 'pg';
import { settings } from './settings.ts';

/**
 * Where a request's CPU goes: the app's main thread (its own CPU time, `process.threadCpuUsage()`;
 * the app under test is the only thing running there during a run, the load generator has its own
 * thread) and the PostgreSQL backends serving the bench's scratch databases (utime + stime from
 * /proc, so only when PostgreSQL runs on this machine). CPU time, not wall time: a thread waiting for
 * a core on a busy machine does not count.
 */
export interface CpuSnapshot {
  /** Main thread CPU, µs. */
  thread: number;
  /** Backend pid → CPU ticks. */
  backends: Map<number, number>;
}

const TICKS_PER_SECOND = 100;

function ticksOf(pid: number): number | undefined {
  try {
    // Fields after the parenthesised command name: state is field 3, utime 14, stime 15.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return undefined;
  }
}

async function benchBackends(): Promise<number[]> {
  const client = new pg.Client({ connectionString: settings.databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query(`select pid from pg_stat_activity where datname like 'verigate\\_bench\\_%' and pid <> pg_backend_pid()`);
    return rows.map((row: { pid: number }) => row.pid);
  } finally {
    await client.end();
  }
}

export async function cpuSnapshot(): Promise<CpuSnapshot> {
  const backends = new Map<number, number>();
  for (const pid of await benchBackends()) {
    const ticks = ticksOf(pid);
    if (ticks !== undefined) backends.set(pid, ticks);
  }
  const usage = process.threadCpuUsage();
  return { thread: usage.user + usage.system, backends };
}

/** Microseconds of CPU per request between two snapshots; PostgreSQL NaN when its processes are not visible. */
export function cpuPerRequest(before: CpuSnapshot, after: CpuSnapshot, requests: number): { appUs: number; pgUs: number } {
  let ticks = 0;
  // A backend that appeared during the run did all its work inside it.
  for (const [pid, end] of after.backends) ticks += end - (before.backends.get(pid) ?? 0);
  const n = Math.max(1, requests);
  return {
    appUs: (after.thread - before.thread) / n,
    pgUs: after.backends.size ? (ticks / TICKS_PER_SECOND) * 1e6 / n : NaN,
  };
}
