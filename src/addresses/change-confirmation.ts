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
 * The event is written by the consuming statement and taken back in the rare stale case, so the
 * common path costs no extra round trip.
 */
export function createChangeConfirmation(deps: AddressChangeDeps) {
  const { config, keys, db } = deps;
  const { users, logger } = config;

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
  async function confirm(token: unknown): Promise<ConfirmChangeResult> {
    if (!isWellFormedToken(token) || !users?.setEmail) return { status: 'TOKEN_INVALID' };
    const event = deps.events?.plan('email.changed') ?? null;
    return announce(await db.transaction(async (tx): Promise<ConfirmChangeResult> => {
      const outcome = await consumeToken(tx, 'email_change', hashToken(keys.tokenHash, token), { recordVerified: true, supersede: SUPERSEDED_BY_CHANGE, event });
      return outcome.consumed ? apply(tx, outcome.consumed, event) : { status: UNUSABLE_STATUS[outcome.reason] } as ConfirmChangeResult;
    }));
  }

  /** The code from that mail, typed by the signed-in user. */
  async function confirmCode(user: VerigateUser, input: unknown): Promise<ConfirmChangeResult | Exclude<CodeResult, { status: 'VERIFIED' }>> {
    const id = normaliseUserId(user?.id);
    if (!id.ok) return { status: 'INVALID_USER' };
    const code = normaliseCode(input);
    if (!code || !users?.setEmail) return { status: 'CODE_MALFORMED' };
    const event = deps.events?.plan('email.changed') ?? null;
    return announce(await db.transaction(async (tx) => {
      const outcome = await consumeByCode(tx, 'email_change', id.key, hashCode(keys.tokenHash, code), { maxAttempts: MAX_CODE_ATTEMPTS, supersede: SUPERSEDED_BY_CHANGE, event });
      if (outcome.consumed) return apply(tx, outcome.consumed, event);
      return outcome.reason === 'CODE_INVALID' ? { status: 'CODE_INVALID' as const, attemptsLeft: outcome.attemptsLeft } : { status: outcome.reason };
    }));
  }

  /** The undo link sent to the previous address: restores it, and cancels every open link of the account. */
  async function undo(token: unknown): Promise<UndoChangeResult> {
    if (!isWellFormedToken(token) || !users?.setEmail) return { status: 'TOKEN_INVALID' };
    const event = deps.events?.plan('email.change_reverted') ?? null;
    const result = await db.transaction(async (tx): Promise<UndoChangeResult> => {
      const outcome = await consumeToken(tx, 'change_revoke', hashToken(keys.tokenHash, token),
        { recordVerified: true, supersede: ['verify', 'email_change', 'change_revoke'], event });
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
      }
      return { status: 'REVERTED', userId, email: restored, revertedEmail: reverted! };
    });
    if (result.status === 'REVERTED') {
      if (event) deps.onQueued?.();
      await runHook(logger, 'onEmailChangeReverted', config.hooks.onEmailChangeReverted, { userId: result.userId, email: result.email, revertedEmail: result.revertedEmail });
    }
    return result;
  }

  return { confirm, confirmCode, undo };
}
