import type { VerigateMigration } from './migration.ts';

/**
 * Ids of any type (the type is kept so hooks return ids as the host gave them), and at most one
 * open token per user and purpose, enforced by the database rather than a lock: issuing becomes
 * one statement, and a concurrent issue that loses the race simply retries.
 */
export const oneOpenTokenMigration: VerigateMigration = {
  id: '0002-one-open-token',
  statements: [
    `alter table verigate_token add column if not exists user_id_type varchar(8) not null default 'string'`,
    // Rows from before this migration may hold two open links of one purpose after a race; keep the newest.
    `update verigate_token set superseded_at = now() where id in (
       select id from (
         select id, row_number() over (partition by user_id, purpose order by created_at desc, id) as n
         from verigate_token where used_at is null and superseded_at is null and purpose <> 'change_revoke'
       ) ranked where n > 1)`,
    // Undo links are not in it: each change notice keeps its own undo link, so an attacker's second
    // change cannot void the owner's way back.
    `create unique index if not exists verigate_token_one_open_key on verigate_token (user_id, purpose)
       where used_at is null and superseded_at is null and purpose <> 'change_revoke'`,
  ],
};
