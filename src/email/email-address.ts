import { domainToASCII } from 'node:url';

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
// C0, DEL, C1 controls, and Unicode line/paragraph separators, which break mail headers and logs.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
const LOCAL_ALLOWED = /^[^\s"(),:;<>@[\\\]]+$/u;
const DOMAIN_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
// Checked before IDNA mapping: domainToASCII parses like a URL host and would decode %61 into 'a',
// so the mailbox written to and the address recorded as verified could differ.
const DOMAIN_INPUT = /^[\p{L}\p{M}\p{N}.-]+$/u;

const problem = (p: EmailAddressProblem, message: string): ParsedEmailAddress => ({ ok: false, problem: p, message });

/**
 * Validates an address and returns its canonical form. Deliberately stricter than RFC 5322
 * (no quoted local parts, no comments, no IP literals): addresses people type, and nothing
 * that could smuggle a header or split a log line.
 */
export function parseEmailAddress(input: unknown): ParsedEmailAddress {
  if (typeof input !== 'string' || input.trim() === '') return problem('EMPTY', 'Enter an email address.');
  // Refuse before trimming, so "a@b.c\r\nBcc: x" is not quietly cleaned into something valid.
  if (CONTROL.test(input)) return problem('CONTROL_CHARACTERS', 'The email address contains characters that are not allowed.');
  const value = input.trim().normalize('NFC');
  if (Buffer.byteLength(value) > MAX_TOTAL_BYTES * 4) return problem('TOO_LONG', 'The email address is too long.');
  const at = value.lastIndexOf('@');
  if (at < 0) return problem('MISSING_AT', 'The email address needs an @, like name@example.com.');
  const local = value.slice(0, at);
  const rawDomain = value.slice(at + 1);
  // '=?' starts an RFC 2047 encoded-word, which some parsers decode into a different address.
  if (local === '' || !LOCAL_ALLOWED.test(local) || local.startsWith('.') || local.endsWith('.') || local.includes('..') || local.includes('=?')) {
    return problem('LOCAL_PART_INVALID', 'The part before the @ is not a valid mailbox name.');
  }
  if (Buffer.byteLength(local) > MAX_LOCAL_BYTES) return problem('TOO_LONG', 'The part before the @ is longer than 64 bytes.');
  // No trailing-dot form: mail goes to the stored address, and many servers refuse 'a@b.com.'.
  const domain = rawDomain;
  const ascii = DOMAIN_INPUT.test(domain) ? domainToASCII(domain.toLowerCase()) : '';
  const labels = ascii.split('.');
  if (ascii === '' || labels.length < 2 || !labels.every((label) => DOMAIN_LABEL.test(label)) || /^\d+$/.test(labels.at(-1)!)) {
    return problem('DOMAIN_INVALID', 'The part after the @ is not a valid domain name.');
  }
  const canonical = `${local}@${ascii}`;
  if (Buffer.byteLength(canonical) > MAX_TOTAL_BYTES) return problem('TOO_LONG', 'The email address is longer than 254 bytes.');
  return { ok: true, canonical };
}

/** Canonical form of an address already known to be valid; falls back to the trimmed input for legacy data. */
export function canonicalEmail(address: string): string {
  const parsed = parseEmailAddress(address);
  return parsed.ok ? parsed.canonical : address.trim();
}
