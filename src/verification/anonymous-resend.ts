import type { ResolvedConfig } from '../config/resolved-config.ts';
import type { Limiter } from '../limits/limiter.ts';
import { refusalOf, type LimitContext, type Refusal } from './send-limits.ts';
import type { VerificationService } from './verification-service.ts';

/** What happened, for logs and tests only: the person asking is told the same in every case. */
export type AnonymousResendOutcome = 'SENT' | 'UNKNOWN_ADDRESS' | 'ALREADY_VERIFIED' | 'NOT_SENT';

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
    // An address that cannot be valid still spends the same allowance, under its raw form (a blank
    // one under a key of its own: the limiter refuses an empty key as a bug, which would be a 500).
    const recipientKey = checked.ok ? checked.limitKey : String(email ?? '').trim().toLowerCase().slice(0, 320) || '(blank)';
    return refusalOf(limiter, [{ rule: 'sendsPerRecipient', key: recipientKey }, ...(context.ip ? [{ rule: 'sendsPerIp' as const, key: context.ip }] : [])]);
  }

  async function send(email: unknown): Promise<AnonymousResendOutcome> {
    const findByEmail = config.users?.findByEmail;
    if (!findByEmail) return 'NOT_SENT';
    const checked = await config.addressPolicy.check(email);
    if (!checked.ok) return 'UNKNOWN_ADDRESS';
    const user = await findByEmail(checked.canonical);
    if (!user || !user.email) return 'UNKNOWN_ADDRESS';
    // The recipient and IP were counted by admit(); the per-user allowance still applies.
    const result = await verification.issue({ id: user.id, email: user.email }, { recipientCounted: true });
    return result.status === 'SENT' ? 'SENT' : result.status === 'ALREADY_VERIFIED' ? 'ALREADY_VERIFIED' : 'NOT_SENT';
  }

  return { admit, send, enabled: () => typeof config.users?.findByEmail === 'function' };
}

export type AnonymousResend = ReturnType<typeof createAnonymousResend>;
