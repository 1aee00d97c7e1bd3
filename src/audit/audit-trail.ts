import { createHmac, randomUUID } from 'node:crypto';
import { VerigateConfigError } from '../config/config-error.ts';
import type { DbAccess } from '../db/db-access.ts';
import type { SqlContext } from '../db/sql-context.ts';
import { maskEmail } from '../logging/mask-email.ts';
import { describeError, redactSecrets } from '../logging/redact.ts';
import type { Logger } from '../ports/logger.ts';
import { normaliseUserId, type UserId } from '../users/user-id.ts';
import type { AuditDetail, AuditEntry, AuditQuery, AuditRecord } from './audit-event.ts';
import { auditRowsOf, insertAuditRow, type AuditRow } from './audit-store.ts';

export interface AuditTrail {
  /**
   * Reports one event to the logger (always, at info level) and to the table (when on). Never
   * throws: an audit sink that fails is logged as a warning, and the operation it describes stands.
   * With `within` (the host's open transaction) the row commits or rolls back with the host's rows;
   * with `logOnly` no row is written (for events anyone can cause at any rate).
   */
  record(entry: AuditEntry, options?: { within?: SqlContext; logOnly?: boolean }): Promise<void>;
  /** The table's rows for one user, newest first. Throws `VerigateConfigError` when the table is off. */
  forUser(userId: UserId, query?: AuditQuery): Promise<AuditRecord[]>;
}

/** For services built without a trail (unit tests, tools): records nothing. */
export const noAudit: AuditTrail = Object.freeze({
  record: async () => {},
  forUser: async () => [],
});

const MAX_LIMIT = 500;

/** Details are short machine words; anything longer or link- or token-shaped is cut or redacted, in case a caller slips. */
function cleanDetail(detail: AuditDetail | undefined): AuditDetail {
  const out: Record<string, string | number | boolean | null> = {};
  for (const [key, value] of Object.entries(detail ?? {})) out[key] = typeof value === 'string' ? redactSecrets(value).slice(0, 200) : value;
  return Object.freeze(out);
}

/** One emitter, two sinks: the host's logger (structured, pino/winston-friendly) and the optional `verigate_audit` table. */
export function createAuditTrail(deps: { logger: Logger; db: DbAccess; ipKey: Buffer; table: boolean }): AuditTrail {
  const { logger, db } = deps;
  const hashIp = (ip: string) => createHmac('sha256', deps.ipKey).update(`audit-ip:${ip}`).digest('hex').slice(0, 32);

  function rowOf(entry: AuditEntry): AuditRow {
    return {
      id: randomUUID(),
      event: `verigate.${entry.event}`,
      userId: entry.userKey ?? null,
      email: entry.email ? maskEmail(entry.email.trim()) : null,
      outcome: entry.outcome,
      reason: entry.reason ?? null,
      ipHash: entry.ip ? hashIp(entry.ip) : null,
      keyId: entry.keyId ?? null,
      detail: cleanDetail(entry.detail),
    };
  }

  function log(row: AuditRow): void {
    // A flat object with a stable `event` field; empty fields are left out so lines stay short.
    const line: Record<string, unknown> = { event: row.event };
    for (const [key, value] of Object.entries({ userId: row.userId, email: row.email, outcome: row.outcome, reason: row.reason, ipHash: row.ipHash, keyId: row.keyId })) {
      if (value !== null) line[key] = value;
    }
    try {
      logger.info(row.event, { ...row.detail, ...line });
    } catch {
      // A logger that throws must not turn a finished operation into an error.
    }
  }

  async function store(row: AuditRow, within?: SqlContext): Promise<void> {
    if (!within) return void (await db.run((ctx) => insertAuditRow(ctx, row)));
    // In the host's transaction a failed statement would poison everything the host wrote: a savepoint contains it.
    await db.run(async (tx) => {
      await tx.query('savepoint verigate_audit');
      try {
        await insertAuditRow(tx, row);
        await tx.query('release savepoint verigate_audit');
      } catch (error) {
        await tx.query('rollback to savepoint verigate_audit');
        throw error;
      }
    }, within);
  }

  return {
    async record(entry, options = {}) {
      const row = rowOf(entry);
      log(row);
      if (!deps.table || options.logOnly) return;
      try {
        await store(row, options.within);
      } catch (error) {
        logger.warn('audit row could not be written; the event was logged only', { event: row.event, error: describeError(error) });
      }
    },
    async forUser(userId, query = {}) {
      if (!deps.table) {
        throw new VerigateConfigError('VERIGATE_AUDIT_TABLE_OFF', 'auditLog() reads the audit table, which is off.',
          `Pass audit: { table: true } to write audit rows (audit events always go to the logger).`);
      }
      const limit = query.limit ?? 50;
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) throw new RangeError(`auditLog: limit must be a whole number from 1 to ${MAX_LIMIT}.`);
      if (query.before !== undefined && !(query.before instanceof Date && !Number.isNaN(query.before.getTime()))) {
        throw new TypeError('auditLog: before must be a valid Date.');
      }
      const id = normaliseUserId(userId);
      if (!id.ok) return [];
      return db.run((ctx) => auditRowsOf(ctx, id.key, query.before ?? null, limit));
    },
  };
}
