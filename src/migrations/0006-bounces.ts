import type { VerigateMigration } from './migration.ts';

/**
 * Deliverability feedback. `verigate_suppressed` holds one row per canonical address that bounced
 * or drew a complaint: soft bounces are counted there (`soft_recent`, at most the threshold's
 * number of recent times) until they reach the threshold; `suppressed_at` set means no mail goes to
 * the address any more. A sent mail keeps its recipient sealed (AES-GCM) beside the masked one,
 * until the purge, so a bounce reported by Message-ID can still name the address. Two indexes
 * serve "everything about this address": verified pairs and open links by address.
 */
export const bouncesMigration: VerigateMigration = {
  id: '0006-bounces',
  statements: [
    `create table if not exists verigate_suppressed (
      email varchar(254) primary key,
      last_kind varchar(16) not null,
      reports int not null default 0,
      soft_recent timestamptz[] not null default '{}',
      suppressed_at timestamptz null,
      suppressed_kind varchar(16) null,
      first_seen_at timestamptz not null,
      last_seen_at timestamptz not null,
      last_reason varchar(200) null
    )`,
    `alter table verigate_outbox add column if not exists recipient_sealed text null`,
    `create index if not exists verigate_verified_email_email_idx on verigate_verified_email (email)`,
    // Open links bound to an address (a verify link's address, a change link's new address).
    `create index if not exists verigate_token_open_address_idx on verigate_token ((coalesce(new_email, email)))
      where used_at is null and superseded_at is null and purpose in ('verify', 'email_change')`,
  ],
};
