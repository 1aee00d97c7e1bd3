import { bool, checkKeys, duration, fail, isObject } from '../config/checks.ts';

/**
 * The `audit` option. Audit events always go to the logger (info level, one structured object
 * with a stable `event` field); this adds the optional table.
 */
export interface AuditOptions {
  /**
   * Also write every event to the `verigate_audit` table, queryable with `vg.auditLog(userId)`.
   * Default `false`.
   */
  table?: boolean;
  /** How long audit rows are kept before the purge job deletes them. Default `'90d'`. */
  retention?: number | string;
}

export interface ResolvedAudit {
  readonly table: boolean;
  readonly retentionMs: number;
}

const AUDIT_KEYS = ['table', 'retention'] as const;

export function resolveAuditOptions(value: unknown): ResolvedAudit {
  if (value === undefined) return Object.freeze({ table: false, retentionMs: duration('audit.retention', undefined, '90d') });
  if (!isObject(value)) fail('VERIGATE_INVALID_AUDIT', 'audit must be an object.', `e.g. audit: { table: true, retention: '90d' }.`);
  checkKeys('audit.', value, AUDIT_KEYS);
  return Object.freeze({
    table: bool('audit.table', value.table, false, 'VERIGATE_INVALID_AUDIT'),
    retentionMs: duration('audit.retention', value.retention, '90d'),
  });
}
