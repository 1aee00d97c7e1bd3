import { randomUUID } from 'node:crypto';
import type { ResolvedConfig } from '../config/resolved-config.ts';
import type { VerigateKeys } from '../crypto/keys.ts';
import type { DbAccess } from '../db/db-access.ts';
import type { Limiter } from '../limits/limiter.ts';
import { refusalOf, sendChecks, type LimitContext } from './send-limits.ts';
import type { SqlContext } from '../db/sql-context.ts';
import { parseEmailAddress } from '../email/email-address.ts';
import { sealMail } from '../outbox/outbox-store.ts';
import { chooseLocale, type EmailRenderer, type LocaleChoice } from '../ports/mail.ts';
import type { VerigateUser } from '../ports/user.ts';
import { createToken, hashToken, isWellFormedToken } from '../tokens/token.ts';
import { createCode, formatCode, hashCode, MAX_CODE_ATTEMPTS, normaliseCode } from '../tokens/code.ts';
import { consumeByCode } from '../tokens/code-store.ts';
import { consumeToken, findOpenToken, issueToken, type UnusableReason } from '../tokens/token-store.ts';
import { normaliseUserId, restoreUserId } from '../users/user-id.ts';
import { runHook } from './run-hook.ts';
import type { CodeResult, ConfirmResult, IssueResult } from './results.ts';
import type { AuditContext } from '../audit/audit-event.ts';
import { noAudit, type AuditTrail } from '../audit/audit-trail.ts';
import type { EventWriter } from '../events/event-sql.ts';
import { isSuppressed } from '../bounces/suppression-store.ts';

export interface VerificationServiceDeps {
  config: ResolvedConfig;
  keys: VerigateKeys;
  db: DbAccess;
  renderer: EmailRenderer;
  limiter: Limiter;
  /** Called after a message is committed to the outbox, e.g. to wake the worker. */
  onQueued?: () => void;
  /** Where sends, confirmations and failures are reported. Default: nowhere. */
  audit?: AuditTrail;
  /** Plans the event each change writes to the outbox (nothing when no sink is configured). */
  events?: EventWriter;
}

/** Options of one `issue` call. */
export interface IssueOptions extends LimitContext {
  /** The host's open transaction: the token and its email commit or roll back with the host's rows. */
  within?: SqlContext;
  /** Who asked, for the audit log (default: `ip`). */
  audit?: AuditContext;
  /** The mail's language (the web layer's choice for this person); default: the renderer's. */
  locale?: LocaleChoice;
}

/** Options of one `confirm` call. */
export interface ConfirmOptions {
  /**
   * Take the user's indexed sessions (other than `keepHash`) out of verigate's session index in the
   * consuming statement; the result's `endedSessions` holds them, sealed, for the web layer to end.
   */
  endSessions?: { keepHash: string | null };
}

export const UNUSABLE_STATUS: Record<UnusableReason, Exclude<ConfirmResult['status'], 'VERIFIED'>> = {
  INVALID: 'TOKEN_INVALID', USED: 'TOKEN_USED', SUPERSEDED: 'TOKEN_SUPERSEDED', EXPIRED: 'TOKEN_EXPIRED', ALREADY_VERIFIED: 'ALREADY_VERIFIED',
};

export type VerificationService = ReturnType<typeof createVerificationService>;

