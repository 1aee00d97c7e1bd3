import type { ResolvedConfig } from '../config/resolved-config.ts';
import type { VerificationService } from './verification-service.ts';

/** What happened, for logs and tests only: the person asking is told the same in every case. */
export type AnonymousResendOutcome = 'SENT' | 'UNKNOWN_ADDRESS' | 'ALREADY_VERIFIED' | 'NOT_SENT';

/**
 * "Send me a new link" from someone who is not signed in: only an account whose address is still
 * unverified gets a link, and only to the address on the account. Whoever asks must be answered
 * before (or regardless of) this work, so the answer cannot reveal which case it was.
 */
export function createAnonymousResend(config: ResolvedConfig, verification: VerificationService) {
  return async function resendToAddress(email: unknown): Promise<AnonymousResendOutcome> {
    const findByEmail = config.users?.findByEmail;
    if (!findByEmail) return 'NOT_SENT';
    const checked = await config.addressPolicy.check(email);
    if (!checked.ok) return 'UNKNOWN_ADDRESS';
    const user = await findByEmail(checked.canonical);
    if (!user || !user.email) return 'UNKNOWN_ADDRESS';
    const result = await verification.issue({ id: user.id, email: user.email });
    return result.status === 'SENT' ? 'SENT' : result.status === 'ALREADY_VERIFIED' ? 'ALREADY_VERIFIED' : 'NOT_SENT';
  };
}
