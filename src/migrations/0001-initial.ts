import type { VerigateMigration } from './migration.ts';

export const initialMigration: VerigateMigration = {
  id: '0001-initial',
  statements: [
    `create table if not exists verigate_token (
      id uuid primary key,
      purpose varchar(32) not null,
      user_id varchar(255) not null,
      email varchar(254) not null,
      new_email varchar(254) null,
      token_hash varchar(64) not null,
      code_hash varchar(64) null,
      code_attempts int not null default 0,
      created_at timestamptz not null,
      expires_at timestamptz not null,
      used_at timestamptz null,
      superseded_at timestamptz null,
      constraint verigate_token_token_hash_key unique (token_hash)
    )`,
    // Serves "supersede the user's open tokens of this purpose" without scanning used rows.
    `create index if not exists verigate_token_open_idx on verigate_token (user_id, purpose)
      where used_at is null and superseded_at is null`,
    `create index if not exists verigate_token_expires_at_idx on verigate_token (expires_at)`,
    `create table if not exists verigate_verified_email (
      user_id varchar(255) not null,
      email varchar(254) not null,
      verified_at timestamptz not null,
      primary key (user_id, email)
    )`,
    `create table if not exists verigate_outbox (
      id uuid primary key,
      kind varchar(64) not null,
      recipient varchar(320) not null,
      payload text null,
      status varchar(16) not null default 'pending',
      attempts int not null default 0,
      next_attempt_at timestamptz not null,
      last_error varchar(500) null,
      created_at timestamptz not null,
      updated_at timestamptz not null,
      sent_at timestamptz null
    )`,
    // The worker's claim query reads only due pending rows.
    `create index if not exists verigate_outbox_due_idx on verigate_outbox (next_attempt_at) where status = 'pending'`,
  ],
};
