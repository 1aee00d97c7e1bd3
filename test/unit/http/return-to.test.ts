import { describe, expect, it } from '@jest/globals';
import { safeReturnTo } from '../../../src/http/return-to.ts';

describe('safeReturnTo: accepted', () => {
  it.each([
    '/',
    '/dashboard',
    '/a?b=c#d',
    '/settings/profile?tab=email',
    '/search?q=hello%20world',
    '/path/with%2Dencoded',
    '/ünï',
  ])('keeps %j unchanged', (value) => {
    expect(safeReturnTo(value)).toBe(value);
  });

  it('accepts a path of exactly 2048 characters', () => {
    const value = `/${'a'.repeat(2047)}`;
    expect(safeReturnTo(value)).toBe(value);
  });
});

describe('safeReturnTo: refused', () => {
  it.each([
    ['scheme-relative', '//evil.com'],
    ['scheme-relative with path', '//evil.com/dashboard'],
    ['triple slash', '///evil.com'],
    ['backslash', '/\\evil.com'],
    ['backslash first', '\\\\evil.com'],
    ['backslash later', '/a\\b'],
    ['absolute https', 'https://evil.com'],
    ['absolute http', 'http://evil.com/dashboard'],
    ['javascript:', 'javascript:alert(1)'],
    ['data:', 'data:text/html,<script>alert(1)</script>'],
    ['relative path', 'dashboard'],
    ['dot relative', './dashboard'],
    ['empty', ''],
    ['encoded scheme-relative without leading slash', '%2F%2Fevil.com'],
    ['encoded slash after slash', '/%2Fevil.com'],
    ['encoded slashes after slash', '/%2F%2Fevil.com'],
    ['lower-case encoding', '/%2f%2fevil.com'],
    ['encoded backslash', '/%5Cevil.com'],
    ['lower-case encoded backslash', '/%5cevil.com'],
    ['double-encoded', '%252F%252Fevil.com'],
    ['double-encoded after slash', '/%252F%252Fevil.com'],
    ['triple-encoded after slash', '/%25252F%25252Fevil.com'],
    ['double-encoded backslash', '/%255Cevil.com'],
    ['malformed encoding', '/%E0%A4%A'],
    ['lone percent', '/100%'],
  ])('refuses %s: %j', (_name, value) => {
    expect(safeReturnTo(value)).toBeUndefined();
  });

  it.each([
    ['tab', '/\t/evil.com'],
    ['newline', '/a\nb'],
    ['CRLF header injection', '/a\r\nSet-Cookie: x=y'],
    ['NUL', '/a\u0000b'],
    ['DEL', '/a\u007fb'],
    ['encoded tab (browsers strip tabs: /%09/evil.com → //evil.com)', '/%09/evil.com'],
    ['encoded CRLF', '/a%0D%0ASet-Cookie:%20x=y'],
    ['encoded NUL', '/a%00b'],
  ])('refuses control characters, %s', (_name, value) => {
    expect(safeReturnTo(value)).toBeUndefined();
  });

  it('refuses values longer than 2048 characters', () => {
    expect(safeReturnTo(`/${'a'.repeat(2048)}`)).toBeUndefined();
    expect(safeReturnTo(`/${'a'.repeat(100_000)}`)).toBeUndefined();
  });

  it.each([[undefined], [null], [42], [{}], [['/dashboard']], [true]])('refuses non-string %p', (value) => {
    expect(safeReturnTo(value)).toBeUndefined();
  });

  // Decoding stops after a fixed number of rounds; a value that still decodes further at that point
  // must fail closed rather than be accepted, or one more decode downstream yields '//evil.com'.
  it('refuses values still percent-encoded after the decode budget (quadruple-encoded //)', () => {
    expect(safeReturnTo('/%2525252F%2525252Fevil.com')).toBeUndefined();
  });

  it('every accepted value resolves on the same origin', () => {
    const candidates = ['/dashboard', '/a?b=c#d', '/.//evil.com', '/%2e/%2fevil.com', '/x/../..//evil.com'];
    for (const value of candidates) {
      const result = safeReturnTo(value);
      if (result === undefined) continue;
      expect(new URL(result, 'https://app.example.com').origin).toBe('https://app.example.com');
    }
    expect(safeReturnTo('/dashboard')).toBe('/dashboard');
  });
});

describe('safeReturnTo: encoded content that decodes to something harmless', () => {
  it('keeps a query whose value decodes to a bare percent sign', () => {
    expect(safeReturnTo('/search?q=100%25')).toBe('/search?q=100%25');
  });
});

describe('safeReturnTo: the decode budget', () => {
  // Four rounds of decoding, then fail closed: what would still decode is refused, harmless or not,
  // since whatever decodes it once more downstream may see something the checks never saw.
  it('accepts a harmless path encoded four times (it settles within the budget)', () => {
    expect(safeReturnTo('/a%25252541')).toBe('/a%25252541');
  });

  it('refuses a harmless path still encoded after four decodes', () => {
    expect(safeReturnTo('/a%2525252541')).toBeUndefined();
  });

  it('refuses // encoded five times, which looks like a plain /%2F%2F after the budget', () => {
    expect(safeReturnTo('/%252525252F%252525252Fevil.com')).toBeUndefined();
  });
});
