import type { UserIdType } from '../users/user-id.ts';
import type { SqlContext } from '../db/sql-context.ts';
import { isExclusivePurpose, type TokenPurpose } from './token-purpose.ts';
import { OUTBOX_CHANNEL } from '../outbox/outbox-channel.ts';
import { eventInsertSql, eventParams, type PlannedEvent } from '../events/event-sql.ts';

/** A token row to write; times come from the database's clock, so instances with skewed clocks agree. */
export interface NewToken {
  id: string;
  purpose: TokenPurpose;
  userId: string;
  userIdType: UserIdType;
  /** Canonical address the token is bound to (`''` for an account that has none yet). */
  email: string;
  /** Canonical pending address, for `email_change` and `change_revoke`. */
  newEmail?: string | null;
  tokenHash: string;
  codeHash?: string | null;
  ttlMs: number;
}

/** An outbox row written by the same statement as its token: the mail exists if and only if the token does. */
export interface NewMail {
  id: string;
  kind: string;
  recipient: string;
  /** Sealed rendered message. */
  payload: string;
}

export type IssueOutcome = { status: 'ISSUED'; expiresAt: Date } | { status: 'ALREADY_VERIFIED' } | { status: 'ADDRESS_SUPPRESSED' };

export interface ConsumedToken {
  id: string;
  purpose: TokenPurpose;
  userId: string;
  userIdType: UserIdType;
  email: string;
  newEmail: string | null;
  /** Sealed session ids the statement took out of verigate's session index (with `endSessions`). */
  endedSessions?: string[];
}

/** Why a token could not be consumed. */
export type UnusableReason = 'INVALID' | 'USED' | 'SUPERSEDED' | 'EXPIRED' | 'ALREADY_VERIFIED';

/** On failure, `userId` is the stored id of the token's user when the token is known (for the audit log). */
export type ConsumeOutcome = { consumed: ConsumedToken } | { consumed: null; reason: UnusableReason; userId?: string };

// A concurrent issue for the same user and purpose can win the unique index between our supersede
// and our insert; the statement then inserts nothing and simply runs again, after a short random
// pause so that a crowd of concurrent issues (one user hammering resend) does not retry in lockstep.
const MAX_ISSUE_ATTEMPTS = 50;
const pause = (attempt: number) => new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(20, 2 * attempt)));

const ISSUE_SQL = `
with already as (
  select 1 from verigate_verified_email where $12::boolean and user_id = $1 and email = $4
), suppressed as (
  select 1 from verigate_suppressed where email = $20::text and suppressed_at is not null
), superseded as (
  update verigate_token set superseded_at = now()
  where $13::boolean and user_id = $1 and purpose = $3 and used_at is null and superseded_at is null
    and not exists (select 1 from already) and not exists (select 1 from suppressed)
  returning id
), token as (
  insert into verigate_token (id, purpose, user_id, user_id_type, email, new_email, token_hash, code_hash,
                              code_attempts, created_at, expires_at)
  select $6::uuid, $3, $1, $2, $4, $5, $7, $8, 0, now(), now() + $9::bigint * interval '1 millisecond'
  from (select count(*) from superseded) as waited
  where not exists (select 1 from already) and not exists (select 1 from suppressed)
  on conflict (user_id, purpose) where used_at is null and superseded_at is null and purpose <> 'change_revoke' do nothing
  returning purpose, user_id, user_id_type, email, new_email, expires_at
), outbox as (
  insert into verigate_outbox (id, kind, recipient, payload, status, attempts, next_attempt_at, created_at, updated_at)
  select m.id, m.kind, m.recipient, m.payload, 'pending', 0, now(), now(), now()
  from token cross join unnest($10::uuid[], $11::text[], $14::text[], $15::text[]) as m(id, kind, recipient, payload)
  returning 1
), events as (
  ${eventInsertSql('token', 16)}
)
select exists (select 1 from already) as already_verified, exists (select 1 from suppressed) as suppressed, (select expires_at from token) as expires_at,
       -- Wakes listening workers of every instance, when (and only if) this commits.
       (select count(*) from (select pg_notify('${OUTBOX_CHANNEL}', '') from (select 1 from outbox union all select 1 from events) as queued) as woken) as queued`;

