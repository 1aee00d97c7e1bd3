import type { SqlEntityManager } from '@mikro-orm/sql';

export interface PurgeResult {
  tokens: number;
  messages: number;
}

function affected(result: unknown): number {
  const r = result as { affectedRows?: number };
  return typeof r?.affectedRows === 'number' ? r.affectedRows : 0;
}

/**
 * Keeps tables bounded: deletes tokens that expired more than `retentionMs` ago and outbox rows
 * that were sent or parked dead that long ago (they hold recipient addresses, personal data).
 * Tokens are kept for a while after expiry so an old link still explains itself ("expired").
 */
export async function purgeExpired(em: SqlEntityManager, now: Date, retentionMs: number): Promise<PurgeResult> {
  const cutoff = new Date(now.getTime() - retentionMs);
  const fork = em.fork();
  const tokens = await fork.execute('delete from verigate_token where expires_at < ?', [cutoff], 'run');
  const messages = await fork.execute(
    `delete from verigate_outbox where status in ('sent', 'dead') and updated_at < ?`, [cutoff], 'run');
  return { tokens: affected(tokens), messages: affected(messages) };
}
