import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { parseEmailAddress } from '../../../src/email/email-address.ts';

/** Address-like strings salted with the characters that matter to HTML, headers and shells. */
const MARKUP = ['<', '>', '"', "'", '&', '`', '=', '/', '\\', ' ', '\t', '(', ')', ';', ':', ',', '[', ']', '{', '}', '|', '$', '*', '?', '#', '%', '!', '\u00a0', '\u2028', '\u202e', '\ufeff'];
const LOCAL = fc.string({ unit: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...'abcxyz019.+-_') }, { weight: 2, arbitrary: fc.constantFrom(...MARKUP) }), minLength: 1, maxLength: 30 });
const DOMAIN = fc.tuple(fc.string({ unit: fc.constantFrom(...'abcxyz019-'), minLength: 1, maxLength: 12 }), fc.constantFrom('com', 'de', 'example')).map(([label, tld]) => `${label}.${tld}`);
const markupAddress = fc.oneof(
  fc.tuple(LOCAL, DOMAIN).map(([local, domain]) => `${local}@${domain}`),
  fc.tuple(LOCAL, DOMAIN, LOCAL).map(([a, domain, b]) => `${a}@${domain}${b}`),
  fc.emailAddress().map((address) => `"${address}" <${address}>`),
);

describe('addresses and markup', () => {
  it('an accepted address never carries a character that ends an HTML element or a double-quoted attribute, or splits a header', () => {
    const sample = fc.sample(markupAddress, { numRuns: 3000, seed: 3 });
    expect(sample.filter((input) => parseEmailAddress(input).ok).length).toBeGreaterThan(100);
    fc.assert(fc.property(markupAddress, (input) => {
      const parsed = parseEmailAddress(input);
      if (!parsed.ok) return;
      expect(parsed.canonical).not.toMatch(/[<>"\\\s\u2028\u2029\u202e\ufeff]/u);
    }), { numRuns: 10_000 });
  });

  it('a display name with an address ("Name" <a@b>) is refused: verigate stores and mails bare addresses', () => {
    fc.assert(fc.property(fc.emailAddress(), fc.string({ maxLength: 20 }), (address, name) => {
      expect(parseEmailAddress(`"${name}" <${address}>`).ok).toBe(false);
      expect(parseEmailAddress(`${name} <${address}>`).ok).toBe(false);
    }), { numRuns: 2000 });
  });
});
