import { domainToASCII, domainToUnicode } from 'node:url';

export type EmailAddressProblem =
  | 'EMPTY'
  | 'TOO_LONG'
  | 'CONTROL_CHARACTERS'
  | 'MISSING_AT'
  | 'LOCAL_PART_INVALID'
  | 'DOMAIN_INVALID';

export type ParsedEmailAddress =
  | { ok: true; /** Form used for identity and uniqueness: NFC local part, lower-case ASCII (punycode) domain. */ canonical: string }
  | { ok: false; problem: EmailAddressProblem; message: string };

/** RFC 5321 limits, counted in bytes of the canonical form. */
const MAX_LOCAL_BYTES = 64;
const MAX_TOTAL_BYTES = 254;
// Controls (C0, DEL, C1), format characters (zero-width joiners, bidi overrides, BOM), lone
// surrogates, private-use and unassigned code points, default-ignorables (variation selectors,
// Hangul fillers) and line/paragraph separators. They break headers and logs, hide characters from
// the person reading the address, or (unassigned ones) could normalise differently in a later
// Unicode version and move the canonical form under a stored row.
const CONTROL = /[\p{C}\p{Default_Ignorable_Code_Point}\u2028\u2029]/u;
// '%' and '!' are refused on top of RFC 5322's specials: relays that still honour the percent hack
// (user%host@relay) or bang paths (host!user@relay) forward such mail to another host, so the
// mailbox that proves ownership would not be the one the domain part names.
const LOCAL_ALLOWED = /^[^\s"(),:;<>@[\\\]%!]+$/u;
const DOMAIN_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
// Checked before IDNA mapping: domainToASCII parses like a URL host and would decode %61 into 'a',
// so the mailbox written to and the address recorded as verified could differ. Full-width and
// ideographic full stops and the full-width hyphen are let through because UTS #46 maps them to
// '.' and '-', as it maps full-width letters, and nodemailer's domainToASCII does the same.
const DOMAIN_INPUT = /^[\p{L}\p{M}\p{N}.\u3002\uFF0E\uFF61\uFF0D-]+$/u;

const problem = (p: EmailAddressProblem, message: string): ParsedEmailAddress => ({ ok: false, problem: p, message });

function isValidLocalPart(local: string): boolean {
  // '=?' starts an RFC 2047 encoded-word, which some parsers decode into a different address.
  return LOCAL_ALLOWED.test(local) && !local.startsWith('.') && !local.endsWith('.') && !local.includes('..') && !local.includes('=?');
}

/**
 * An 'xn--' label that does not decode (or decodes to something IDNA disallows) comes back from
 * domainToUnicode unchanged. Node passes such fake A-labels through, which would let 'xn--mi7c'
 * (a full-width 'ａ', encoded by hand) stand beside 'a' as a different domain.
 */
function hasFakeALabel(ascii: string): boolean {
  return ascii.split('.').some((label) => label.startsWith('xn--') && domainToUnicode(label).startsWith('xn--'));
}

/** ASCII (punycode, lower-case) form of a domain as typed, or '' when it is not a usable mail domain. */
function asciiDomain(domain: string): string {
  const ascii = DOMAIN_INPUT.test(domain) ? domainToASCII(domain.toLowerCase()) : '';
  const labels = ascii.split('.');
  if (ascii === '' || labels.length < 2 || !labels.every((label) => DOMAIN_LABEL.test(label)) || /^\d+$/.test(labels.at(-1)!)) return '';
  return hasFakeALabel(ascii) ? '' : ascii;
}

/**
 * Validates an address and returns its canonical form. Deliberately stricter than RFC 5322
 * (no quoted local parts, no comments, no IP literals, no '%' or '!'): addresses people type,
 * and nothing that could smuggle a header, split a log line or be routed somewhere else.
 */
export function parseEmailAddress(input: unknown): ParsedEmailAddress {
  if (typeof input !== 'string' || input.trim() === '') return problem('EMPTY', 'Enter an email address.');
  // Refuse before trimming, so "a@b.c\r\nBcc: x" is not quietly cleaned into something valid.
  if (CONTROL.test(input)) return problem('CONTROL_CHARACTERS', 'The email address contains invisible or control characters; type it again by hand.');
  const value = input.trim().normalize('NFC');
  if (Buffer.byteLength(value) > MAX_TOTAL_BYTES * 4) return problem('TOO_LONG', 'The email address is too long.');
  const at = value.lastIndexOf('@');
  if (at < 0) return problem('MISSING_AT', 'The email address needs an @, like name@example.com.');
  const local = value.slice(0, at);
  // The compatibility form is checked too: a full-width '＠' or '％' must not pass here and then
  // turn into a real one in the uniqueness key or in some other system's normalisation.
  if (local === '' || !isValidLocalPart(local) || !isValidLocalPart(local.normalize('NFKC'))) {
    return problem('LOCAL_PART_INVALID', 'The part before the @ is not a valid mailbox name. Enter one address, like name@example.com.');
  }
  if (Buffer.byteLength(local) > MAX_LOCAL_BYTES) return problem('TOO_LONG', 'The part before the @ is longer than 64 bytes.');
  // No trailing-dot form: mail goes to the stored address, and many servers refuse 'a@b.com.'.
  const ascii = asciiDomain(value.slice(at + 1));
  if (ascii === '') return problem('DOMAIN_INVALID', 'The part after the @ is not a valid domain name, like example.com.');
  const canonical = `${local}@${ascii}`;
  if (Buffer.byteLength(canonical) > MAX_TOTAL_BYTES) return problem('TOO_LONG', 'The email address is longer than 254 bytes.');
  return { ok: true, canonical };
}

/** Canonical form of an address already known to be valid; falls back to the trimmed input for legacy data. */
export function canonicalEmail(address: string): string {
  const parsed = parseEmailAddress(address);
  return parsed.ok ? parsed.canonical : address.trim();
}

/** Splits a canonical address at its last '@' (the domain never contains one). */
export function splitAddress(address: string): { local: string; domain: string } {
  const at = address.lastIndexOf('@');
  return { local: address.slice(0, at), domain: address.slice(at + 1) };
}
