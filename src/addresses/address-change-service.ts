import { randomUUID } from 'node:crypto';
import type { ResolvedConfig } from '../config/resolved-config.ts';
import type { VerigateKeys } from '../crypto/keys.ts';
import type { DbAccess } from '../db/db-access.ts';
import type { SqlContext } from '../db/sql-context.ts';
import { parseEmailAddress } from '../email/email-address.ts';
import { maskEmail } from '../logging/mask-email.ts';
import { sealMail } from '../outbox/outbox-store.ts';
import type { EmailRenderer } from '../ports/mail.ts';
import type { VerigateUser } from '../ports/user.ts';
import { createToken, hashToken, isWellFormedToken } from '../tokens/token.ts';
import { consumeToken, findOpenToken, insertToken, issueToken } from '../tokens/token-store.ts';
import { normaliseUserId, restoreUserId } from '../users/user-id.ts';
import type { SetEmailContext } from '../users/user-store.ts';
import { describeDuration } from '../verification/describe-duration.ts';
import { UNUSABLE_STATUS } from '../verification/verification-service.ts';
import { runHook } from '../verification/run-hook.ts';
import type { ConfirmChangeResult, PendingChange, StartChangeResult, UndoChangeResult } from './change-results.ts';
import { expectedCurrentEmail } from './change-history.ts';

export interface AddressChangeDeps {
  config: ResolvedConfig;
  keys: VerigateKeys;
  db: DbAccess;
  renderer: EmailRenderer;
  onQueued?: () => void;
}

export interface StartChangeInput {
  newEmail: unknown;
  /** The current password, checked through `users.verifyPassword` when the account already has an address. */
  password?: unknown;
  /** The web layer vouches for a sign-in recent enough to skip the password (its `recentLogin` option). */
  recentlyAuthenticated?: boolean;
  /** The host's open transaction to join. */
  within?: SqlContext;
}

/** What `users.setEmail` gets: verigate's transaction (as a query function, and the host's ORM when verigate runs on it). */
function setEmailContext(tx: SqlContext, previousEmail: string | null): SetEmailContext {
  return { previousEmail, query: (text, params) => tx.query(text, params), ...(tx.em ? { em: tx.em } : {}) };
}

export type AddressChangeService = ReturnType<typeof createAddressChangeService>;

/**
 * Adding a first address and changing one are one mechanism: a *pending* address, proven by a link
 * sent to it, then applied through the host's `users.setEmail`. The current address stays in
 * force until then; its owner is told at once, with an undo link.
 */
