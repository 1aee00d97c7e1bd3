import { splitAddress } from './email-address.ts';

export interface UniquenessKeyOptions {
  /**
   * Treat `Alice@example.com` and `alice@example.com` as different accounts. RFC 5321 lets a
   * server do that, but almost none does, and people do not remember how they capitalised.
   * @default false
   */
  caseSensitiveLocalPart?: boolean;
}

/**
 * Folds a local part for comparison: NFKC, then Unicode default lower-casing (locale-independent
 * `toLowerCase`), then NFKC again so the result is a fixed point.
 *
 * What that means for the usual suspects, chosen so that only spellings of the same mailbox, or
 * lookalikes of one, meet:
 * - Kelvin sign U+212A and full-width letters (`ａｌｉｃｅ`) fold to ASCII `k`, `alice`: a lookalike
 *   of an existing account collides with it instead of standing beside it;
 * - dotless `ı` (U+0131) stays `ı`, distinct from `i`: it is a different letter, not a case of one;
 * - capital dotted `İ` (U+0130) becomes `i` + U+0307, distinct from `i` and from `ı`;
 * - `ß` stays `ß` (no full case folding to `ss`); capital `ẞ` (U+1E9E) lower-cases to `ß`;
 * - a final sigma stays `ς`, so `ΑΣ` and `ας` meet but `ασ` does not.
 */
export function foldLocalPart(local: string): string {
  return local.normalize('NFKC').toLowerCase().normalize('NFKC');
}

/**
 * The value for a unique index over accounts: the canonical address (from `parseEmailAddress`)
 * with its local part folded by `foldLocalPart`, so `Alice@example.com` and `alice@example.com`
 * are one account. Only for comparing: mail still goes to the address as typed.
 */
export function uniquenessKey(canonical: string, { caseSensitiveLocalPart = false }: UniquenessKeyOptions = {}): string {
  if (caseSensitiveLocalPart) return canonical;
  const { local, domain } = splitAddress(canonical);
  return `${foldLocalPart(local)}@${domain}`;
}