export function createVerificationService(deps: VerificationServiceDeps) {
  const { config, keys, renderer, db } = deps;
  const { logger } = config;
  const audit = deps.audit ?? noAudit;
  const plan = (type: Parameters<EventWriter['plan']>[0]) => deps.events?.plan(type) ?? null;

  async function isPairVerified(userKey: string, canonical: string, within?: SqlContext): Promise<boolean> {
    const rows = await db.run((ctx) => ctx.query(
      'select 1 from verigate_verified_email where user_id = $1 and email = $2 limit 1', [userKey, canonical]), within);
    return rows.length > 0;
  }

  /**
   * Sends a fresh link to `user.email`, superseding the user's open one, unless the address is
   * already verified. The token row and its outbox row are one statement; SMTP happens later, in
   * the worker. With `options.within` both join the host's transaction.
   */
  async function issue(user: VerigateUser, options: IssueOptions = {}): Promise<IssueResult> {
    const id = normaliseUserId(user?.id);
    if (!id.ok) return { status: 'INVALID_USER' };
    if (user.email === null || user.email === undefined || user.email === '') return { status: 'NO_EMAIL' };
    const who = { ip: options.ip, ...options.audit, userKey: id.key };
    const parsed = await config.addressPolicy.check(user.email);
    if (!parsed.ok) {
      await audit.record({ event: 'verification.failed', ...who, email: user.email, outcome: 'failed', reason: 'INVALID_EMAIL', detail: { flow: 'send', problem: parsed.problem } });
      return { status: 'INVALID_EMAIL', problem: parsed.problem };
    }
    const refused = await refusalOf(deps.limiter, sendChecks(id.key, parsed.limitKey, options));
    if (refused) return refused;

    const token = createToken();
    const code = createCode();
    const to = parsed.address;
    const email = await renderer.render('verify', {
      appName: config.appName,
      email: to,
      link: `${config.baseUrl}/confirm?token=${token}`,
      code: formatCode(code),
      expiresAt: new Date(Date.now() + config.tokenTtlMs),
      ttlMs: config.tokenTtlMs,
    }, chooseLocale(options.locale, { id: user.id, email: user.email }));
    const outcome = await db.run((ctx) => issueToken(ctx, {
      id: randomUUID(), purpose: 'verify', userId: id.key, userIdType: id.type, email: parsed.canonical,
      tokenHash: hashToken(keys.tokenHash, token), codeHash: hashCode(keys.tokenHash, code), ttlMs: config.tokenTtlMs,
    }, [sealMail(keys.outboxSeal, { kind: 'verify', to, email })], { unlessVerified: true, unlessSuppressed: parsed.canonical, event: plan('email.verification_sent') }), options.within);
    // Mail there bounced or drew a complaint: the same statement wrote nothing (no extra round trip for the check).
    if (outcome.status === 'ADDRESS_SUPPRESSED') {
      await audit.record({ event: 'verification.failed', ...who, email: to, outcome: 'failed', reason: 'ADDRESS_SUPPRESSED', detail: { flow: 'send' } }, { within: options.within });
      return outcome;
    }
    if (outcome.status === 'ALREADY_VERIFIED') return outcome;
    // Inside the host's transaction the row is not committed yet; the worker's next poll finds it.
    if (!options.within) deps.onQueued?.();
    await audit.record({ event: 'verification.sent', ...who, email: to, outcome: 'sent', detail: { purpose: 'verify' } }, { within: options.within });
    await runHook(logger, 'onVerificationSent', config.hooks.onVerificationSent, { id: user.id, email: to });
    return { status: 'SENT', expiresAt: outcome.expiresAt };
  }

  /**
   * Consumes a link in one statement: of concurrent confirmations exactly one is `VERIFIED`; the
   * user's other open links and any pending address change are closed with it (a verification
   * settles the account's address).
   */
  async function confirm(token: unknown, options: ConfirmOptions & AuditContext = {}): Promise<ConfirmResult & { endedSessions?: string[] }> {
    const { endSessions, ...context } = options;
    const failed = async (status: ConfirmResult['status'], userKey?: string) => {
      if (status !== 'ALREADY_VERIFIED') await audit.record({ event: 'verification.failed', ...context, userKey, outcome: 'failed', reason: status, detail: { flow: 'verify', method: 'link' } });
      return { status } as ConfirmResult;
    };
    if (!isWellFormedToken(token)) return failed('TOKEN_INVALID');
    const event = plan('email.verified');
    const outcome = await db.run((ctx) => consumeToken(ctx, 'verify', hashToken(keys.tokenHash, token),
      { recordVerified: true, supersede: ['verify', 'email_change'], endSessions, event }));
    if (!outcome.consumed) return failed(UNUSABLE_STATUS[outcome.reason], outcome.userId);
    if (event) deps.onQueued?.();
    await audit.record({ event: 'verification.confirmed', ...context, userKey: outcome.consumed.userId, email: outcome.consumed.email, outcome: 'verified', detail: { method: 'link' } });
    const userId = restoreUserId(outcome.consumed.userId, outcome.consumed.userIdType);
    await runHook(logger, 'onVerified', config.hooks.onVerified, { userId, email: outcome.consumed.email });
    const result = { status: 'VERIFIED' as const, userId, email: outcome.consumed.email };
    return endSessions ? { ...result, endedSessions: outcome.consumed.endedSessions ?? [] } : result;
  }

  /**
   * The code from the mail, typed by the signed-in user (mail scanners that break links, or mail read
   * on another device). Consumes the token exactly as its link would.
   */
  async function confirmCode(user: VerigateUser, input: unknown, context: AuditContext = {}): Promise<CodeResult> {
    const id = normaliseUserId(user?.id);
    if (!id.ok) return { status: 'INVALID_USER' };
    const failed = async <R extends CodeResult>(result: R): Promise<R> => {
      const attemptsLeft: Record<string, number> = result.status === 'CODE_INVALID' ? { attemptsLeft: result.attemptsLeft } : {};
      await audit.record({ event: 'verification.failed', ...context, userKey: id.key, outcome: 'failed', reason: result.status, detail: { flow: 'verify', method: 'code', ...attemptsLeft } });
      return result;
    };
    const code = normaliseCode(input);
    if (!code) return failed({ status: 'CODE_MALFORMED' });
    const event = plan('email.verified');
    const outcome = await db.run((ctx) => consumeByCode(ctx, 'verify', id.key, hashCode(keys.tokenHash, code),
      { maxAttempts: MAX_CODE_ATTEMPTS, supersede: ['verify', 'email_change'], event }));
    if (!outcome.consumed) return failed(outcome.reason === 'CODE_INVALID' ? { status: 'CODE_INVALID', attemptsLeft: outcome.attemptsLeft } : { status: outcome.reason });
    if (event) deps.onQueued?.();
    await audit.record({ event: 'verification.confirmed', ...context, userKey: id.key, email: outcome.consumed.email, outcome: 'verified', detail: { method: 'code' } });
    const userId = restoreUserId(outcome.consumed.userId, outcome.consumed.userIdType);
    await runHook(logger, 'onVerified', config.hooks.onVerified, { userId, email: outcome.consumed.email });
    return { status: 'VERIFIED', userId, email: outcome.consumed.email };
  }

  /** Whether the pair is verified; `email` as the host stored it (any case or normal form of the domain). */
  async function isVerified(user: VerigateUser): Promise<boolean> {
    const id = normaliseUserId(user?.id);
    if (!id.ok || typeof user.email !== 'string') return false;
    const parsed = parseEmailAddress(user.email);
    return parsed.ok && isPairVerified(id.key, parsed.canonical);
  }

  /** When the user's open link to their current address expires, or null if no such link is open (never sent, used, expired). */
  async function openLinkExpiry(user: VerigateUser): Promise<Date | null> {
    const id = normaliseUserId(user?.id);
    if (!id.ok || typeof user.email !== 'string') return null;
    const parsed = parseEmailAddress(user.email);
    if (!parsed.ok) return null;
    const open = await db.run((ctx) => findOpenToken(ctx, id.key, 'verify'));
    return open && open.email === parsed.canonical ? open.expiresAt : null;
  }

  /** Whether mail to this address (any spelling) is refused because it bounced or drew a complaint. */
  async function isAddressSuppressed(email: string | null): Promise<boolean> {
    const parsed = typeof email === 'string' ? parseEmailAddress(email) : null;
    return parsed?.ok === true && db.run((ctx) => isSuppressed(ctx, parsed.canonical));
  }

  return { issue, confirm, confirmCode, isVerified, openLinkExpiry, isAddressSuppressed, /** For callers that already hold the normalised id and canonical form. */ isPairVerified };
}
