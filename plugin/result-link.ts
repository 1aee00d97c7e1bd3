import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../src/ports/clock.ts';
import { RESULT_SLUGS, statusFromSlug, type ResultStatus } from './outcomes.ts';

/**
 * How long a result URL shows its outcome: long enough to read the page and reload it, short
 * enough that a copied or forwarded URL soon stops saying anything.
 */
export const RESULT_TTL_SECONDS = 15 * 60;

/** Truncated HMAC-SHA-256: 128 bits is far beyond guessing within a 15-minute window. */
const SIGNATURE_BYTES = 16;
const SIGNATURE_PATTERN = /^[A-Za-z0-9_-]{22}$/;
const UNTIL_PATTERN = /^[0-9]{1,12}$/;

export type ResultRead =
  | { ok: true; status: ResultStatus }
  /** Missing, malformed, forged or for another outcome: never shown. */
  | { ok: false; reason: 'INVALID' | 'EXPIRED' };

export interface ResultLinks {
  /** The router-relative URL (`/result?status=verified&until=…&sig=…`) showing `status` for a while. */
  path(status: ResultStatus): string;
  /** Checks a result URL's query: the outcome, only if this server signed it and it is still fresh. */
  read(query: Record<string, unknown>): ResultRead;
}

/**
 * The result page's outcome travels in the URL, signed, instead of in the session: the person who
 * presses an emailed link's button often has no session in that browser (another device, a mail
 * app's web view), and confirming must never create one. A signed, short-lived parameter works
 * there; a session flash would not. What it cannot do is bind the page to one browser: anyone
 * holding the URL sees the same outcome until it expires, which is why it names no account,
 * address or token, only the outcome, and only for `RESULT_TTL_SECONDS`.
 */
export function createResultLinks(key: Buffer, clock: Clock): ResultLinks {
  const sign = (slug: string, until: string) =>
    createHmac('sha256', key).update(`result\u0000${slug}\u0000${until}`).digest().subarray(0, SIGNATURE_BYTES);

  return {
    path(status) {
      const slug = RESULT_SLUGS[status];
      const until = String(Math.floor(clock.now().getTime() / 1000) + RESULT_TTL_SECONDS);
      return `/result?status=${slug}&until=${until}&sig=${sign(slug, until).toString('base64url')}`;
    },
    read(query) {
      const { status: slug, until, sig } = query;
      if (typeof slug !== 'string' || typeof until !== 'string' || typeof sig !== 'string') return { ok: false, reason: 'INVALID' };
      const status = statusFromSlug(slug);
      if (!status || !UNTIL_PATTERN.test(until) || !SIGNATURE_PATTERN.test(sig)) return { ok: false, reason: 'INVALID' };
      if (!timingSafeEqual(Buffer.from(sig, 'base64url'), sign(slug, until))) return { ok: false, reason: 'INVALID' };
      if (Number(until) * 1000 < clock.now().getTime()) return { ok: false, reason: 'EXPIRED' };
      return { ok: true, status };
    },
  };
}
