import type { VerigateMigration } from './migration.ts';

/**
 * The audit log and the service API's keys. Both tables are always created (cheap and empty);
 * whether audit rows are written is the `audit.table` option, and keys exist only once an operator
 * creates one. Neither holds a secret: keys are stored as a keyed hash, client IPs as a keyed hash,
 * addresses masked.
 */
export const serviceApiAuditMigration: VerigateMigration = {
  id: '0005-service-api-audit',
  statements: [
    `create table if not exists verigate_audit (
      id uuid primary key,
      event varchar(64) not null,
      user_id varchar(255) null,
      email varchar(320) null,
      outcome varchar(32) not null,
      reason varchar(64) null,
      ip_hash varchar(64) null,
      key_id varchar(32) null,
      detail jsonb null,
      created_at timestamptz not null default now()
    )`,
    // "What happened to this user", newest first, and the purge by age.
    `create index if not exists verigate_audit_user_idx on verigate_audit (user_id, created_at desc)`,
    `create index if not exists verigate_audit_created_at_idx on verigate_audit (created_at)`,
    `create table if not exists verigate_api_key (
      id varchar(32) primary key,
      name varchar(100) not null,
      secret_hash varchar(64) not null,
      scopes varchar(64) not null,
      created_at timestamptz not null default now(),
      last_used_at timestamptz null,
      revoked_at timestamptz null
    )`,
  ],
};
