import { randomUUID } from 'node:crypto';
import type { ResolvedConfig } from '../config/resolved-config.ts';
import type { VerigateKeys } from '../crypto/keys.ts';
import type { DbAccess } from '../db/db-access.ts';
import type { Limiter } from '../limits/limiter.ts';
import { refusalOf, sendChecks, type LimitContext } from '../verification/send-limits.ts';
import type { SqlContext } from '../db/sql-context.ts';
import { parseEmailAddress } from '../email/email-address.ts';
import { maskEmail } from '../logging/mask-email.ts';
import { sealMail } from '../outbox/outbox-store.ts';
import { chooseLocale, type EmailRenderer, type LocaleChoice } from '../ports/mail.ts';
import type { VerigateUser } from '../ports/user.ts';
import { createToken, hashToken } from '../tokens/token.ts';
import { findOpenToken, insertToken, issueToken } from '../tokens/token-store.ts';
import { normaliseUserId } from '../users/user-id.ts';
import type { PendingChange, StartChangeResult } from './change-results.ts';
import { createChangeConfirmation } from './change-confirmation.ts';
import { createCode, formatCode, hashCode } from '../tokens/code.ts';
import { noAudit, type AuditTrail } from '../audit/audit-trail.ts';
import type { EventWriter } from '../events/event-sql.ts';

export interface AddressChangeDeps {
  config: ResolvedConfig;
  keys: VerigateKeys;
  db: DbAccess;
  renderer: EmailRenderer;
  limiter: Limiter;
  onQueued?: () => void;
  /** Where change requests, confirmations and undos are reported. Default: nowhere. */
  audit?: AuditTrail;
  /** Plans the event each change writes to the outbox (nothing when no sink is configured). */
  events?: EventWriter;
}

export interface StartChangeInput extends LimitContext {
  newEmail: unknown;
  /** The current password, checked through `users.verifyPassword` when the account already has an address. */
  password?: unknown;
  /** The web layer vouches for a sign-in recent enough to skip the password (its `recentLogin` option). */
  recentlyAuthenticated?: boolean;
  /** The host's open transaction to join. */
  within?: SqlContext;
  /** The language of the mails this change sends (link, notice; a taken-address notice too); default: the renderer's. */
  locale?: LocaleChoice;
}

/** Longer passwords are refused as wrong without asking the host (see `UserStore.verifyPassword`). */
export const MAX_PASSWORD_LENGTH = 1024;

export type AddressChangeService = ReturnType<typeof createAddressChangeService>;

/**
 * Adding a first address and changing one are one mechanism: a *pending* address, proven by a link
 * sent to it, then applied through the host's `users.setEmail`. The current address stays in
 * force until then; its owner is told at once, with an undo link.
 */
