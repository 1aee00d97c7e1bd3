import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { safeReturnTo } from '../../../src/http/return-to.ts';

/** Origins a returnTo is resolved against: the WHATWG parser is how browsers read a Location header. */
const BASES = ['https://app.example.com/verify/pending', 'http://localhost:3000/', 'https://app.example.com:8443/a/b/c?x=1#y'];

/** Pieces open-redirect payloads are built from: slashes in every spelling, schemes, hosts, escapes, dots, controls. */
const ATTACK_PIECES = [
  '/', '//', '\\', '/\\', '\\/', '%2f', '%2F', '%5c', '%5C', '%252f', '%255c', '%25252f', '%2e', '%2e%2e', '.', '..', './', '../',
  'evil.com', 'evil.com:443', '@evil.com', 'user:pass@', ':', '//evil.com', '///evil.com', 'javascript:', 'JaVaScRiPt:', 'data:', 'http:', 'https:', 'http://', 'mailto:',
  '\t', '\n', '\r', '%09', '%0a', '%0d', '%00', '\u0000', ' ', '%20', '\u00a0', '\u3000', '\ufeff', '\u2028',
  '\uff0f', '\u2215', '\u2044', '\uff3c', '\ufe68', '%ef%bc%8f', '?', '#', '&', '=', '%', '%%', '%zz', '%E0%A4%A', 'a', 'dashboard', 'x?next=//evil.com',
];
const attackLike = fc.array(fc.constantFrom(...ATTACK_PIECES), { minLength: 1, maxLength: 8 }).map((parts) => parts.join(''));
/** An attack nested under up to six rounds of percent-encoding, behind a leading slash. */
const deepEncoded = fc.tuple(attackLike, fc.integer({ min: 1, max: 6 })).map(([value, rounds]) => {
  let encoded = value;
  for (let i = 0; i < rounds; i++) encoded = encodeURIComponent(encoded);
  return `/${encoded}`;
});
const anyString = fc.oneof(attackLike, deepEncoded, fc.string({ unit: 'binary', maxLength: 60 }), fc.string({ unit: 'grapheme-ascii', maxLength: 60 }).map((s) => `/${s}`));

/** Safe path characters (RFC 3986 unreserved plus a few sub-delims), for paths that must be kept. */
const SEGMENT = fc.string({ unit: fc.constantFrom(...'abcXYZ019-_.~!$()*+,;=:@'), minLength: 1, maxLength: 12 }).filter((s) => s !== '.' && s !== '..');
const benignPath = fc.tuple(
  fc.array(SEGMENT, { minLength: 0, maxLength: 5 }),
  fc.option(fc.array(fc.tuple(SEGMENT, SEGMENT), { minLength: 1, maxLength: 3 }), { nil: undefined }),
  fc.option(SEGMENT, { nil: undefined }),
).map(([segments, query, hash]) => `/${segments.join('/')}${query ? `?${query.map(([k, v]) => `${k}=${v}`).join('&')}` : ''}${hash ? `#${hash}` : ''}`);

describe('safeReturnTo, property-based', () => {
  it('never throws, and returns either nothing or its input unchanged, for any value at all', () => {
    fc.assert(fc.property(fc.anything(), (value) => {
      const result = safeReturnTo(value);
      return result === undefined || result === value;
    }), { numRuns: 2000 });
  });

  it('every accepted value stays on the origin it is resolved against, as browsers resolve it', () => {
    fc.assert(fc.property(anyString, (value) => {
      const result = safeReturnTo(value);
      if (result === undefined) return true;
      return BASES.every((base) => new URL(result, base).origin === new URL(base).origin);
    }), { numRuns: 20_000 });
  });

  it('every accepted value stays on the origin after any further decoding downstream', () => {
    fc.assert(fc.property(anyString, fc.integer({ min: 1, max: 8 }), (value, rounds) => {
      const result = safeReturnTo(value);
      if (result === undefined) return true;
      let decoded = result;
      for (let i = 0; i < rounds; i++) {
        try { decoded = decodeURIComponent(decoded); } catch { return true; }
        if (!decoded.startsWith('/') || decoded.startsWith('//') || decoded.includes('\\')) return false;
        if (/[\u0000-\u001f\u007f]/.test(decoded)) return false;
        if (!BASES.every((base) => new URL(decoded, base).origin === new URL(base).origin)) return false;
      }
      return true;
    }), { numRuns: 20_000 });
  });

  it('refuses anything that is not a path: no scheme, no leading // or backslash, no control character', () => {
    fc.assert(fc.property(anyString, (value) => {
      if (safeReturnTo(value) === undefined) return true;
      return value.startsWith('/') && !value.startsWith('//') && !value.includes('\\') && !/[\u0000-\u001f\u007f]/.test(value) && value.length <= 2048;
    }), { numRuns: 20_000 });
  });

  it('keeps ordinary same-origin paths, with their query and fragment, exactly', () => {
    fc.assert(fc.property(benignPath, (path) => safeReturnTo(path) === path), { numRuns: 5000 });
  });

  it('is idempotent and refuses every scheme-relative or backslash prefix of a kept path', () => {
    fc.assert(fc.property(benignPath, fc.constantFrom('//', '/\\', '\\\\', '/%2f', '/%5c', '%2f%2f', '/%252f', '/\t/', '/%09/', 'https://evil.com'), (path, prefix) => {
      const kept = safeReturnTo(path);
      return kept !== undefined && safeReturnTo(kept) === kept && safeReturnTo(`${prefix}evil.com${path}`) === undefined;
    }), { numRuns: 5000 });
  });

  it('finds the attack pieces do get refused (the generator is not toothless)', () => {
    const sample = fc.sample(attackLike, { numRuns: 5000, seed: 7 });
    const refused = sample.filter((value) => safeReturnTo(value) === undefined).length;
    expect(refused).toBeGreaterThan(sample.length / 2);
    expect(sample.length - refused).toBeGreaterThan(10);
  });
});
