import type { SqlContext } from '../db/sql-context.ts';
import { hashCode, MAX_CODE_ATTEMPTS, normaliseCode } from '../tokens/code.ts';
import { consumeByCode } from '../tokens/code-store.ts';
import { hashToken, isWellFormedToken } from '../tokens/token.ts';
import { consumeToken, type ConsumedToken } from '../tokens/token-store.ts';
import { normaliseUserId, restoreUserId } from '../users/user-id.ts';
import type { SetEmailContext } from '../users/user-store.ts';
import type { VerigateUser } from '../ports/user.ts';
import type { CodeResult } from '../verification/results.ts';
import { runHook } from '../verification/run-hook.ts';
import { UNUSABLE_STATUS } from '../verification/verification-service.ts';
import type { AddressChangeDeps } from './address-change-service.ts';
import { expectedCurrentEmail } from './change-history.ts';
import type { ConfirmChangeResult, UndoChangeResult } from './change-results.ts';
import type { AuditContext } from '../audit/audit-event.ts';
import { noAudit } from '../audit/audit-trail.ts';
import { maskEmail } from '../logging/mask-email.ts';
import { withdrawEvent, type PlannedEvent } from '../events/event-sql.ts';

/** What `users.setEmail` gets: verigate's transaction (as a query function, and the host's ORM when verigate runs on it). */
export function setEmailContext(tx: SqlContext, previousEmail: string | null): SetEmailContext {
  return { previousEmail, query: (text, params) => tx.query(text, params), ...(tx.em ? { em: tx.em } : {}) };
}

const SUPERSEDED_BY_CHANGE = ['verify', 'email_change'] as const;

/**
 * Applying a proven pending address (by its link or its code) and undoing a change. Each runs in one
 * transaction with the host's `users.setEmail` compare-and-set: if the host refuses (the account's
 * address moved on: a stale change) nothing is switched; if the host's write fails, the token stays usable.
 * A host writing outside this transaction may already have switched when verigate's commit fails: the
 * link then still works (setEmail is idempotent) and the undo link switches back from the new address.
 * The event is written by the consuming statement and taken back in the rare stale case, so the
 * common path costs no extra round trip.
 */
