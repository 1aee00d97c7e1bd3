import { domainToUnicode } from 'node:url';
import { createDomainRules } from './disposable-domains.ts';
import { parseEmailAddress, splitAddress, type EmailAddressProblem } from './email-address.ts';
import { limitKey } from './limit-key.ts';
import { resolveAddressOptions, type AddressOptions } from './address-options.ts';
import { uniquenessKey } from './uniqueness-key.ts';

export type AddressProblem = EmailAddressProblem | 'DISPOSABLE' | 'DOMAIN_NOT_ALLOWED' | 'UNDELIVERABLE';

export type AddressCheck =
  | {
    ok: true;
    /**
     * What to store and send to: trimmed, NFC, as typed; only a domain typed in full-width forms or
     * with ideographic full stops is replaced by its plain spelling.
     */
    address: string;
    /** Identity of the mailbox for verification records: NFC local part, ASCII lower-case domain. */
    canonical: string;
    /** For the host's unique index: `canonical` with the local part folded unless case-sensitive. */
    uniqueKey: string;
    /** Rate-limit bucket only: tags, Gmail dots and case folded away. */
    limitKey: string;
  }
  | { ok: false; problem: AddressProblem; message: string };

export interface AddressPolicy {
  check(input: unknown): Promise<AddressCheck>;
}

/**
 * The typed address with its domain kept as written (case, Unicode) when that is merely another
 * spelling of the canonical domain, and replaced by the canonical domain's Unicode form when it
 * was written with full-width letters or ideographic full stops. nodemailer maps those as
 * domainToASCII does, but a mailer that only punycode-encodes would reach another name, and the
 * stored address should not depend on which one sends it.
 */
function sendingAddress(input: string, canonical: string): string {
  const typed = input.trim().normalize('NFC');
  const { local, domain: ascii } = splitAddress(canonical);
  const written = splitAddress(typed).domain;
  const unicode = domainToUnicode(ascii);
  const lower = written.toLowerCase();
  return `${local}@${lower === ascii || lower === unicode ? written : unicode}`;
}

/**
 * Decides whether an address may be used for an account: syntax (`parseEmailAddress`), the
 * host's deny list, the maintained disposable list (unless allowed), then `checkDomain` if given.
 * Options are resolved here, so a mistake throws `VerigateConfigError` at start-up; `check` itself
 * never throws for any input.
 */
export function createAddressPolicy(options: AddressOptions = {}): AddressPolicy {
  const resolved = resolveAddressOptions(options);
  const classify = createDomainRules({ allow: resolved.allow, deny: resolved.deny, useList: resolved.disposable });

  async function deliverable(domain: string): Promise<boolean> {
    if (!resolved.checkDomain) return true;
    try {
      return (await resolved.checkDomain(domain)) !== false;
    } catch {
      // A broken or unreachable checker is the host's problem, not a reason to refuse a person.
      return true;
    }
  }

  return {
    async check(input) {
      const parsed = parseEmailAddress(input);
      if (!parsed.ok) return parsed;
      const { canonical } = parsed;
      const domain = splitAddress(canonical).domain;
      const shown = domainToUnicode(domain);
      const verdict = classify(domain);
      if (verdict.kind === 'denied') {
        return { ok: false, problem: 'DOMAIN_NOT_ALLOWED', message: `Addresses at ${shown} cannot be used here; use a different address.` };
      }
      if (verdict.kind === 'disposable') {
        return { ok: false, problem: 'DISPOSABLE', message: `Addresses at ${shown} are temporary; use an address you will keep.` };
      }
      if (!(await deliverable(domain))) {
        return { ok: false, problem: 'UNDELIVERABLE', message: `${shown} does not seem to receive email; check the part after the @ for typos.` };
      }
      return {
        ok: true,
        address: sendingAddress(input as string, canonical),
        canonical,
        uniqueKey: uniquenessKey(canonical, { caseSensitiveLocalPart: resolved.caseSensitiveLocalPart }),
        limitKey: limitKey(canonical),
      };
    },
  };
}
