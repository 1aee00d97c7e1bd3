import type { VerigateMigration } from './migration.ts';

/**
 * Events for other services ride the outbox: one row per event and sink, so they get the mail's
 * lease, backoff and dead-lettering. `channel` says who delivers a row (`mail`, `redis`,
 * `webhook`); a worker claims only the channels it can deliver. Inbound events processed once are
 * recorded by id, in the transaction that issues their token, so a redelivery is recognised.
 */
export const eventsMigration: VerigateMigration = {
  id: '0004-events',
  statements: [
    `alter table verigate_outbox add column if not exists channel varchar(16) not null default 'mail'`,
    `create table if not exists verigate_inbound_event (
      stream varchar(255) not null,
      event_id varchar(255) not null,
      processed_at timestamptz not null,
      primary key (stream, event_id)
    )`,
    `create index if not exists verigate_inbound_event_processed_at_idx on verigate_inbound_event (processed_at)`,
  ],
};
