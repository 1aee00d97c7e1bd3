import type { DbAccess } from '../db/db-access.ts';
import { describeError } from '../logging/redact.ts';

export interface DependencyHealth {
  ok: boolean;
  latencyMs: number;
  /** Why it failed, scrubbed of anything secret. */
  error?: string;
}

export interface HealthReport {
  /** `ok`: everything answers; `degraded`: mail is backing up or dead; `down`: a dependency does not answer. */
  status: 'ok' | 'degraded' | 'down';
  database: DependencyHealth;
  /** Present when verigate uses Redis. */
  redis?: DependencyHealth;
  outbox?: {
    pending: number;
    /** Age of the oldest email still waiting, in seconds (0 when none). */
    oldestPendingSeconds: number;
    dead: number;
  };
}

async function timed<T>(work: () => Promise<T>): Promise<{ health: DependencyHealth; value?: T }> {
  const started = Date.now();
  try {
    const value = await work();
    return { health: { ok: true, latencyMs: Date.now() - started }, value };
  } catch (error) {
    return { health: { ok: false, latencyMs: Date.now() - started, error: describeError(error, 160) } };
  }
}

/**
 * One cheap look at everything verigate depends on, for a health endpoint or a monitor. Never
 * throws: a dependency that fails is reported as such. A backlog older than `backlogAlertSeconds`
 * or any dead email makes the status `degraded`.
 */
export async function checkHealth(db: DbAccess, ping: (() => Promise<unknown>) | undefined, backlogAlertSeconds = 300): Promise<HealthReport> {
  const [database, redis] = await Promise.all([
    timed(() => db.run((ctx) => ctx.query<{ pending: number; oldest: number | null; dead: number }>(
      `select count(*) filter (where status = 'pending')::int as pending,
              coalesce(extract(epoch from now() - min(created_at) filter (where status = 'pending')), 0)::float8 as oldest,
              count(*) filter (where status = 'dead')::int as dead
       from verigate_outbox`))),
    ping ? timed(ping) : Promise.resolve(undefined),
  ]);
  const row = database.value?.[0];
  const outbox = row ? { pending: row.pending, oldestPendingSeconds: Math.round(Number(row.oldest ?? 0)), dead: row.dead } : undefined;
  const down = !database.health.ok || (redis !== undefined && !redis.health.ok);
  const degraded = outbox !== undefined && (outbox.dead > 0 || outbox.oldestPendingSeconds > backlogAlertSeconds);
  return {
    status: down ? 'down' : degraded ? 'degraded' : 'ok',
    database: database.health,
    ...(redis ? { redis: redis.health } : {}),
    ...(outbox ? { outbox } : {}),
  };
}
