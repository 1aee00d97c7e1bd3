import { createResultLinks } from '../../plugin/result-link.ts';
import type { ResultStatus } from '../../plugin/outcomes.ts';
import { deriveKeys } from '../../src/crypto/keys.ts';
import { systemClock } from '../../src/ports/clock.ts';

/** A signed result page URL for `slug` (e.g. 'verified'), as the router redirects to after a link or code. */
export function resultUrl(slug: string, base = '/verify'): RegExp {
  return new RegExp(`^${base}/result\\?status=${slug}&until=\\d+&sig=[A-Za-z0-9_-]{22}$`);
}

/**
 * A result page URL signed as the router signs it, for tests that open an outcome page directly
 * (`status` is the result status, e.g. 'TOKEN_EXPIRED'); `secret` is the app's.
 */
export function signedResultPath(secret: string, status: ResultStatus, base = '/verify'): string {
  return `${base}${createResultLinks(deriveKeys(secret).pageSign, systemClock).path(status)}`;
}