export function createAddressChangeService(deps: AddressChangeDeps) {
  const { config, keys, renderer, db } = deps;
  const { users } = config;
  const link = (path: string, token: string) => `${config.baseUrl}${path}?token=${token}`;

  /** A change of an existing address needs the password, limited like every secret: per user and per IP. */
  async function reauthenticate(user: VerigateUser, userKey: string, input: StartChangeInput): Promise<StartChangeResult | null> {
    if (user.email === null || input.recentlyAuthenticated) return null;
    if (!users?.verifyPassword) return { status: 'NOT_SUPPORTED' };
    if (typeof input.password !== 'string' || input.password === '') return { status: 'REAUTH_REQUIRED' };
    const checks = [{ rule: 'passwordAttemptsPerUser' as const, key: userKey }, ...(input.ip ? [{ rule: 'attemptsPerIp' as const, key: input.ip }] : [])];
    const refused = await refusalOf(deps.limiter, checks);
    if (refused) return refused;
    // No form sends a NUL or a password this long; the host's check (a query, a slow hash) never sees one.
    if (input.password.length > MAX_PASSWORD_LENGTH || input.password.includes('\u0000')) return { status: 'WRONG_PASSWORD' };
    if (!(await users.verifyPassword(user.id, input.password))) return { status: 'WRONG_PASSWORD' };
    await deps.limiter.reset('passwordAttemptsPerUser', userKey);
    return null;
  }

  async function start(user: VerigateUser, input: StartChangeInput): Promise<StartChangeResult> {
    const id = normaliseUserId(user?.id);
    if (!id.ok) return { status: 'INVALID_USER' };
    if (!users?.setEmail) return { status: 'NOT_SUPPORTED' };
    const audit = deps.audit ?? noAudit;
    const failed = async (reason: string, detail: Record<string, string> = {}) =>
      audit.record({ event: 'verification.failed', userKey: id.key, ip: input.ip, email: typeof input.newEmail === 'string' ? input.newEmail : null, outcome: 'failed', reason, detail: { flow: 'email_change', ...detail } });
    const parsed = await config.addressPolicy.check(input.newEmail);
    if (!parsed.ok) {
      await failed('INVALID_EMAIL', { problem: parsed.problem });
      return { status: 'INVALID_EMAIL', problem: parsed.problem };
    }
    const current = user.email ? parseEmailAddress(user.email) : null;
    if (current?.ok && current.canonical === parsed.canonical) return { status: 'SAME_ADDRESS' };
    const denied = await reauthenticate(user, id.key, input);
    if (denied?.status === 'WRONG_PASSWORD') await failed('WRONG_PASSWORD');
    if (denied) return denied;
    const limited = await refusalOf(deps.limiter, sendChecks(id.key, parsed.limitKey, input));
    if (limited) return limited;

    const to = parsed.address;
    const ttl = { expiresAt: new Date(Date.now() + config.tokenTtlMs), ttlMs: config.tokenTtlMs };
    // The owner of a taken address is someone else, whose language is unknown here: the requester's is the best guess.
    const locale = chooseLocale(input.locale, { id: user.id, email: user.email ?? null });
    // A taken address goes through every step a free one does (pending record, notice to the current
    // address), so neither the answer, the pending page nor the mail the requester gets tells them
    // apart; only the message to the new address differs: its owner is told, and gets no link.
    const taken = (await users.isEmailTaken?.(parsed.canonical, user.id)) === true;
    const token = createToken();
    const code = createCode();
    const mails = [sealMail(keys.outboxSeal, taken
      ? { kind: 'email-taken-notice', to, email: await renderer.render('email-taken-notice', { appName: config.appName, email: to, loginUrl: new URL(config.baseUrl).origin }, locale) }
      : { kind: 'email-change', to, email: await renderer.render('email-change', { appName: config.appName, email: to, link: link('/email/confirm', token), code: formatCode(code), ...ttl }, locale) })];
    const previous = current?.ok ? current.canonical : '';
    const undoToken = createToken();
    const undoMail = user.email ? sealMail(keys.outboxSeal, {
      kind: 'email-change-notice', to: user.email.trim(),
      email: await renderer.render('email-change-notice', {
        appName: config.appName, email: user.email.trim(), newEmailMasked: maskEmail(parsed.canonical),
        undoLink: link('/email/undo', undoToken), expiresAt: new Date(Date.now() + config.undoTtlMs), ttlMs: config.undoTtlMs,
      }, locale),
    }) : null;
    const common = { userId: id.key, userIdType: id.type, email: previous, newEmail: parsed.canonical };
    const outcome = await db.transaction(async (tx) => {
      const issued = await issueToken(tx, { ...common, id: randomUUID(), purpose: 'email_change', tokenHash: hashToken(keys.tokenHash, token), codeHash: hashCode(keys.tokenHash, code), ttlMs: config.tokenTtlMs },
        // A new address that bounced or drew a complaint: the statement wrote nothing, and nothing else is written.
        mails, { event: deps.events?.plan('email.change_requested'), unlessSuppressed: parsed.canonical });
      if (issued.status === 'ADDRESS_SUPPRESSED') return issued;
      if (undoMail) {
        await insertToken(tx, { ...common, id: randomUUID(), purpose: 'change_revoke', tokenHash: hashToken(keys.tokenHash, undoToken), ttlMs: config.undoTtlMs }, [undoMail]);
      }
      return issued;
    }, input.within);
    // Refused only after re-authentication: whether an address bounced here is no one's business but the account's.
    if (outcome.status === 'ADDRESS_SUPPRESSED') {
      await failed('ADDRESS_SUPPRESSED');
      return outcome;
    }
    if (!input.within) deps.onQueued?.();
    // A taken address got a notice, not a link: the requester never learns it, the audit log does.
    await audit.record({ event: 'verification.sent', userKey: id.key, ip: input.ip, email: to, outcome: taken ? 'notice' : 'sent',
      ...(taken ? { reason: 'ADDRESS_TAKEN' } : {}), detail: { purpose: 'email_change' } }, { within: input.within });
    return { status: 'SENT', expiresAt: outcome.status === 'ISSUED' ? outcome.expiresAt : ttl.expiresAt };
  }

  /** The user's pending address, if a link to one is still open. */
  async function pending(user: VerigateUser): Promise<PendingChange | null> {
    const id = normaliseUserId(user?.id);
    if (!id.ok) return null;
    const open = await db.run((ctx) => findOpenToken(ctx, id.key, 'email_change'));
    return open?.newEmail ? { email: open.newEmail, expiresAt: open.expiresAt } : null;
  }

  return { start, pending, ...createChangeConfirmation(deps) };
}
