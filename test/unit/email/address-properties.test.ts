import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { parseEmailAddress } from '../../../src/email/email-address.ts';
import { limitKey } from '../../../src/email/limit-key.ts';
import { uniquenessKey } from '../../../src/email/uniqueness-key.ts';

const RUNS = { numRuns: Number(process.env.PROPERTY_RUNS ?? 500) };

// Characters chosen to reach the interesting branches: ASCII atext and specials, letters that
// case-map or normalise oddly (Kelvin, dotless/dotted i, sharp s, sigma, ligatures), combining
// marks, full-width forms, multi-byte letters and emoji, and dots and pluses.
const LOCAL_UNITS = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...'abcxyzABCXYZ0189') },
  { weight: 3, arbitrary: fc.constantFrom('.', '+', '-', '_', "'", '=', '?', '%', '!', '"', ' ', ',', '@', '<', '(') },
  { weight: 3, arbitrary: fc.constantFrom('\u212a', '\u0131', '\u0130', '\u00df', '\u1e9e', '\u03a3', '\u03c2', '\ufb01', '\u01c5', '\u2126', '\u212b', '\u1d2c') },
  { weight: 2, arbitrary: fc.constantFrom('\u0301', '\u0308', '\u0307', 'e\u0301', '\u00e9', '\u20ac', '\ud83d\ude00', '\u7528') },
  { weight: 2, arbitrary: fc.constantFrom('\uff41', '\uff21', '\uff0b', '\uff0e', '\uff20', '\uff05', '\u2024', '\uff01') },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }) },
);
const LABEL_UNITS = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...'abcxyzABCXYZ019-') },
  { weight: 2, arbitrary: fc.constantFrom('\u00fc', '\u00dc', '\u00df', '\u0130', '\u043f', '\u4f8b', '\uff45', '\uff0d', '\u0301') },
  { weight: 1, arbitrary: fc.constantFrom('%', '_', '[', ']', ':') },
);
const label = fc.string({ unit: LABEL_UNITS, minLength: 1, maxLength: 12 });
const SEPARATORS = fc.constantFrom('.', '.', '.', '\u3002', '\uff0e');

const domainLike = fc.tuple(fc.array(fc.tuple(label, SEPARATORS), { minLength: 1, maxLength: 4 }), fc.constantFrom('com', 'de', 'CO', 'xn--p1ai', 'example', '123'))
  .map(([parts, tld]) => parts.map(([l, s]) => l + s).join('') + tld);
const addressLike = fc.tuple(fc.constantFrom('', ' ', '  '), fc.string({ unit: LOCAL_UNITS, minLength: 1, maxLength: 70 }), domainLike)
  .map(([pad, local, domain]) => `${pad}${local}@${domain}${pad}`);
// Near the byte limits: long local parts of valid, often multi-byte units and long labels.
const SAFE_UNITS = fc.constantFrom('a', 'Z', '9', '+', '\u00e9', 'e\u0301', '\u20ac', '\ud83d\ude00', '\u212a', '\uff41');
const longAddress = fc.tuple(
  fc.string({ unit: SAFE_UNITS, minLength: 10, maxLength: 70 }),
  fc.array(fc.string({ unit: fc.constantFrom('b', 'c', '\u00fc'), minLength: 20, maxLength: 63 }), { minLength: 1, maxLength: 4 }),
).map(([local, labels]) => `${local}@${labels.join('.')}.com`);
const asciiAddress = fc.emailAddress().chain((address) => fc.mixedCase(fc.constant(address)));

/** Mostly plausible addresses, some valid ASCII ones, and now and then anything at all. */
const inputs = fc.oneof(
  { weight: 6, arbitrary: addressLike },
  { weight: 3, arbitrary: longAddress },
  { weight: 3, arbitrary: asciiAddress },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 80 }) },
);

function canonicalOrNull(input: unknown): string | null {
  const parsed = parseEmailAddress(input);
  return parsed.ok ? parsed.canonical : null;
}

