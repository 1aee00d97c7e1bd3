import type { VerigateMigration } from './migration.ts';

/**
 * Which sessions belong to which user, for hosts without Redis: so a verification, an address
 * change, an undo or a revocation can end the user's other sessions in whatever express-session
 * store the host uses. Session ids are credentials: stored sealed (AES-GCM), looked up by a keyed hash.
 */
export const sessionIndexMigration: VerigateMigration = {
  id: '0003-session-index',
  statements: [
    `create table if not exists verigate_session (
      user_id varchar(255) not null,
      sid_hash varchar(64) not null,
      sid_sealed text not null,
      created_at timestamptz not null,
      primary key (user_id, sid_hash)
    )`,
    `create index if not exists verigate_session_created_at_idx on verigate_session (created_at)`,
  ],
};
