import { isObject } from '../config/checks.ts';
import { parseEmailAddress } from '../email/email-address.ts';
import { redactSecrets } from '../logging/redact.ts';
import { BOUNCE_KINDS, type BounceKind, type BounceProblem } from './bounce-results.ts';
import { outboxIdOf } from './verp.ts';

/** A report that passed its checks: the target still to be resolved (an address, or a mail by outbox id). */
export interface CheckedReport {
  target: { email: string } | { outboxId: string };
  kind: BounceKind;
  reason: string | null;
  eventId: string | null;
}

const MAX_REASON = 200;
// Controls and bidi/format characters: the reason is shown to support staff and written to logs.
const UNPRINTABLE = /[\p{C}\u2028\u2029]+/gu;
// Addresses in a server's words ("<jane@example.com>: user unknown") would reach the audit log unmasked.
const ADDRESS_LIKE = /[^\s<>()[\]"',;:]+@[^\s<>()[\]"',;:]+/g;

/** What a remote server said, cut to one clean line; addresses, links and anything token-shaped are redacted. */
function cleanReason(reason: unknown): string | null | undefined {
  if (reason === undefined || reason === null) return null;
  if (typeof reason !== 'string') return undefined;
  const line = redactSecrets(reason.slice(0, 4 * MAX_REASON).replace(UNPRINTABLE, ' ').replace(ADDRESS_LIKE, '[address]').replace(/\s+/g, ' ').trim()).slice(0, MAX_REASON);
  return line === '' ? null : line;
}

/**
 * Checks a report as it arrives (from code, a webhook, a DSN parser): every problem is a value,
 * never an exception, since the input comes from another system.
 */
export function checkReport(target: unknown, report: unknown): CheckedReport | { problem: BounceProblem } {
  if (!isObject(target)) return { problem: 'TARGET' };
  const hasAddress = target.address !== undefined;
  const hasMessage = target.messageId !== undefined;
  if (hasAddress === hasMessage) return { problem: 'TARGET' };
  const r = isObject(report) ? report : {};
  if (!BOUNCE_KINDS.includes(r.kind as BounceKind)) return { problem: 'KIND' };
  const reason = cleanReason(r.reason);
  if (reason === undefined) return { problem: 'REASON' };
  const eventId = r.eventId ?? null;
  if (eventId !== null && (typeof eventId !== 'string' || eventId === '' || eventId.length > 200 || /[\p{C}]/u.test(eventId))) return { problem: 'EVENT_ID' };
  const base = { kind: r.kind as BounceKind, reason, eventId };
  if (hasAddress) {
    const parsed = parseEmailAddress(target.address);
    return parsed.ok ? { ...base, target: { email: parsed.canonical } } : { problem: 'ADDRESS' };
  }
  const outboxId = outboxIdOf(target.messageId);
  return outboxId ? { ...base, target: { outboxId } } : { problem: 'MESSAGE_ID' };
}