/**
 * Writes a token, superseding the user's open one of the same purpose, plus its emails and its
 * event, in **one statement** (one round trip, atomic even outside a transaction; inside the
 * caller's transaction when `ctx` is in one). With `unlessVerified`, nothing is written when the
 * (user, email) pair is already verified; with `unlessSuppressed` (a canonical address), nothing
 * when mail to that address bounced or drew a complaint (`verigate_suppressed`).
 */
export async function issueToken(ctx: SqlContext, token: NewToken, mails: readonly NewMail[],
  options: { unlessVerified?: boolean; unlessSuppressed?: string; event?: PlannedEvent | null } = {}): Promise<IssueOutcome> {
  const params = [
    token.userId, token.userIdType, token.purpose, token.email, token.newEmail ?? null, token.id, token.tokenHash,
    token.codeHash ?? null, Math.round(token.ttlMs), mails.map((m) => m.id), mails.map((m) => m.kind),
    options.unlessVerified === true, isExclusivePurpose(token.purpose), mails.map((m) => m.recipient), mails.map((m) => m.payload),
    ...eventParams(options.event), options.unlessSuppressed ?? null,
  ];
  for (let attempt = 1; attempt <= MAX_ISSUE_ATTEMPTS; attempt++) {
    const [row] = await ctx.query<{ already_verified: boolean; suppressed: boolean; expires_at: string | Date | null }>(ISSUE_SQL, params);
    if (row.suppressed) return { status: 'ADDRESS_SUPPRESSED' };
    if (row.already_verified) return { status: 'ALREADY_VERIFIED' };
    if (row.expires_at !== null) return { status: 'ISSUED', expiresAt: new Date(row.expires_at) };
    await pause(attempt);
  }
  throw new Error(`verigate: could not issue a ${token.purpose} token after ${MAX_ISSUE_ATTEMPTS} attempts (constant contention on one user)`);
}

/** Writes a token that supersedes nothing (e.g. an undo link), inside the caller's transaction. */
export async function insertToken(ctx: SqlContext, token: NewToken, mails: readonly NewMail[]): Promise<Date> {
  if (isExclusivePurpose(token.purpose)) throw new Error(`verigate: use issueToken for ${token.purpose} tokens`);
  const outcome = await issueToken(ctx, token, mails);
  if (outcome.status !== 'ISSUED') throw new Error('verigate: token was not inserted');
  return outcome.expiresAt;
}

const CONSUME_SQL = `
with consumed as (
  update verigate_token set used_at = now()
  where token_hash = $1 and purpose = $2 and used_at is null and superseded_at is null and expires_at > now()
  returning id, purpose, user_id, user_id_type, email, new_email, expires_at
), recorded as (
  insert into verigate_verified_email (user_id, email, verified_at)
  select user_id, case when purpose = 'email_change' then new_email else email end, now()
  from consumed where $3::boolean and (case when purpose = 'email_change' then new_email else email end) <> ''
  on conflict (user_id, email) do nothing
), siblings as (
  update verigate_token set superseded_at = now()
  where id in (
    select t.id from verigate_token t join consumed c on t.user_id = c.user_id and t.id <> c.id
    where t.purpose = any($4::text[]) and t.used_at is null and t.superseded_at is null
    for update of t skip locked)
), ended as (
  delete from verigate_session s using consumed c
  where $5::boolean and s.user_id = c.user_id and s.sid_hash is distinct from $6::text
  returning s.sid_sealed
), events as (
  ${eventInsertSql('consumed', 7)}
)
select c.id, c.purpose, c.user_id, c.user_id_type, c.email, c.new_email,
       (select coalesce(array_agg(sid_sealed), '{}') from ended) as ended_sessions,
       (select count(*) from (select pg_notify('${OUTBOX_CHANNEL}', '') from events) as woken) as events,
       t.id is not null as known, t.user_id as token_user_id, t.used_at is not null as used, t.superseded_at is not null as superseded,
       t.expires_at <= now() as expired,
       t.purpose = 'verify' and exists (select 1 from verigate_verified_email v where v.user_id = t.user_id and v.email = t.email) as pair_verified
from (select 1) as one
left join consumed c on true
left join verigate_token t on t.token_hash = $1 and t.purpose = $2`;

