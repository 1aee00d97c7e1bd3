import type { ResolvedConfig } from '../config/resolved-config.ts';
import type { VerigateKeys } from '../crypto/keys.ts';
import type { DbAccess } from '../db/db-access.ts';
import { enqueueMails, sealMail } from '../outbox/outbox-store.ts';
import type { EmailRenderer } from '../ports/mail.ts';
import { isSuppressed } from '../bounces/suppression-store.ts';

export type NoticeResult = { status: 'QUEUED' } | { status: 'INVALID_EMAIL' } | { status: 'ADDRESS_SUPPRESSED' } | { status: 'RATE_LIMITED'; retryAfterSeconds: number };

/**
 * For sign-up forms that answer a taken address exactly like a free one: the owner gets a short
 * "someone tried to sign up with your address" mail (no token; where to sign in or reset the
 * password) through the outbox, and the person at the form learns nothing.
 */
export function createAccountNotice(deps: { config: ResolvedConfig; keys: VerigateKeys; db: DbAccess; renderer: EmailRenderer; onQueued?: () => void;
  allow?: (recipientKey: string) => Promise<{ ok: true } | { status: 'RATE_LIMITED'; retryAfterSeconds: number }> }) {
  const { config, keys, db, renderer } = deps;
  return async function notifyExistingAccount(email: unknown, options: { loginUrl: string; locale?: string }): Promise<NoticeResult> {
    const checked = await config.addressPolicy.check(email);
    if (!checked.ok) return { status: 'INVALID_EMAIL' };
    if (await db.run((ctx) => isSuppressed(ctx, checked.canonical))) return { status: 'ADDRESS_SUPPRESSED' };
    // The same limits as any mail to that address: repeated sign-ups must not flood its owner.
    const allowed = await deps.allow?.(checked.limitKey);
    if (allowed && 'status' in allowed) return allowed;
    const rendered = await renderer.render('account-exists', { appName: config.appName, email: checked.address, loginUrl: options.loginUrl }, options.locale);
    await db.run((ctx) => enqueueMails(ctx, [sealMail(keys.outboxSeal, { kind: 'account-exists', to: checked.address, email: rendered })]));
    deps.onQueued?.();
    return { status: 'QUEUED' };
  };
}
