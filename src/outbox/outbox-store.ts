import { randomUUID } from 'node:crypto';
import { seal } from '../crypto/seal.ts';
import type { SqlContext } from '../db/sql-context.ts';
import { maskEmail } from '../logging/mask-email.ts';
import type { EmailKind, RenderedEmail } from '../ports/mail.ts';
import type { NewMail } from '../tokens/token-store.ts';
import { OUTBOX_CHANNEL } from './outbox-channel.ts';

export interface OutboxEntry {
  kind: EmailKind;
  /** The address exactly as the host stored it: mail always goes there. */
  to: string;
  email: RenderedEmail;
}

/** A claimed row, leased to one worker until it is marked or the lease runs out. */
export interface ClaimedMail {
  id: string;
  /** `mail`, or the event sink (`redis`, `webhook`) for an event row. */
  channel: string;
  kind: string;
  recipient: string;
  payload: string | null;
  attempts: number;
}

/** Seals a rendered message for the outbox: the link inside is a credential, so it is encrypted at rest. */
export function sealMail(sealKey: Buffer, entry: OutboxEntry): NewMail {
  return { id: randomUUID(), kind: entry.kind, recipient: entry.to, payload: seal(sealKey, entry.email) };
}

/** Queues emails that carry no token (notices) inside the caller's transaction or alone. */
export async function enqueueMails(ctx: SqlContext, mails: readonly NewMail[]): Promise<void> {
  if (mails.length === 0) return;
  await ctx.query(`with queued as (
      insert into verigate_outbox (id, kind, recipient, payload, status, attempts, next_attempt_at, created_at, updated_at)
      select id, kind, recipient, payload, 'pending', 0, now(), now(), now()
      from unnest($1::uuid[], $2::text[], $3::text[], $4::text[]) as m(id, kind, recipient, payload)
      returning 1)
    select pg_notify('${OUTBOX_CHANNEL}', '') from queued limit 1`,
  [mails.map((m) => m.id), mails.map((m) => m.kind), mails.map((m) => m.recipient), mails.map((m) => m.payload)]);
}

/** Seals and queues one email; returns its outbox id. */
export async function enqueueEmail(ctx: SqlContext, sealKey: Buffer, entry: OutboxEntry): Promise<string> {
  const mail = sealMail(sealKey, entry);
  await enqueueMails(ctx, [mail]);
  return mail.id;
}

/**
 * Claims due rows of the given channels by pushing `next_attempt_at` one lease ahead, by the
 * database's clock (so instances with skewed clocks never both see a row as due). `SKIP LOCKED`
 * lets many workers share the table; no transaction stays open while SMTP runs. Rows of a channel
 * this worker cannot deliver (an event sink it has no settings for) are left to one that can.
 */
export async function claimDue(ctx: SqlContext, batchSize: number, leaseMs: number, channels: readonly string[] = ['mail']): Promise<ClaimedMail[]> {
  return ctx.query<ClaimedMail>(`update verigate_outbox
    set attempts = attempts + 1, next_attempt_at = now() + $1::bigint * interval '1 millisecond', updated_at = now()
    where id in (select id from verigate_outbox where status = 'pending' and next_attempt_at <= now() and channel = any($3::text[])
                 order by next_attempt_at limit $2 for update skip locked)
    returning id, channel, kind, recipient, payload, attempts`, [Math.round(leaseMs), batchSize, channels]);
}

/**
 * Delivered: the payload (a mail's link, an event's address) is erased and a mail's recipient kept
 * only masked, plus sealed (`recipientSealed`, the canonical address under the outbox key) so a
 * bounce reported later by Message-ID can still name the address; both go with the row at the purge.
 */
export async function markSent(ctx: SqlContext, id: string, recipient: string, recipientSealed: string | null = null): Promise<void> {
  await ctx.query(`update verigate_outbox set status = 'sent', payload = null, sent_at = now(),
    recipient = case when channel = 'mail' then $2 else recipient end,
    recipient_sealed = case when channel = 'mail' then $3 end,
    updated_at = now(), last_error = null where id = $1 and status = 'pending'`, [id, maskEmail(recipient), recipientSealed]);
}

/** Mails to suppressed addresses, claimed but never to be sent: parked as `suppressed`, scrubbed like a dead mail. */
export async function markSuppressed(ctx: SqlContext, rows: readonly { id: string; recipient: string }[]): Promise<void> {
  if (rows.length === 0) return;
  await ctx.query(`update verigate_outbox as o set status = 'suppressed', payload = null, recipient = m.masked,
    last_error = 'ADDRESS_SUPPRESSED', updated_at = now()
    from unnest($1::uuid[], $2::text[]) as m(id, masked) where o.id = m.id and o.status = 'pending'`,
  [rows.map((r) => r.id), rows.map((r) => maskEmail(r.recipient))]);
}

/** A mail row by id, for a bounce report: its recipient in clear while pending, else only sealed (null once purged or before migration 0006). */
export async function findMail(ctx: SqlContext, id: string): Promise<{ status: string; recipient: string; recipientSealed: string | null } | null> {
  const [row] = await ctx.query<{ status: string; recipient: string; recipient_sealed: string | null }>(
    `select status, recipient, recipient_sealed from verigate_outbox where id = $1 and channel = 'mail'`, [id]);
  return row ? { status: row.status, recipient: row.recipient, recipientSealed: row.recipient_sealed } : null;
}

/**
 * A failed attempt: retried after `retryMs`, or parked as dead. A dead mail can never be sent again,
 * so it keeps neither its payload (the link is useless by then) nor the full address: like a sent
 * mail, only the masked recipient (and the sealed one, so a permanent refusal can be reported as a bounce by
 * its outbox id). A dead event keeps its payload until the purge, so it can be replayed.
 */
export async function markFailed(ctx: SqlContext, id: string, failure: { dead: boolean; retryMs: number; reason: string; recipient: string; recipientSealed?: string | null }): Promise<void> {
  await ctx.query(`update verigate_outbox set status = $2, next_attempt_at = now() + $3::bigint * interval '1 millisecond',
    last_error = $4, updated_at = now(), payload = case when $5::boolean and channel = 'mail' then null else payload end,
    recipient = case when $5::boolean and channel = 'mail' then $6 else recipient end,
    recipient_sealed = case when $5::boolean and channel = 'mail' then $7 else recipient_sealed end
    where id = $1 and status = 'pending'`,
  [id, failure.dead ? 'dead' : 'pending', Math.round(failure.retryMs), failure.reason, failure.dead, maskEmail(failure.recipient), failure.recipientSealed ?? null]);
}
