import { describe, expect, it } from '@jest/globals';
import { CODE_ALPHABET, CODE_LENGTH, createCode, formatCode, hashCode, normaliseCode } from '../../../src/tokens/code.ts';

describe('codes', () => {
  it('are 8 characters of an alphabet without 0, O, 1, I or L, and differ each time', () => {
    expect(CODE_ALPHABET).not.toMatch(/[01OIL]/);
    const codes = new Set(Array.from({ length: 500 }, createCode));
    expect(codes.size).toBe(500);
    for (const code of codes) {
      expect(code).toHaveLength(CODE_LENGTH);
      for (const ch of code) expect(CODE_ALPHABET).toContain(ch);
    }
  });

  it('use every symbol of the alphabet (no modulo bias that drops some)', () => {
    const seen = new Set(Array.from({ length: 400 }, createCode).join(''));
    expect([...CODE_ALPHABET].every((ch) => seen.has(ch))).toBe(true);
  });

  it('are shown grouped', () => {
    expect(formatCode('ABCDEFGH')).toBe('ABCD-EFGH');
  });

  it.each([
    ['abcd-efgh', 'ABCDEFGH'],
    [' ABCD EFGH ', 'ABCDEFGH'],
    ['ab-cd-ef-gh', 'ABCDEFGH'],
    ['2345-6789', '23456789'],
  ])('forgive case and separators: %j', (input, expected) => {
    expect(normaliseCode(input)).toBe(expected);
  });

  it.each([['ABCD-EFG'], ['ABCD-EFGHJ'], ['ABCD-EFG0'], ['ABCD-EFGO'], ['ABCD-EFG1'], [''], [null], [12345678], [['ABCDEFGH']], ['A'.repeat(40)], ['ÄBCD-EFGH']])(
    'refuse what cannot be a code: %j', (input) => {
      expect(normaliseCode(input)).toBeNull();
    });

  it('read at most 32 characters of input, separators included', () => {
    expect(normaliseCode(' ABCD-EFGH '.padEnd(32, ' '))).toBe('ABCDEFGH');
    expect(normaliseCode(' ABCD-EFGH '.padEnd(33, ' '))).toBeNull();
    expect(normaliseCode(`A-B-C-D-E-F-G-H${'-'.repeat(30)}`)).toBeNull();
  });

  it('are stored only as a keyed hash', () => {
    const a = hashCode(Buffer.alloc(32, 1), 'ABCDEFGH');
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(a).not.toBe(hashCode(Buffer.alloc(32, 2), 'ABCDEFGH'));
    expect(a).not.toBe(hashCode(Buffer.alloc(32, 1), 'ABCDEFGJ'));
  });
});
