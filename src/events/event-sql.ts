import { randomUUID } from 'node:crypto';
import type { SqlContext } from '../db/sql-context.ts';
import type { TokenPurpose } from '../tokens/token-purpose.ts';
import { OUTBOX_CHANNEL } from '../outbox/outbox-channel.ts';
import { EVENT_SCHEMA_VERSION, type EventSink, type EventType } from './event-types.ts';

/** An event about to be written: one outbox row per sink, all carrying the same event id. */
export interface PlannedEvent {
  id: string;
  type: EventType;
  outboxIds: string[];
  sinks: EventSink[];
}

/** Plans the events of state changes; with no sink configured it plans nothing, so nothing extra is written. */
export interface EventWriter {
  readonly sinks: readonly EventSink[];
  plan(type: EventType | null): PlannedEvent | null;
}

export function createEventWriter(sinks: readonly EventSink[] = []): EventWriter {
  return {
    sinks,
    plan: (type) => (type && sinks.length > 0 ? { id: randomUUID(), type, outboxIds: sinks.map(() => randomUUID()), sinks: [...sinks] } : null),
  };
}

/** The event a token statement announces: issuing a link, or consuming it. Undo links are not announced when issued (the change is). */
export function eventOfIssue(purpose: TokenPurpose): EventType | null {
  return purpose === 'verify' ? 'email.verification_sent' : purpose === 'email_change' ? 'email.change_requested' : null;
}

export function eventOfConsume(purpose: TokenPurpose): EventType {
  return purpose === 'verify' ? 'email.verified' : purpose === 'email_change' ? 'email.changed' : 'email.change_reverted';
}

/** The four parameters `eventInsertSql` binds, in order: type, event id, outbox ids, sinks. */
export function eventParams(event: PlannedEvent | null | undefined): unknown[] {
  return event ? [event.type, event.id, event.outboxIds, event.sinks] : [null, null, [], []];
}

const iso = (column: string) => `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * The data of each event type, from a token row (`r`: purpose, user_id, user_id_type, email,
 * new_email, expires_at). The one place the schema in event-types.ts is produced: only ids,
 * addresses and times; the token and code hashes are never read.
 */
function dataSql(type: string): string {
  const user = `'userId', r.user_id, 'userIdType', r.user_id_type`;
  return `case ${type}
    when 'email.verification_sent' then json_build_object(${user}, 'email', r.email, 'expiresAt', ${iso('r.expires_at')})
    when 'email.verified' then json_build_object(${user}, 'email', r.email)
    when 'email.change_requested' then json_build_object(${user}, 'previousEmail', nullif(r.email, ''), 'newEmail', r.new_email, 'expiresAt', ${iso('r.expires_at')})
    when 'email.changed' then json_build_object(${user}, 'previousEmail', nullif(r.email, ''), 'email', r.new_email)
    when 'email.change_reverted' then json_build_object(${user}, 'email', r.email, 'revertedEmail', r.new_email)
  end`;
}

/**
 * A data-modifying CTE body that writes the planned event for each row of `source` (aliased `r`),
 * so the event commits if and only if the change does, in the statement that makes it. `first` is
 * the number of the first of the four parameters of `eventParams`. Empty sink arrays write nothing.
 */
export function eventInsertSql(source: string, first: number): string {
  const [type, id, outboxIds, sinks] = [0, 1, 2, 3].map((i) => `$${first + i}`);
  return `insert into verigate_outbox (id, channel, kind, recipient, payload, status, attempts, next_attempt_at, created_at, updated_at)
  select s.outbox_id, s.sink, ${type}::text, s.sink,
         json_build_object('id', ${id}::text, 'type', ${type}::text, 'version', ${EVENT_SCHEMA_VERSION},
                           'occurredAt', ${iso('now()')}, 'data', ${dataSql(`${type}::text`)})::text,
         'pending', 0, now(), now(), now()
  from ${source} as r cross join unnest(${outboxIds}::uuid[], ${sinks}::text[]) as s(outbox_id, sink)
  returning 1`;
}

/**
 * Takes back an event written optimistically by a consuming statement whose follow-up in the same
 * transaction refused the change (the host's `setEmail` said the change is stale). Rare, so the
 * common path keeps its single statement.
 */
export async function withdrawEvent(ctx: SqlContext, event: PlannedEvent | null): Promise<void> {
  if (!event) return;
  await ctx.query('delete from verigate_outbox where id = any($1::uuid[])', [event.outboxIds]);
}

/**
 * Writes a planned event whose data the caller built (events about an address rather than a token
 * row: `email.bounced`, `email.complained`), inside the caller's transaction, so it commits with
 * the change it announces. Wakes listening workers on commit.
 */
export async function insertEvent(ctx: SqlContext, event: PlannedEvent | null, data: Record<string, unknown>): Promise<void> {
  if (!event) return;
  await ctx.query(`with events as (
      insert into verigate_outbox (id, channel, kind, recipient, payload, status, attempts, next_attempt_at, created_at, updated_at)
      select s.outbox_id, s.sink, $1::text, s.sink,
             json_build_object('id', $2::text, 'type', $1::text, 'version', ${EVENT_SCHEMA_VERSION}, 'occurredAt', ${iso('now()')}, 'data', $5::json)::text,
             'pending', 0, now(), now(), now()
      from unnest($3::uuid[], $4::text[]) as s(outbox_id, sink)
      returning 1)
    select pg_notify('${OUTBOX_CHANNEL}', '') from events limit 1`, [...eventParams(event), JSON.stringify(data)]);
}
