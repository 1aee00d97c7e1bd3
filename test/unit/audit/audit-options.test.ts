import { describe, expect, it } from '@jest/globals';
import { VerigateConfigError } from '../../../src/config/config-error.ts';
import { resolveAuditOptions } from '../../../src/audit/audit-options.ts';
import { resolveOptions } from '../../../src/config/resolve-options.ts';
import type { CoreOptions } from '../../../src/config/options.ts';

const DAY = 86_400_000;

function refusal(value: unknown): VerigateConfigError {
  try {
    resolveAuditOptions(value);
  } catch (error) {
    expect(error).toBeInstanceOf(VerigateConfigError);
    return error as VerigateConfigError;
  }
  throw new Error(`expected ${JSON.stringify(value)} to be refused`);
}

describe('the audit option', () => {
  it('defaults to logger only, with 90 days of retention for rows written once the table is on', () => {
    expect(resolveAuditOptions(undefined)).toEqual({ table: false, retentionMs: 90 * DAY });
    expect(resolveAuditOptions({ table: true, retention: '30d' })).toEqual({ table: true, retentionMs: 30 * DAY });
    expect(Object.isFrozen(resolveAuditOptions({ table: true }))).toBe(true);
  });

  it('refuses mistakes at construction, with a hint', () => {
    expect(refusal({ tabel: true })).toMatchObject({ code: 'VERIGATE_UNKNOWN_OPTION', hint: 'Did you mean audit.table?' });
    expect(refusal({ table: 'yes' }).code).toBe('VERIGATE_INVALID_AUDIT');
    expect(refusal({ retention: 'forever' }).code).toBe('VERIGATE_INVALID_DURATION');
    expect(refusal(true).code).toBe('VERIGATE_INVALID_AUDIT');
  });

  it('is part of the core options (and so of emailVerification)', () => {
    const base = { baseUrl: 'https://app.example.com/verify', secret: 'x'.repeat(40), database: 'postgresql://localhost/app', mail: { from: 'a@b.example', transport: 'smtp://localhost' } };
    expect(resolveOptions({ ...base, audit: { table: true } } as CoreOptions).config.audit).toEqual({ table: true, retentionMs: 90 * DAY });
    expect(() => resolveOptions({ ...base, audti: {} } as unknown as CoreOptions)).toThrow(/Did you mean audit\?/);
    expect(() => resolveOptions({ ...base, users: { findByID: () => null } } as unknown as CoreOptions)).toThrow(/Did you mean users\.findById\?/);
  });
});
