import type { DbAccess } from '../db/db-access.ts';
import { verifiedPage } from '../verification/verified-email-store.ts';
import type { VerifiedAddress } from './bounce-results.ts';

export interface VerifiedAddressesOptions {
  /** Rows fetched per query (each page is one short statement; memory holds one page). Default `1000`, at most `10000`. */
  pageSize?: number;
}

const MAX_PAGE = 10_000;

/**
 * Every verified (user, address) pair whose address is not suppressed, in key order, one page per
 * query: keyset pagination on the primary key, so no transaction or cursor stays open, memory
 * holds one page, and page n costs what page 1 does. A user may have several pairs (addresses
 * verified before a change stay verified): filter your list by the (user, address) you hold.
 * Pairs verified or withdrawn while the iteration runs may or may not appear.
 */
export function verifiedAddresses(db: DbAccess, options: VerifiedAddressesOptions = {}): AsyncGenerator<VerifiedAddress, void, undefined> {
  const pageSize = options.pageSize ?? 1000;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE) throw new RangeError(`verifiedAddresses: pageSize must be a whole number from 1 to ${MAX_PAGE}.`);
  return (async function* pages() {
    // Below every stored key: user ids are never empty.
    let after: readonly [string, string] = ['', ''];
    for (;;) {
      const page = await db.run((ctx) => verifiedPage(ctx, after, pageSize));
      yield* page;
      if (page.length < pageSize) return;
      const last = page[page.length - 1];
      after = [last.userId, last.email];
    }
  })();
}
