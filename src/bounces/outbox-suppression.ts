import type { DbAccess } from '../db/db-access.ts';
import { canonicalEmail } from '../email/email-address.ts';
import type { Logger } from '../ports/logger.ts';
import { markSuppressed, type ClaimedMail } from '../outbox/outbox-store.ts';
import { suppressedAmong } from './suppression-store.ts';

/**
 * The worker's last check before SMTP: claimed mails to a suppressed address (queued before the
 * bounce, or by a send that raced it) are parked as `suppressed` instead of sent. One query per
 * claimed batch that holds mail; event rows pass untouched.
 */
export async function skipSuppressed(db: DbAccess, rows: readonly ClaimedMail[], logger: Logger): Promise<ClaimedMail[]> {
  const mails = rows.filter((row) => row.channel === 'mail');
  if (mails.length === 0) return [...rows];
  const canonical = new Map(mails.map((row) => [row.id, canonicalEmail(row.recipient)]));
  const suppressed = await db.run((ctx) => suppressedAmong(ctx, [...canonical.values()]));
  if (suppressed.size === 0) return [...rows];
  const skipped = new Set(mails.filter((row) => suppressed.has(canonical.get(row.id)!)).map((row) => row.id));
  await db.run((ctx) => markSuppressed(ctx, mails.filter((row) => skipped.has(row.id))));
  logger.info('mail to a suppressed address not sent', { outboxIds: [...skipped].join(','), count: skipped.size });
  return rows.filter((row) => !skipped.has(row.id));
}
