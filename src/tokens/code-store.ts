import type { SqlContext } from '../db/sql-context.ts';
import type { UserIdType } from '../users/user-id.ts';
import type { TokenPurpose } from './token-purpose.ts';
import type { ConsumedToken } from './token-store.ts';
import { eventInsertSql, eventParams, type PlannedEvent } from '../events/event-sql.ts';
import { OUTBOX_CHANNEL } from '../outbox/outbox-channel.ts';

export type CodeOutcome =
  | { consumed: ConsumedToken }
  | { consumed: null; reason: 'NO_OPEN_TOKEN' | 'CODE_LOCKED' }
  | { consumed: null; reason: 'CODE_INVALID'; attemptsLeft: number };

const CONSUME_BY_CODE_SQL = `
with target as (
  select id from verigate_token
  where user_id = $1 and purpose = $2 and used_at is null and superseded_at is null and expires_at > now() and code_hash is not null
  order by created_at desc limit 1 for update
), attempt as (
  update verigate_token t set code_attempts = t.code_attempts + 1,
    used_at = case when t.code_hash = $3 then now() else null end
  from target where t.id = target.id and t.code_attempts < $4
  returning t.id, t.purpose, t.user_id, t.user_id_type, t.email, t.new_email, t.expires_at, t.code_attempts, t.used_at is not null as matched
), recorded as (
  insert into verigate_verified_email (user_id, email, verified_at)
  select user_id, case when purpose = 'email_change' then new_email else email end, now() from attempt
  where matched and (case when purpose = 'email_change' then new_email else email end) <> ''
  on conflict (user_id, email) do nothing
), siblings as (
  update verigate_token set superseded_at = now()
  where id in (
    select t.id from verigate_token t join attempt a on t.user_id = a.user_id and t.id <> a.id
    where a.matched and t.purpose = any($5::text[]) and t.used_at is null and t.superseded_at is null
    for update of t skip locked)
), events as (
  ${eventInsertSql('(select * from attempt where matched)', 6)}
)
select a.id, a.purpose, a.user_id, a.user_id_type, a.email, a.new_email, a.code_attempts, coalesce(a.matched, false) as matched,
       exists (select 1 from target) as open,
       (select count(*) from (select pg_notify('${OUTBOX_CHANNEL}', '') from events) as woken) as events
from (select 1) as one left join attempt a on true`;

/**
 * Tries a code against the user's open token of `purpose`, in one statement: every try counts
 * (atomically, so concurrent guesses cannot exceed `maxAttempts`), a match consumes the token
 * exactly like its link would (event included), and after `maxAttempts` wrong codes the code is
 * dead (the link is not).
 */
export async function consumeByCode(ctx: SqlContext, purpose: TokenPurpose, userKey: string, codeHash: string,
  options: { maxAttempts: number; supersede: readonly TokenPurpose[]; event?: PlannedEvent | null }): Promise<CodeOutcome> {
  const [row] = await ctx.query<{ id: string | null; purpose: TokenPurpose; user_id: string; user_id_type: UserIdType; email: string;
    new_email: string | null; code_attempts: number | null; matched: boolean; open: boolean }>(
    CONSUME_BY_CODE_SQL, [userKey, purpose, codeHash, options.maxAttempts, options.supersede, ...eventParams(options.event)]);
  if (!row.open) return { consumed: null, reason: 'NO_OPEN_TOKEN' };
  if (row.id === null) return { consumed: null, reason: 'CODE_LOCKED' };
  if (!row.matched) {
    const attemptsLeft = options.maxAttempts - (row.code_attempts ?? options.maxAttempts);
    return attemptsLeft > 0 ? { consumed: null, reason: 'CODE_INVALID', attemptsLeft } : { consumed: null, reason: 'CODE_LOCKED' };
  }
  return { consumed: { id: row.id, purpose: row.purpose, userId: row.user_id, userIdType: row.user_id_type, email: row.email, newEmail: row.new_email } };
}