export function createChangeConfirmation(deps: AddressChangeDeps) {
  const { config, keys, db } = deps;
  const { users, logger } = config;
  const audit = deps.audit ?? noAudit;

  /** Every outcome but an old link for an already verified address leaves an audit event. */
  async function report(result: { status: string }, how: { flow: 'email_change' | 'undo'; method: 'link' | 'code' }, userKey: string | undefined, context: AuditContext): Promise<void> {
    const r = result as Partial<{ email: string; previousEmail: string | null; revertedEmail: string }>;
    if (result.status === 'CHANGED') {
      await audit.record({ event: 'email.changed', ...context, userKey, email: r.email, outcome: 'changed', detail: { method: how.method, previousEmail: r.previousEmail ? maskEmail(r.previousEmail) : null } });
    } else if (result.status === 'REVERTED') {
      await audit.record({ event: 'email.reverted', ...context, userKey, email: r.email, outcome: 'reverted', detail: { revertedEmail: maskEmail(r.revertedEmail!) } });
    } else if (result.status !== 'ALREADY_VERIFIED') {
      const attemptsLeft = (result as { attemptsLeft?: number }).attemptsLeft;
      await audit.record({ event: 'verification.failed', ...context, userKey, outcome: 'failed', reason: result.status, detail: { ...how, ...(attemptsLeft !== undefined ? { attemptsLeft } : {}) } });
    }
  }

  async function apply(tx: SqlContext, consumed: ConsumedToken, event: PlannedEvent | null): Promise<ConfirmChangeResult> {
    const userId = restoreUserId(consumed.userId, consumed.userIdType);
    const previousEmail = consumed.email === '' ? null : consumed.email;
    const switched = await users!.setEmail!(userId, consumed.newEmail!, setEmailContext(tx, previousEmail));
    if (switched) return { status: 'CHANGED', userId, previousEmail, email: consumed.newEmail! };
    await withdrawEvent(tx, event);
    return { status: 'CHANGE_STALE' };
  }

  async function announce<R extends { status: string }>(result: R): Promise<R> {
    if (result.status === 'CHANGED') {
      if (deps.events?.sinks.length) deps.onQueued?.();
      const changed = result as unknown as Extract<ConfirmChangeResult, { status: 'CHANGED' }>;
      await runHook(logger, 'onVerified', config.hooks.onVerified, { userId: changed.userId, email: changed.email });
      await runHook(logger, 'onEmailChanged', config.hooks.onEmailChanged, { userId: changed.userId, previousEmail: changed.previousEmail, email: changed.email });
    }
    return result;
  }

  /** The link sent to the new address. */
  async function confirm(token: unknown, context: AuditContext = {}): Promise<ConfirmChangeResult> {
    const how = { flow: 'email_change', method: 'link' } as const;
    let userKey: string | undefined;
    const event = deps.events?.plan('email.changed') ?? null;
    const result: ConfirmChangeResult = !isWellFormedToken(token) || !users?.setEmail ? { status: 'TOKEN_INVALID' } : await db.transaction(async (tx): Promise<ConfirmChangeResult> => {
      const outcome = await consumeToken(tx, 'email_change', hashToken(keys.tokenHash, token), { recordVerified: true, supersede: SUPERSEDED_BY_CHANGE, event });
      userKey = outcome.consumed ? outcome.consumed.userId : outcome.userId;
      return outcome.consumed ? apply(tx, outcome.consumed, event) : { status: UNUSABLE_STATUS[outcome.reason] } as ConfirmChangeResult;
    });
    await report(result, how, userKey, context);
    return announce(result);
  }

  /** The code from that mail, typed by the signed-in user. */
  async function confirmCode(user: VerigateUser, input: unknown, context: AuditContext = {}): Promise<ConfirmChangeResult | Exclude<CodeResult, { status: 'VERIFIED' }>> {
    const id = normaliseUserId(user?.id);
    if (!id.ok) return { status: 'INVALID_USER' };
    const code = normaliseCode(input);
    const event = deps.events?.plan('email.changed') ?? null;
    const result = !code || !users?.setEmail ? { status: 'CODE_MALFORMED' as const } : await db.transaction(async (tx) => {
      const outcome = await consumeByCode(tx, 'email_change', id.key, hashCode(keys.tokenHash, code), { maxAttempts: MAX_CODE_ATTEMPTS, supersede: SUPERSEDED_BY_CHANGE, event });
      if (outcome.consumed) return apply(tx, outcome.consumed, event);
      return outcome.reason === 'CODE_INVALID' ? { status: 'CODE_INVALID' as const, attemptsLeft: outcome.attemptsLeft } : { status: outcome.reason };
    });
    await report(result, { flow: 'email_change', method: 'code' }, id.key, context);
    return announce(result);
  }

  /** The undo link sent to the previous address: restores it, and cancels every open link of the account. */
  async function undo(token: unknown, context: AuditContext = {}): Promise<UndoChangeResult> {
    let userKey: string | undefined;
    const event = deps.events?.plan('email.change_reverted') ?? null;
    const result: UndoChangeResult = !isWellFormedToken(token) || !users?.setEmail ? { status: 'TOKEN_INVALID' } : await db.transaction(async (tx): Promise<UndoChangeResult> => {
      const outcome = await consumeToken(tx, 'change_revoke', hashToken(keys.tokenHash, token),
        { recordVerified: true, supersede: ['verify', 'email_change', 'change_revoke'], event });
      userKey = outcome.consumed ? outcome.consumed.userId : outcome.userId;
      if (!outcome.consumed) return { status: UNUSABLE_STATUS[outcome.reason] } as UndoChangeResult;
      const { id, userId: key, userIdType, email: restored, newEmail: reverted } = outcome.consumed;
      const userId = restoreUserId(key, userIdType);
      const expected = await expectedCurrentEmail(tx, key, id, restored);
      if (expected !== restored) {
        const switched = await users.setEmail!(userId, restored, setEmailContext(tx, expected));
        if (!switched) {
          await withdrawEvent(tx, event);
          return { status: 'UNDO_STALE' };
        }
      } else if (reverted) {
        // verigate never saw this change applied, yet the host may hold its address: a setEmail that
        // writes outside verigate's transaction (another database) commits first, and verigate's own
        // commit can still fail after it. So switch back from exactly that address (compare-and-set);
        // an account already on the previous address, or moved on by the host, is left as it is.
        await users.setEmail!(userId, restored, setEmailContext(tx, reverted));
      }
      return { status: 'REVERTED', userId, email: restored, revertedEmail: reverted! };
    });
    await report(result, { flow: 'undo', method: 'link' }, userKey, context);
    if (result.status === 'REVERTED') {
      if (event) deps.onQueued?.();
      await runHook(logger, 'onEmailChangeReverted', config.hooks.onEmailChangeReverted, { userId: result.userId, email: result.email, revertedEmail: result.revertedEmail });
    }
    return result;
  }

  return { confirm, confirmCode, undo };
}
