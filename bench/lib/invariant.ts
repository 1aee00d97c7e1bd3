/**
 * The load invariant's audit: after a burst of sign-ups and a drained outbox, what each sign-up left
 * behind (users, links, outbox rows, delivered messages), per address, and whether its link works.
 */
import { simpleParser } from 'mailparser';
import type { ScratchDatabase } from './services.ts';
import type { SunkMessage } from './smtp-sink.ts';

/** How the HTTP sign-up ended: 2xx/3xx, another status, or no answer (cut at the end of the run, a timeout). */
export type Answer = 'accepted' | 'refused' | 'unanswered';

export interface Delivered { to: string; messageId: string; rowId: string | null; link: string | null }

/** What one address left behind. */
export interface Trace {
  address: string;
  answer: Answer;
  status?: number;
  users: string[];
  /** The user each link row belongs to. */
  tokens: string[];
  /** Outbox row ids (from the delivered Message-IDs; pending or dead rows still carry the address). */
  outbox: Set<string>;
  outboxStatus: string[];
  messages: Delivered[];
}

export interface Audit {
  traces: Trace[];
  /** Table totals. */
  rows: { users: number; tokens: number; outbox: number; outboxByStatus: Record<string, number>; messages: number };
  /** Sent rows that no delivered message names, and messages naming no row: losses and strays of their own. */
  sentWithoutMessage: string[];
  messagesWithoutRow: number;
  /** Message-IDs delivered more than once. */
  repeatedMessageIds: number;
  /** Rows or messages for addresses outside this run (should be none: the database is the bench's own). */
  foreign: number;
}

/** The `<row id@domain>` Message-ID the worker sets, so every delivered message names its outbox row. */
const ROW_ID = /^<([0-9a-f-]{36})@/i;
const LINK = /https?:\/\/\S+\/confirm\?token=[A-Za-z0-9_-]+/;

export async function parseDelivered(messages: SunkMessage[]): Promise<Delivered[]> {
  const out: Delivered[] = [];
  for (const message of messages) {
    const parsed = await simpleParser(message.raw);
    const messageId = parsed.messageId ?? '';
    for (const to of message.to) {
      out.push({ to: to.toLowerCase(), messageId, rowId: ROW_ID.exec(messageId)?.[1] ?? null, link: LINK.exec(parsed.text ?? '')?.[0] ?? null });
    }
  }
  return out;
}

/**
 * Every address this run touched: those the load generator got an answer for (`outcomes`: address →
 * status) and any other found in the tables or the sink (a request still in flight when the run
 * ended), which count as unanswered.
 */
