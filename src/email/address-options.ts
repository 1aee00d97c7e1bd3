import { bool, checkKeys, fail, isObject } from '../config/checks.ts';
import { parseEmailAddress, splitAddress } from './email-address.ts';

/** Where these options sit in `emailVerification(options)`, for error messages. */
const WHERE = 'addresses';
const CODE = 'VERIGATE_INVALID_ADDRESSES';
export const ADDRESS_KEYS = ['disposable', 'allow', 'deny', 'caseSensitiveLocalPart', 'checkDomain'] as const;

export interface AddressOptions {
  /**
   * Refuse addresses at domains (and their subdomains) on the maintained list of disposable,
   * throwaway mail providers, with problem `DISPOSABLE`.
   * @default true
   */
  disposable?: boolean;
  /**
   * Domains to accept even though the maintained list names them; subdomains are included. Any
   * case, Unicode or punycode (`bücher.de` or `xn--bcher-kva.de`).
   * @default []
   */
  allow?: readonly string[];
  /**
   * Domains to refuse with problem `DOMAIN_NOT_ALLOWED`, whatever the maintained list says;
   * subdomains are included. The most specific of `allow` and `deny` wins, so `deny: ['example.com']`
   * with `allow: ['staff.example.com']` accepts only the latter. Listing one domain in both is an error.
   * @default []
   */
  deny?: readonly string[];
  /**
   * Keep `Alice@example.com` and `alice@example.com` apart in the uniqueness key. Mail always goes
   * to the address as typed either way.
   * @default false
   */
  caseSensitiveLocalPart?: boolean;
  /**
   * Runs last, on the ASCII (punycode) domain of an otherwise acceptable address; resolve `false`
   * to refuse it as `UNDELIVERABLE`. It must bound its own time; a rejection counts as `true`.
   * `mxCheck()` is a ready one that asks DNS for MX (then A/AAAA) records.
   * @default undefined (no lookups)
   */
  checkDomain?: (domain: string) => Promise<boolean>;
}

export interface ResolvedAddressOptions {
  readonly disposable: boolean;
  /** ASCII, lower-case, without duplicates. */
  readonly allow: readonly string[];
  /** ASCII, lower-case, without duplicates. */
  readonly deny: readonly string[];
  readonly caseSensitiveLocalPart: boolean;
  readonly checkDomain: ((domain: string) => Promise<boolean>) | undefined;
}

/** A domain as an address would carry it, by the same rules `parseEmailAddress` applies to addresses. */
function normaliseDomain(name: string, entry: unknown): string {
  const parsed = typeof entry === 'string' ? parseEmailAddress(`x@${entry.trim()}`) : undefined;
  if (!parsed?.ok) {
    fail(CODE, `${WHERE}.${name} has ${JSON.stringify(entry)}, which is not a domain name.`,
      `Write just the domain, e.g. ${name}: ['mailinator.com']; subdomains are included, so no '*.' or '@'.`);
  }
  return splitAddress(parsed.canonical).domain;
}

function domainList(name: 'allow' | 'deny', value: unknown): readonly string[] {
  if (value === undefined) return Object.freeze([]);
  if (!Array.isArray(value)) fail(CODE, `${WHERE}.${name} must be an array of domain names.`, `Got ${typeof value}; e.g. ${name}: ['example.com'].`);
  return Object.freeze([...new Set(value.map((entry) => normaliseDomain(name, entry)))]);
}

/**
 * Validates `addresses` options once, at start-up, and returns them frozen, with every domain in
 * canonical form. Throws `VerigateConfigError` (code `VERIGATE_INVALID_ADDRESSES`, or
 * `VERIGATE_UNKNOWN_OPTION` with a suggestion for a misspelt key) on any mistake. Resolving an
 * already resolved value returns an equal one.
 */
export function resolveAddressOptions(value: unknown): ResolvedAddressOptions {
  const options = value ?? {};
  if (!isObject(options)) fail(CODE, `${WHERE} must be an object.`, `Known options: ${ADDRESS_KEYS.join(', ')}.`);
  checkKeys(`${WHERE}.`, options, ADDRESS_KEYS);
  const allow = domainList('allow', options.allow);
  const deny = domainList('deny', options.deny);
  const both = allow.find((domain) => deny.includes(domain));
  if (both !== undefined) {
    fail(CODE, `${WHERE}.allow and ${WHERE}.deny both list ${both}.`, 'Keep it in one of them: allow overrides the maintained list, deny refuses.');
  }
  const checkDomain = options.checkDomain;
  if (checkDomain !== undefined && typeof checkDomain !== 'function') {
    fail(CODE, `${WHERE}.checkDomain must be a function (domain) => Promise<boolean>.`, `Got ${typeof checkDomain}; e.g. checkDomain: mxCheck({ timeoutMs: 2000 }).`);
  }
  return Object.freeze({
    disposable: bool(`${WHERE}.disposable`, options.disposable, true, CODE),
    allow,
    deny,
    caseSensitiveLocalPart: bool(`${WHERE}.caseSensitiveLocalPart`, options.caseSensitiveLocalPart, false, CODE),
    checkDomain: checkDomain as ResolvedAddressOptions['checkDomain'],
  });
}
