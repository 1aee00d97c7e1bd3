import type { ResolvedConfig } from '../config/resolved-config.ts';
import type { VerigateKeys } from '../crypto/keys.ts';
import { open } from '../crypto/seal.ts';
import type { DbAccess } from '../db/db-access.ts';
import type { SqlContext } from '../db/sql-context.ts';
import { canonicalEmail, parseEmailAddress } from '../email/email-address.ts';
import { noAudit, type AuditTrail } from '../audit/audit-trail.ts';
import { insertEvent, type EventWriter } from '../events/event-sql.ts';
import { recordInboundEvent } from '../events/inbound-store.ts';
import { findMail } from '../outbox/outbox-store.ts';
import { supersedeOpenTokensTo } from '../tokens/token-store.ts';
import { runHook } from '../verification/run-hook.ts';
import { withdrawAddress } from '../verification/verified-email-store.ts';
import { checkReport, type CheckedReport } from './bounce-input.ts';
import type { BounceResult, BounceTarget, BounceReport, LiftResult } from './bounce-results.ts';
import { liftSuppression, recordReport } from './suppression-store.ts';

export interface BounceReporterDeps {
  config: ResolvedConfig;
  keys: VerigateKeys;
  db: DbAccess;
  audit?: AuditTrail;
  events?: EventWriter;
  /** Called after an event row commits, to wake the worker. */
  onQueued?: () => void;
}

/** Report ids are remembered in the inbound-event table under this name, and purged with it. */
const REPORT_STREAM = 'verigate:bounce-reports';

type Applied =
  | { status: 'DUPLICATE' }
  | { status: 'COUNTED'; softBounces: number }
  | { status: 'SUPPRESSED'; newly: boolean; withdrawn: string[]; closed: string[]; evented: boolean };

/**
 * Deliverability feedback: a hard bounce or a complaint suppresses the address at once, soft
 * bounces once `bounces.softThreshold` of them fall within `bounces.softWindow`. Suppressing
 * withdraws every user's verification of the address and closes the links open to it, in one
 * transaction with the report and its event; sends to it are refused from then on, and the worker
 * parks mail already queued for it. The web layer ends the sessions of `userIds`.
 */
export function createBounceReporter(deps: BounceReporterDeps) {
  const { config, keys, db } = deps;
  const audit = deps.audit ?? noAudit;

  /** The canonical address a report is about, or why there is none. */
  async function addressOf(target: CheckedReport['target']): Promise<string | null> {
    if ('email' in target) return target.email;
    const mail = await db.run((ctx) => findMail(ctx, target.outboxId));
    if (!mail) return null;
    if (mail.status === 'pending') return canonicalEmail(mail.recipient);
    return mail.recipientSealed ? open<string>(keys.outboxSeal, mail.recipientSealed) : null;
  }

  async function apply(tx: SqlContext, email: string, checked: CheckedReport): Promise<Applied> {
    if (checked.eventId !== null && !(await recordInboundEvent(tx, REPORT_STREAM, checked.eventId))) return { status: 'DUPLICATE' };
    const recorded = await recordReport(tx, { email, kind: checked.kind, reason: checked.reason,
      threshold: config.bounces.softThreshold, windowMs: config.bounces.softWindowMs });
    if (!recorded.suppressed) return { status: 'COUNTED', softBounces: recorded.softBounces };
    // Links first: a confirmation racing this report either consumed its link before (and its pair
    // is then visible to the delete below, a later statement) or finds the link closed.
    const closed = await supersedeOpenTokensTo(tx, email);
    const withdrawn = await withdrawAddress(tx, email);
    const event = deps.events?.plan(checked.kind === 'complaint' ? 'email.complained' : 'email.bounced') ?? null;
    await insertEvent(tx, event, checked.kind === 'complaint'
      ? { email, reason: checked.reason, userIds: withdrawn }
      : { email, kind: checked.kind, reason: checked.reason, userIds: withdrawn });
    return { status: 'SUPPRESSED', newly: recorded.newly, withdrawn, closed, evented: event !== null };
  }

  async function report(target: BounceTarget, bounce: BounceReport): Promise<BounceResult> {
    const checked = checkReport(target, bounce);
    if ('problem' in checked) return { status: 'INVALID_REPORT', problem: checked.problem };
    const found = await addressOf(checked.target);
    if (found === null) return { status: 'UNKNOWN_MESSAGE' };
    const email = found;
    const applied = await db.transaction((tx) => apply(tx, email, checked));
    if (applied.status === 'DUPLICATE') return applied;
    const event = checked.kind === 'complaint' ? 'email.complained' as const : 'email.bounced' as const;
    const detail = { kind: checked.kind, via: 'email' in checked.target ? 'address' : 'message', ...(checked.reason ? { reason: checked.reason } : {}) };
    if (applied.status === 'COUNTED') {
      const { softThreshold } = config.bounces;
      await audit.record({ event, email, outcome: 'counted', reason: checked.kind, detail: { ...detail, softBounces: applied.softBounces, threshold: softThreshold } });
      return { status: 'COUNTED', email, softBounces: applied.softBounces, threshold: softThreshold };
    }
    if (applied.evented) deps.onQueued?.();
    // One row per user it concerns (their audit log then explains the closed gate), or one for the address alone.
    const users = [...new Set([...applied.withdrawn, ...applied.closed])];
    for (const userKey of users.length ? users : [null]) {
      await audit.record({ event, userKey, email, outcome: 'suppressed', reason: checked.kind,
        detail: { ...detail, newlySuppressed: applied.newly, verificationWithdrawn: userKey !== null && applied.withdrawn.includes(userKey) } });
    }
    await runHook(config.logger, 'onAddressSuppressed', config.hooks.onAddressSuppressed, { email, kind: checked.kind, userIds: applied.withdrawn });
    return { status: 'SUPPRESSED', email, kind: checked.kind, newlySuppressed: applied.newly, withdrawn: applied.withdrawn.length, userIds: applied.withdrawn };
  }

  /** Forgets an address's bounces and complaints (its owner fixed the mailbox, or asked support): mail may go to it again. */
  async function lift(address: unknown): Promise<LiftResult> {
    const parsed = parseEmailAddress(address);
    if (!parsed.ok) return { status: 'INVALID_ADDRESS' };
    const lifted = await db.run((ctx) => liftSuppression(ctx, parsed.canonical));
    if (!lifted) return { status: 'NOT_SUPPRESSED' };
    await audit.record({ event: 'email.suppression_lifted', email: parsed.canonical, outcome: 'lifted' });
    return { status: 'LIFTED', email: parsed.canonical };
  }

  return { report, lift };
}

export type BounceReporter = ReturnType<typeof createBounceReporter>;