export async function audit(db: ScratchDatabase, outcomes: Map<string, number>, delivered: Delivered[], ours: (address: string) => boolean): Promise<Audit> {
  const users = await db.query<{ id: string; email: string }>('select id::text as id, lower(email) as email from example_user');
  const tokens = await db.query<{ user_id: string; email: string }>(`select user_id, lower(email) as email from verigate_token where purpose = 'verify'`);
  const outbox = await db.query<{ id: string; recipient: string; status: string }>('select id::text as id, recipient, status from verigate_outbox');

  const traces = new Map<string, Trace>();
  let foreign = 0;
  const trace = (address: string): Trace | undefined => {
    if (!ours(address)) { foreign++; return undefined; }
    let t = traces.get(address);
    if (!t) {
      const status = outcomes.get(address);
      const answer: Answer = status === undefined ? 'unanswered' : status >= 200 && status < 400 ? 'accepted' : 'refused';
      t = { address, answer, status, users: [], tokens: [], outbox: new Set(), outboxStatus: [], messages: [] };
      traces.set(address, t);
    }
    return t;
  };
  for (const address of outcomes.keys()) trace(address);
  for (const u of users) trace(u.email)?.users.push(u.id);
  for (const t of tokens) trace(t.email)?.tokens.push(t.user_id);

  const rowsById = new Map(outbox.map((row) => [row.id, row]));
  const named = new Set<string>();
  const seenIds = new Set<string>();
  let repeatedMessageIds = 0;
  let messagesWithoutRow = 0;
  for (const message of delivered) {
    if (seenIds.has(message.messageId)) repeatedMessageIds++;
    seenIds.add(message.messageId);
    const t = trace(message.to);
    if (!t) continue;
    t.messages.push(message);
    const row = message.rowId ? rowsById.get(message.rowId) : undefined;
    if (!row) { messagesWithoutRow++; continue; }
    named.add(row.id);
    if (!t.outbox.has(row.id)) { t.outbox.add(row.id); t.outboxStatus.push(row.status); }
  }
  // A sent row's recipient is masked; a row not yet sent (pending, dead) still names its address.
  for (const row of outbox) {
    if (row.status === 'sent' || named.has(row.id)) continue;
    const t = trace(row.recipient.toLowerCase());
    if (t && !t.outbox.has(row.id)) { t.outbox.add(row.id); t.outboxStatus.push(row.status); }
  }
  const outboxByStatus: Record<string, number> = {};
  for (const row of outbox) outboxByStatus[row.status] = (outboxByStatus[row.status] ?? 0) + 1;
  return {
    traces: [...traces.values()],
    rows: { users: users.length, tokens: tokens.length, outbox: outbox.length, outboxByStatus, messages: delivered.length },
    sentWithoutMessage: outbox.filter((row) => row.status === 'sent' && !named.has(row.id)).map((row) => row.id),
    messagesWithoutRow, repeatedMessageIds, foreign,
  };
}

/** Exactly one of everything, tied together: the link row is the user's, the row was sent, the message carries a link. */
export function complete(t: Trace): boolean {
  return t.users.length === 1 && t.tokens.length === 1 && t.tokens[0] === t.users[0]
    && t.outbox.size === 1 && t.outboxStatus[0] === 'sent' && t.messages.length === 1 && t.messages[0].link !== null;
}

export const empty = (t: Trace): boolean => t.users.length + t.tokens.length + t.outbox.size + t.messages.length === 0;
export const duplicated = (t: Trace): boolean => t.users.length > 1 || t.tokens.length > 1 || t.outbox.size > 1 || t.messages.length > 1;

/** One line per trace for a violation report, e.g. `li-…@bench.test (202): users 1, links 1, outbox 0, messages 0`. */
export function describeTrace(t: Trace): string {
  return `${t.address} (${t.status ?? 'no answer'}): users ${t.users.length}, links ${t.tokens.length}, outbox ${t.outbox.size} [${t.outboxStatus.join(', ')}], messages ${t.messages.length}${t.messages.some((m) => !m.link) ? ' (one without a link)' : ''}`;
}

export interface LinkCheck { address: string; opened: boolean; confirmed: boolean; problem?: string }

/**
 * Follows a delivered link as a person would: GET renders the confirmation page (and consumes
 * nothing), POST confirms. `origin` replaces the public origin the link was built from; each
 * check comes from its own client address (the per-IP limit on link submissions).
 */
export async function followLink(origin: string, link: string, address: string, clientIp: string): Promise<LinkCheck> {
  const url = new URL(link);
  const target = `${origin}${url.pathname}${url.search}`;
  const headers = { 'x-forwarded-for': clientIp };
  const page = await fetch(target, { headers });
  const html = await page.text();
  const opened = page.status === 200 && html.includes('Confirm my email address');
  const post = await fetch(`${origin}${url.pathname}`, {
    method: 'POST', headers: { ...headers, 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ token: url.searchParams.get('token') }),
  });
  const body = await post.text();
  const confirmed = post.status === 200 && JSON.parse(body).status === 'VERIFIED';
  const problem = opened && confirmed ? undefined : `GET ${page.status}${opened ? '' : ' (no confirm button)'}, POST ${post.status} ${body.slice(0, 120)}`;
  return { address, opened, confirmed, problem };
}
