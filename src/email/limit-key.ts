import { splitAddress } from './email-address.ts';
import { foldLocalPart } from './uniqueness-key.ts';

// Gmail ignores dots in the local part and serves googlemail.com as the same mailboxes.
const GMAIL_DOMAINS = new Set(['gmail.com', 'googlemail.com']);

/**
 * Rate-limit bucket for a canonical address (from `parseEmailAddress`), never used as an
 * identity: `j.doe+1@gmail.com`, `J.Doe@googlemail.com` and `jdoe@gmail.com` share one bucket, so
 * tag and dot variants cannot multiply the sends a mailbox receives.
 *
 * The local part is folded first (`foldLocalPart`, so a full-width '＋' cannot dodge the tag rule),
 * then everything from the first '+' is dropped on every domain (most providers deliver tags to
 * the base mailbox; where one does not, sharing a bucket only makes the limit stricter). A local
 * part that starts with '+' is kept whole rather than emptied. For Gmail, dots go too and
 * googlemail.com becomes gmail.com.
 */
export function limitKey(canonical: string): string {
  const { local, domain } = splitAddress(canonical);
  const folded = foldLocalPart(local);
  const plus = folded.indexOf('+');
  const base = plus > 0 ? folded.slice(0, plus) : folded;
  // A canonical local part never starts with a dot, so removing dots cannot leave it empty.
  return GMAIL_DOMAINS.has(domain) ? `${base.replaceAll('.', '')}@gmail.com` : `${base}@${domain}`;
}