describe('parseEmailAddress properties', () => {
  it('accepts enough generated inputs for the properties below to mean something', () => {
    const sample = fc.sample(inputs, { numRuns: 2000, seed: 42 });
    const accepted = sample.map(canonicalOrNull).filter((canonical) => canonical !== null);
    expect(accepted.length).toBeGreaterThan(300);
    expect(accepted.length).toBeLessThan(2000);
    // Some accepted forms come close to each limit, so the byte-limit property is exercised.
    expect(accepted.some((canonical) => Buffer.byteLength(canonical.slice(0, canonical.lastIndexOf('@'))) > 56)).toBe(true);
    expect(accepted.some((canonical) => Buffer.byteLength(canonical) > 200)).toBe(true);
    expect(sample.some((input) => {
      const parsed = parseEmailAddress(input);
      return !parsed.ok && parsed.problem === 'TOO_LONG';
    })).toBe(true);
  });

  it('never throws, whatever it is given', () => {
    fc.assert(fc.property(fc.anything(), (value) => {
      expect(typeof parseEmailAddress(value).ok).toBe('boolean');
    }), RUNS);
  });

  it('the canonical form is a fixed point: parsing it yields itself', () => {
    fc.assert(fc.property(inputs, (input) => {
      const canonical = canonicalOrNull(input);
      if (canonical !== null) expect(parseEmailAddress(canonical)).toEqual({ ok: true, canonical });
    }), RUNS);
  });

  it('never accepts an input containing a C0 or C1 control character', () => {
    const control = fc.integer({ min: 0, max: 0x9f }).filter((code) => code < 0x20 || code >= 0x7f).map((code) => String.fromCharCode(code));
    fc.assert(fc.property(inputs, control, fc.nat(), (input, char, at) => {
      const position = at % (input.length + 1);
      const tainted = input.slice(0, position) + char + input.slice(position);
      const parsed = parseEmailAddress(tainted);
      expect(parsed.ok).toBe(false);
      if (!parsed.ok) expect(['CONTROL_CHARACTERS', 'EMPTY']).toContain(parsed.problem);
    }), RUNS);
  });

  it('accepted canonical forms respect the byte limits (64 local, 254 total)', () => {
    fc.assert(fc.property(inputs, (input) => {
      const canonical = canonicalOrNull(input);
      if (canonical === null) return;
      const at = canonical.lastIndexOf('@');
      expect(Buffer.byteLength(canonical.slice(0, at))).toBeLessThanOrEqual(64);
      expect(Buffer.byteLength(canonical)).toBeLessThanOrEqual(254);
    }), RUNS);
  });

  it('accepted canonical forms have one @, an ASCII lower-case domain, and no %, ! or controls', () => {
    fc.assert(fc.property(inputs, (input) => {
      const canonical = canonicalOrNull(input);
      if (canonical === null) return;
      const [local, domain, ...rest] = canonical.split('@');
      expect(rest).toEqual([]);
      expect(domain).toMatch(/^[a-z0-9.-]+$/);
      expect(local).not.toMatch(/[%!\p{C}]/u);
    }), RUNS);
  });
});

describe('identity key properties', () => {
  it('uniquenessKey is idempotent', () => {
    fc.assert(fc.property(inputs, fc.boolean(), (input, caseSensitiveLocalPart) => {
      const canonical = canonicalOrNull(input);
      if (canonical === null) return;
      const key = uniquenessKey(canonical, { caseSensitiveLocalPart });
      expect(uniquenessKey(key, { caseSensitiveLocalPart })).toBe(key);
    }), RUNS);
  });

  it('uniquenessKey ignores the case of an ASCII local part', () => {
    fc.assert(fc.property(fc.emailAddress(), (address) => {
      const lower = canonicalOrNull(address.toLowerCase());
      const upper = canonicalOrNull(address.toUpperCase());
      if (lower === null || upper === null) return;
      expect(uniquenessKey(upper)).toBe(uniquenessKey(lower));
      expect(uniquenessKey(upper, { caseSensitiveLocalPart: true })).toBe(upper);
    }), RUNS);
  });

  it('limitKey is idempotent and agrees with the uniqueness key', () => {
    fc.assert(fc.property(inputs, (input) => {
      const canonical = canonicalOrNull(input);
      if (canonical === null) return;
      const key = limitKey(canonical);
      expect(limitKey(key)).toBe(key);
      expect(limitKey(uniquenessKey(canonical))).toBe(key);
    }), RUNS);
  });
});
