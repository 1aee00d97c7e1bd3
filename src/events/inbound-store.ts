import type { SqlContext } from '../db/sql-context.ts';

/**
 * Records that an inbound event was processed, inside the transaction that acts on it: `true` the
 * first time, `false` for a redelivery. A concurrent redelivery waits on the first one's row and
 * then sees it, so two consumers never both act on one event.
 */
export async function recordInboundEvent(ctx: SqlContext, stream: string, eventId: string): Promise<boolean> {
  const rows = await ctx.query(`insert into verigate_inbound_event (stream, event_id, processed_at) values ($1, $2, now())
    on conflict (stream, event_id) do nothing returning 1`, [stream, eventId]);
  return rows.length > 0;
}
