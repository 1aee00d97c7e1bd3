import type { ResolvedConfig } from '../config/resolved-config.ts';
import type { LocaleChoice } from '../ports/mail.ts';
import type { Limiter } from '../limits/limiter.ts';
import { refusalOf, type LimitContext, type Refusal } from './send-limits.ts';
import type { VerificationService } from './verification-service.ts';

/** What happened, for logs and tests only: the person asking is told the same in every case. */
export type AnonymousResendOutcome = 'SENT' | 'UNKNOWN_ADDRESS' | 'ALREADY_VERIFIED' | 'ADDRESS_SUPPRESSED' | 'NOT_SENT';

/**
 * "Send me a new link" from someone who is not signed in (lost the mail, another device). Two
 * steps, so the answer cannot reveal whether an account exists: `admit` applies the same limits
 * (per IP and per address as typed) to every address, known or not, and is all the caller waits for;
 * `send` then looks the address up and mails a link only to an account whose address is still
 * unverified, after the answer has gone.
 */
export function createAnonymousResend(config: ResolvedConfig, verification: VerificationService, limiter: Limiter) {
  async function admit(email: unknown, context: LimitContext): Promise<Refusal | null> {
    const checked = await config.addressPolicy.check(email);
    // An address that cannot be valid still spends the same allowance, under its raw form; anything
    // that is not text (an array or object from a JSON body), or only spaces, shares one bucket.
    const raw = typeof email === 'string' ? email.trim().toLowerCase().slice(0, 320) : '';
    const recipientKey = checked.ok ? checked.limitKey : raw || '(not an address)';
    return refusalOf(limiter, [{ rule: 'sendsPerRecipient', key: recipientKey }, ...(context.ip ? [{ rule: 'sendsPerIp' as const, key: context.ip }] : [])]);
  }

  /** `locale`: the mail's language, e.g. a function of the account found (the host's per-user choice). */
  async function send(email: unknown, options: { locale?: LocaleChoice } = {}): Promise<AnonymousResendOutcome> {
    const findByEmail = config.users?.findByEmail;
    if (!findByEmail) return 'NOT_SENT';
    const checked = await config.addressPolicy.check(email);
    if (!checked.ok) return 'UNKNOWN_ADDRESS';
    const user = await findByEmail(checked.canonical);
    if (!user || !user.email) return 'UNKNOWN_ADDRESS';
    // The recipient and IP were counted by admit(); the per-user allowance still applies.
    const result = await verification.issue({ id: user.id, email: user.email }, { recipientCounted: true, locale: options.locale });
    // A suppressed address is refused like every send to it, and the visitor is told nothing more than for any address.
    return result.status === 'SENT' || result.status === 'ALREADY_VERIFIED' || result.status === 'ADDRESS_SUPPRESSED' ? result.status : 'NOT_SENT';
  }

  return { admit, send, enabled: () => typeof config.users?.findByEmail === 'function' };
}

export type AnonymousResend = ReturnType<typeof createAnonymousResend>;
