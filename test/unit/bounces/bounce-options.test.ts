import { describe, expect, it } from '@jest/globals';
import { VerigateConfigError } from '../../../src/config/config-error.ts';
import { resolveOptions } from '../../../src/config/resolve-options.ts';
import type { CoreOptions } from '../../../src/config/options.ts';

const fakeEm = { fork() {}, getConnection() {}, getTransactionContext() {}, getPlatform() {}, transactional() {} };

function resolve(extra: Record<string, unknown>) {
  return resolveOptions({
    baseUrl: 'https://app.example.com/verify', secret: 'S3cr3t-value-that-is-long-enough-0123456789abcdef', em: fakeEm,
    mail: { from: 'a@app.example.com', transport: 'smtp://127.0.0.1:25' }, ...extra,
  } as unknown as CoreOptions).config;
}

function failure(extra: Record<string, unknown>): { code: string; message: string } {
  try {
    resolve(extra);
  } catch (error) {
    expect(error).toBeInstanceOf(VerigateConfigError);
    return { code: (error as VerigateConfigError).code, message: (error as Error).message };
  }
  throw new Error('expected a VerigateConfigError');
}

describe('bounces options', () => {
  it('default to 3 soft bounces within 7 days and no VERP, frozen', () => {
    const { bounces } = resolve({});
    expect(bounces).toEqual({ softThreshold: 3, softWindowMs: 7 * 86_400_000 });
    expect(Object.isFrozen(bounces)).toBe(true);
    expect(resolve({ bounces: { softThreshold: 5, softWindow: '2d', verp: 'bounces@mail.example.com' } }).bounces)
      .toEqual({ softThreshold: 5, softWindowMs: 2 * 86_400_000, verp: 'bounces@mail.example.com' });
  });

  it.each([
    ['a zero threshold', { softThreshold: 0 }, 'VERIGATE_INVALID_NUMBER'],
    ['a fractional threshold', { softThreshold: 2.5 }, 'VERIGATE_INVALID_NUMBER'],
    ['a threshold as text', { softThreshold: '3' }, 'VERIGATE_INVALID_NUMBER'],
    ['a huge threshold', { softThreshold: 101 }, 'VERIGATE_INVALID_BOUNCES'],
    ['a window that is no duration', { softWindow: 'a week' }, 'VERIGATE_INVALID_DURATION'],
    ['a VERP base that is no address', { verp: 'bounces' }, 'VERIGATE_INVALID_BOUNCES'],
    ['a VERP base with a tag', { verp: 'bounces+x@example.com' }, 'VERIGATE_INVALID_BOUNCES'],
    ['a VERP base with a display name', { verp: 'Bounces <bounces@example.com>' }, 'VERIGATE_INVALID_BOUNCES'],
    ['a VERP base that is not ASCII', { verp: 'rückläufer@example.com' }, 'VERIGATE_INVALID_BOUNCES'],
  ])('refuse %s at construction', (label, bounces, code) => {
    expect(failure({ bounces }).code).toBe(code);
  });

  it('refuse a misspelt key with a suggestion, and a value that is no object', () => {
    expect(failure({ bounces: { softTreshold: 3 } })).toMatchObject({ code: 'VERIGATE_UNKNOWN_OPTION', message: expect.stringContaining('Did you mean bounces.softThreshold?') });
    expect(failure({ bounces: 3 }).code).toBe('VERIGATE_INVALID_BOUNCES');
    expect(failure({ bounce: {} }).code).toBe('VERIGATE_UNKNOWN_OPTION');
    expect(failure({ hooks: { onAddressSupressed: () => {} } }).code).toBe('VERIGATE_UNKNOWN_OPTION');
  });
});