export function createAddressChangeService(deps: AddressChangeDeps) {
  const { config, keys, renderer, db } = deps;
  const { users, logger } = config;
  const link = (path: string, token: string) => `${config.baseUrl}${path}?token=${token}`;

  async function reauthenticate(user: VerigateUser, input: StartChangeInput): Promise<StartChangeResult | null> {
    if (user.email === null || input.recentlyAuthenticated) return null;
    if (!users?.verifyPassword) return { status: 'NOT_SUPPORTED' };
    if (typeof input.password !== 'string' || input.password === '') return { status: 'REAUTH_REQUIRED' };
    return (await users.verifyPassword(user.id, input.password)) ? null : { status: 'WRONG_PASSWORD' };
  }

  async function start(user: VerigateUser, input: StartChangeInput): Promise<StartChangeResult> {
    const id = normaliseUserId(user?.id);
    if (!id.ok) return { status: 'INVALID_USER' };
    if (!users) return { status: 'NOT_SUPPORTED' };
    const parsed = parseEmailAddress(input.newEmail);
    if (!parsed.ok) return { status: 'INVALID_EMAIL', problem: parsed.problem };
    const current = user.email ? parseEmailAddress(user.email) : null;
    if (current?.ok && current.canonical === parsed.canonical) return { status: 'SAME_ADDRESS' };
    const denied = await reauthenticate(user, input);
    if (denied) return denied;

    const to = (input.newEmail as string).trim().normalize('NFC');
    const ttl = { expiresAt: new Date(Date.now() + config.tokenTtlMs), expiresIn: describeDuration(config.tokenTtlMs) };
    // A taken address goes through every step a free one does (pending record, notice to the current
    // address), so neither the answer, the pending page nor the mail the requester gets tells them
    // apart; only the message to the new address differs: its owner is told, and gets no link.
    const taken = (await users.isEmailTaken?.(parsed.canonical, user.id)) === true;
    const token = createToken();
    const mails = [sealMail(keys.outboxSeal, taken
      ? { kind: 'email-taken-notice', to, email: await renderer.render('email-taken-notice', { appName: config.appName, email: to, loginUrl: new URL(config.baseUrl).origin }) }
      : { kind: 'email-change', to, email: await renderer.render('email-change', { appName: config.appName, email: to, link: link('/email/confirm', token), ...ttl }) })];
    const previous = current?.ok ? current.canonical : '';
    const undoToken = createToken();
    const undoMail = user.email ? sealMail(keys.outboxSeal, {
      kind: 'email-change-notice', to: user.email.trim(),
      email: await renderer.render('email-change-notice', {
        appName: config.appName, email: user.email.trim(), newEmailMasked: maskEmail(parsed.canonical),
        undoLink: link('/email/undo', undoToken), expiresAt: new Date(Date.now() + config.undoTtlMs), expiresIn: describeDuration(config.undoTtlMs),
      }),
    }) : null;
    const common = { userId: id.key, userIdType: id.type, email: previous, newEmail: parsed.canonical };
    const outcome = await db.transaction(async (tx) => {
      const issued = await issueToken(tx, { ...common, id: randomUUID(), purpose: 'email_change', tokenHash: hashToken(keys.tokenHash, token), ttlMs: config.tokenTtlMs }, mails);
      if (undoMail) {
        await insertToken(tx, { ...common, id: randomUUID(), purpose: 'change_revoke', tokenHash: hashToken(keys.tokenHash, undoToken), ttlMs: config.undoTtlMs }, [undoMail]);
      }
      return issued;
    }, input.within);
    if (!input.within) deps.onQueued?.();
    return { status: 'SENT', expiresAt: outcome.status === 'ISSUED' ? outcome.expiresAt : ttl.expiresAt };
  }

  /**
   * Consumes the link sent to the new address and applies it through `users.setEmail`, in one
   * transaction: if the host refuses (the account's address moved on: a stale change) nothing is
   * switched; if the host's write fails, the token stays usable.
   */
  async function confirm(token: unknown): Promise<ConfirmChangeResult> {
    if (!isWellFormedToken(token)) return { status: 'TOKEN_INVALID' };
    if (!users) return { status: 'TOKEN_INVALID' };
    const result = await db.transaction(async (tx): Promise<ConfirmChangeResult> => {
      const outcome = await consumeToken(tx, 'email_change', hashToken(keys.tokenHash, token), { recordVerified: true, supersede: ['verify', 'email_change'] });
      if (!outcome.consumed) return { status: UNUSABLE_STATUS[outcome.reason] } as ConfirmChangeResult;
      const { userId: key, userIdType, email: bound, newEmail } = outcome.consumed;
      const userId = restoreUserId(key, userIdType);
      const previousEmail = bound === '' ? null : bound;
      const switched = await users.setEmail(userId, newEmail!, setEmailContext(tx, previousEmail));
      return switched ? { status: 'CHANGED', userId, previousEmail, email: newEmail! } : { status: 'CHANGE_STALE' };
    });
    if (result.status === 'CHANGED') {
      await runHook(logger, 'onVerified', config.hooks.onVerified, { userId: result.userId, email: result.email });
      await runHook(logger, 'onEmailChanged', config.hooks.onEmailChanged, { userId: result.userId, previousEmail: result.previousEmail, email: result.email });
    }
    return result;
  }

  /** The undo link sent to the previous address: restores it, and cancels every open link of the account. */
  async function undo(token: unknown): Promise<UndoChangeResult> {
    if (!isWellFormedToken(token)) return { status: 'TOKEN_INVALID' };
    if (!users) return { status: 'TOKEN_INVALID' };
    const result = await db.transaction(async (tx): Promise<UndoChangeResult> => {
      const outcome = await consumeToken(tx, 'change_revoke', hashToken(keys.tokenHash, token),
        { recordVerified: true, supersede: ['verify', 'email_change', 'change_revoke'] });
      if (!outcome.consumed) return { status: UNUSABLE_STATUS[outcome.reason] } as UndoChangeResult;
      const { id, userId: key, userIdType, email: restored, newEmail: reverted } = outcome.consumed;
      const userId = restoreUserId(key, userIdType);
      const expected = await expectedCurrentEmail(tx, key, id, restored);
      if (expected !== restored) {
        const switched = await users.setEmail(userId, restored, setEmailContext(tx, expected));
        if (!switched) return { status: 'UNDO_STALE' };
      }
      return { status: 'REVERTED', userId, email: restored, revertedEmail: reverted! };
    });
    if (result.status === 'REVERTED') {
      await runHook(logger, 'onEmailChangeReverted', config.hooks.onEmailChangeReverted, { userId: result.userId, email: result.email, revertedEmail: result.revertedEmail });
    }
    return result;
  }

  /** The user's pending address, if a link to one is still open. */
  async function pending(user: VerigateUser): Promise<PendingChange | null> {
    const id = normaliseUserId(user?.id);
    if (!id.ok) return null;
    const open = await db.run((ctx) => findOpenToken(ctx, id.key, 'email_change'));
    return open?.newEmail ? { email: open.newEmail, expiresAt: open.expiresAt } : null;
  }

  return { start, confirm, undo, pending };
}