interface ConsumeRow {
  id: string | null;
  purpose: TokenPurpose;
  user_id: string;
  user_id_type: UserIdType;
  email: string;
  new_email: string | null;
  ended_sessions: string[];
  known: boolean;
  token_user_id: string | null;
  used: boolean;
  superseded: boolean;
  expired: boolean | null;
  pair_verified: boolean;
}

/**
 * Consumes a token in **one statement**: the conditional UPDATE is the only thing that decides
 * success (so of concurrent attempts exactly one wins), the verified pair is recorded, the user's
 * open tokens of `supersede` purposes are closed and the planned event is written in the same
 * statement. Other open tokens a concurrent consume holds are skipped rather than waited on, so
 * two consumes never deadlock. With `endSessions` (session index in verigate's table), the user's
 * indexed sessions other than `keepHash` leave the index in the same statement and come back
 * sealed, for the caller to destroy. On failure the same round trip explains why.
 */
export async function consumeToken(ctx: SqlContext, purpose: TokenPurpose, tokenHash: string,
  options: { recordVerified: boolean; supersede: readonly TokenPurpose[]; event?: PlannedEvent | null; endSessions?: { keepHash: string | null } }): Promise<ConsumeOutcome> {
  const params = [tokenHash, purpose, options.recordVerified, options.supersede, options.endSessions !== undefined,
    options.endSessions?.keepHash ?? null, ...eventParams(options.event)];
  const [row] = await ctx.query<ConsumeRow>(CONSUME_SQL, params);
  if (row.id !== null) {
    return { consumed: { id: row.id, purpose: row.purpose, userId: row.user_id, userIdType: row.user_id_type, email: row.email, newEmail: row.new_email, ...(options.endSessions ? { endedSessions: row.ended_sessions ?? [] } : {}) } };
  }
  return { consumed: null, reason: explain(row), ...(row.token_user_id ? { userId: row.token_user_id } : {}) };
}

function explain(row: ConsumeRow): UnusableReason {
  if (!row.known) return 'INVALID';
  if (row.used) return 'USED';
  // An old verify link for an address that got verified another way is good news, not an error.
  // (Not for changes and undos: a newer change or an undo may have moved the account on since.)
  if (row.pair_verified) return 'ALREADY_VERIFIED';
  if (row.superseded) return 'SUPERSEDED';
  if (row.expired) return 'EXPIRED';
  // Open and unexpired in this statement's snapshot, yet not consumed: a concurrent consume won.
  return 'USED';
}

/** Reopens a token consumed in a step whose follow-up failed outside the database (see the change flow). */
export async function reopenToken(ctx: SqlContext, id: string): Promise<void> {
  await ctx.query('update verigate_token set used_at = null where id = $1', [id]);
}

/** Supersedes every open token of the given purposes for a user, e.g. when a verification is revoked. */
export async function supersedeOpenTokens(ctx: SqlContext, userId: string, purposes: readonly TokenPurpose[]): Promise<number> {
  const rows = await ctx.query(`update verigate_token set superseded_at = now()
    where user_id = $1 and purpose = any($2::text[]) and used_at is null and superseded_at is null returning 1`, [userId, purposes]);
  return rows.length;
}

/** The user's open, unexpired token of a purpose (the newest), without its secret. */
export async function findOpenToken(ctx: SqlContext, userId: string, purpose: TokenPurpose): Promise<{ email: string; newEmail: string | null; expiresAt: Date } | null> {
  const [row] = await ctx.query<{ email: string; new_email: string | null; expires_at: string | Date }>(`select email, new_email, expires_at from verigate_token
    where user_id = $1 and purpose = $2 and used_at is null and superseded_at is null and expires_at > now()
    order by created_at desc limit 1`, [userId, purpose]);
  return row ? { email: row.email, newEmail: row.new_email, expiresAt: new Date(row.expires_at) } : null;
}

/** Closes every open link bound to an address (a verify link to it, a change link to it as the new address); returns their users' ids. */
export async function supersedeOpenTokensTo(ctx: SqlContext, email: string): Promise<string[]> {
  const rows = await ctx.query<{ user_id: string }>(`update verigate_token set superseded_at = now()
    where coalesce(new_email, email) = $1 and used_at is null and superseded_at is null and purpose in ('verify', 'email_change')
    returning user_id`, [email]);
  return rows.map((row) => row.user_id);
}
