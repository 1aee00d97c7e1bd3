import { randomUUID } from 'node:crypto';
import type { ResolvedConfig } from '../config/resolved-config.ts';
import type { VerigateKeys } from '../crypto/keys.ts';
import { parseEmailAddress } from '../email/email-address.ts';
import { VerigateToken } from '../entities/token-entity.ts';
import { enqueueEmail } from '../outbox/outbox-store.ts';
import type { EmailRenderer } from '../ports/mail.ts';
import type { VerigateUser } from '../ports/user.ts';
import { createToken, hashToken, isWellFormedToken } from '../tokens/token.ts';
import { describeDuration } from './describe-duration.ts';
import { runHook } from './run-hook.ts';
import type { ConfirmResult, IssueResult } from './results.ts';

export interface VerificationServiceDeps {
  config: ResolvedConfig;
  keys: VerigateKeys;
  renderer: EmailRenderer;
  /** Called after a message is committed to the outbox, e.g. to wake the worker. */
  onQueued?: () => void;
}

interface ConsumedRow { user_id: string; email: string }
interface TokenStateRow {
  user_id: string;
  email: string;
  used_at: unknown;
  superseded_at: unknown;
}

export type VerificationService = ReturnType<typeof createVerificationService>;

export function createVerificationService(deps: VerificationServiceDeps) {
  const { config, keys, renderer } = deps;
  const { em, clock, logger } = config;

  async function isVerified(userId: string, canonical: string): Promise<boolean> {
    const rows = await em.fork().execute(
      'select 1 from verigate_verified_email where user_id = ? and email = ? limit 1', [userId, canonical]);
    return rows.length > 0;
  }

  /**
   * Sends a fresh link to `user.email`, superseding every open link of theirs. Token row and
   * outbox row are written in one transaction; SMTP happens later, in the worker.
   */
  async function issue(user: VerigateUser): Promise<IssueResult> {
    const parsed = parseEmailAddress(user.email);
    if (!parsed.ok) return { status: 'INVALID_EMAIL', message: parsed.message };
    const userId = user.id;
    if (await isVerified(userId, parsed.canonical)) return { status: 'ALREADY_VERIFIED' };

    const token = createToken();
    const now = clock.now();
    const expiresAt = new Date(now.getTime() + config.tokenTtlMs);
    const email = await renderer.render('verify', {
      appName: config.appName,
      email: user.email.trim(),
      link: `${config.baseUrl}/confirm?token=${token}`,
      expiresAt,
      expiresIn: describeDuration(config.tokenTtlMs),
    });
    await em.fork().transactional(async (tx) => {
      // Serialise issues per user: two concurrent ones would each miss the other's uncommitted
      // row when superseding, leaving two live links.
      await tx.execute('select pg_advisory_xact_lock(hashtextextended(?, 0))', [`verigate:verify:${userId}`]);
      await tx.execute(
        `update verigate_token set superseded_at = ? where user_id = ? and purpose = 'verify'
           and used_at is null and superseded_at is null`, [now, userId]);
      await tx.insert(VerigateToken, {
        id: randomUUID(), purpose: 'verify', userId, email: parsed.canonical, newEmail: null,
        tokenHash: hashToken(keys.tokenHash, token), codeHash: null, codeAttempts: 0,
        createdAt: now, expiresAt, usedAt: null, supersededAt: null,
      });
      await enqueueEmail(tx, keys.outboxSeal, { kind: 'verify', to: user.email.trim(), email }, now);
    });
    deps.onQueued?.();
    await runHook(logger, 'onVerificationSent', config.hooks.onVerificationSent, { id: userId, email: user.email });
    return { status: 'SENT', expiresAt };
  }

  /**
   * Consumes a link. The single conditional UPDATE is the only thing that decides success, so
   * concurrent confirmations of one token yield exactly one `VERIFIED`. When it matches nothing,
   * a read explains why (used, superseded, expired, unknown) for the result page.
   */
  async function confirm(token: unknown): Promise<ConfirmResult> {
    if (!isWellFormedToken(token)) return { status: 'TOKEN_INVALID' };
    const tokenHash = hashToken(keys.tokenHash, token);
    const now = clock.now();
    const consumed = await em.fork().transactional(async (tx) => {
      const rows = await tx.execute<ConsumedRow[]>(
        `update verigate_token set used_at = ? where token_hash = ? and purpose = 'verify'
           and used_at is null and superseded_at is null and expires_at > ?
         returning user_id, email`, [now, tokenHash, now]);
      const row = rows[0];
      if (!row) return null;
      await tx.execute(
        `insert into verigate_verified_email (user_id, email, verified_at) values (?, ?, ?)
         on conflict (user_id, email) do nothing`, [row.user_id, row.email, now]);
      // Any other open link of this user is now pointless; close it so it cannot linger. Rows a
      // concurrent confirm holds are skipped rather than waited on, so two confirms never deadlock.
      await tx.execute(
        `update verigate_token set superseded_at = ? where id in (
           select id from verigate_token where user_id = ? and purpose = 'verify'
             and used_at is null and superseded_at is null for update skip locked)`, [now, row.user_id]);
      return row;
    });
    if (consumed) {
      await runHook(logger, 'onVerified', config.hooks.onVerified, { userId: consumed.user_id, email: consumed.email });
      return { status: 'VERIFIED', userId: consumed.user_id, email: consumed.email };
    }
    return explainUnusable(tokenHash);
  }

  async function explainUnusable(tokenHash: string): Promise<ConfirmResult> {
    const rows = await em.fork().execute<TokenStateRow[]>(
      `select user_id, email, used_at, superseded_at from verigate_token where token_hash = ? and purpose = 'verify'`, [tokenHash]);
    const row = rows[0];
    if (!row) return { status: 'TOKEN_INVALID' };
    if (row.used_at) return { status: 'TOKEN_USED' };
    // An old link for an address that got verified another way is good news, not an error.
    if (await isVerified(row.user_id, row.email)) return { status: 'ALREADY_VERIFIED' };
    return row.superseded_at ? { status: 'TOKEN_SUPERSEDED' } : { status: 'TOKEN_EXPIRED' };
  }

  /** Whether the pair is verified; `email` as the host stored it (any case or normal form of the domain). */
  async function isEmailVerified(userId: string, email: string): Promise<boolean> {
    const parsed = parseEmailAddress(email);
    return parsed.ok && isVerified(userId, parsed.canonical);
  }

  return { issue, confirm, isVerified: isEmailVerified, /** For callers that already hold the canonical form. */ isPairVerified: isVerified };
}
