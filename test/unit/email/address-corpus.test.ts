import { describe, expect, it } from '@jest/globals';
import { parseEmailAddress, type EmailAddressProblem } from '../../../src/email/email-address.ts';
import { limitKey } from '../../../src/email/limit-key.ts';
import { uniquenessKey } from '../../../src/email/uniqueness-key.ts';

type Accepted = { canonical: string; key: string };
type Row = [name: string, input: string, expected: Accepted | EmailAddressProblem];

const LABEL63 = 'b'.repeat(63);
const LOCAL64 = 'a'.repeat(64);
const TOTAL254 = `${LOCAL64}@${LABEL63}.${LABEL63}.${'c'.repeat(57)}.com`;
const TOTAL255 = `${LOCAL64}@${LABEL63}.${LABEL63}.${'c'.repeat(58)}.com`;

const same = (address: string): Accepted => ({ canonical: address, key: address });

/**
 * Expected values are written out by hand (punycode forms from the IANA IDN test domains and
 * RFC examples), not produced by the code under test.
 */
const CORPUS: Row[] = [
  // Ordinary forms
  ['plain address', 'alice@example.com', same('alice@example.com')],
  ['upper-case domain is lower-cased, local part kept', 'Alice.Smith@Example.COM', { canonical: 'Alice.Smith@example.com', key: 'alice.smith@example.com' }],
  ['surrounding spaces trimmed', '  bob@example.com  ', same('bob@example.com')],
  ['plus-addressing kept as typed', 'First.Last+Tag@sub.example.co.uk', { canonical: 'First.Last+Tag@sub.example.co.uk', key: 'first.last+tag@sub.example.co.uk' }],
  ['trailing plus', 'user+@example.com', same('user+@example.com')],
  ['apostrophe', "o'brien@example.ie", same("o'brien@example.ie")],
  ['hyphenated domain', 'x@a-b.example', same('x@a-b.example')],

  // Byte limits (RFC 5321), counted in UTF-8 bytes of the canonical form
  ['64-byte ASCII local part', `${LOCAL64}@example.com`, same(`${LOCAL64}@example.com`)],
  ['65-byte ASCII local part', `${'a'.repeat(65)}@example.com`, 'TOO_LONG'],
  ['32 × é is 64 bytes', `${'é'.repeat(32)}@example.com`, same(`${'é'.repeat(32)}@example.com`)],
  ['33 × é is 66 bytes in 33 characters', `${'é'.repeat(33)}@example.com`, 'TOO_LONG'],
  ['21 × € is 63 bytes', `${'€'.repeat(21)}@example.com`, same(`${'€'.repeat(21)}@example.com`)],
  ['22 × € is 66 bytes', `${'€'.repeat(22)}@example.com`, 'TOO_LONG'],
  ['16 × 4-byte emoji is 64 bytes', `${'😀'.repeat(16)}@example.com`, same(`${'😀'.repeat(16)}@example.com`)],
  ['17 × 4-byte emoji is 68 bytes', `${'😀'.repeat(17)}@example.com`, 'TOO_LONG'],
  ['254 bytes in total', TOTAL254, same(TOTAL254)],
  ['255 bytes in total', TOTAL255, 'TOO_LONG'],

  // Header injection and control characters, raw and percent-encoded
  ['CRLF header injection', 'a@example.com\r\nBcc: x@evil.test', 'CONTROL_CHARACTERS'],
  ['lone LF', 'a@example.com\n', 'CONTROL_CHARACTERS'],
  ['NUL', 'a\u0000@example.com', 'CONTROL_CHARACTERS'],
  ['C1 NEL', 'a\u0085@example.com', 'CONTROL_CHARACTERS'],
  ['percent-encoded CRLF after the address', 'a@example.com%0d%0aBcc:x@evil.test', 'LOCAL_PART_INVALID'],
  ['percent-encoded CRLF in the local part', 'a%0d%0a@example.com', 'LOCAL_PART_INVALID'],
  ['percent-encoded LF in the domain', 'a@example.com%0a', 'DOMAIN_INVALID'],
  ['percent-encoded NUL in the domain', 'a@example%00.com', 'DOMAIN_INVALID'],

  // Invisible characters: hidden from the person, or mapped away by some parsers
  ['zero-width space', 'ali\u200bce@example.com', 'CONTROL_CHARACTERS'],
  ['right-to-left override', 'moc.elgoog\u202e@example.com', 'CONTROL_CHARACTERS'],
  ['byte order mark in front', '\ufeffalice@example.com', 'CONTROL_CHARACTERS'],
  ['variation selector in the domain (IDNA drops it)', 'a@exa\ufe0fmple.com', 'CONTROL_CHARACTERS'],
  ['soft hyphen in the domain (IDNA drops it)', 'a@exa\u00admple.com', 'CONTROL_CHARACTERS'],
  ['Hangul filler', '\u3164@example.com', 'CONTROL_CHARACTERS'],
  ['lone surrogate', 'a\ud800@example.com', 'CONTROL_CHARACTERS'],
  ['private-use character', 'a\ue000@example.com', 'CONTROL_CHARACTERS'],

  // Lists and display names: one address only
  ['comma-separated list', 'a@x.com,b@y.com', 'LOCAL_PART_INVALID'],
  ['semicolon-separated list', 'a@x.com; b@y.com', 'LOCAL_PART_INVALID'],
  ['display name', 'Bob <bob@x.com>', 'LOCAL_PART_INVALID'],
  ['angle brackets', '<bob@x.com>', 'LOCAL_PART_INVALID'],
  ['quoted display name', '"Bob" <bob@x.com>', 'LOCAL_PART_INVALID'],
  ['mailto: prefix', 'mailto:bob@x.com', 'LOCAL_PART_INVALID'],

  // Quoted local parts and specials
  ['quoted local part', '"bob"@example.com', 'LOCAL_PART_INVALID'],
  ['quoted local part hiding an @', '"victim@evil.test"@example.com', 'LOCAL_PART_INVALID'],
  ['quoted local part with a space', '"a b"@example.com', 'LOCAL_PART_INVALID'],
  ['two @', 'a@b@example.com', 'LOCAL_PART_INVALID'],
  ['full-width @ in the local part', 'victim\uff20evil.test@example.com', 'LOCAL_PART_INVALID'],
  ['percent hack', 'victim%evil.test@relay.example', 'LOCAL_PART_INVALID'],
  ['full-width percent', 'victim\uff05evil.test@relay.example', 'LOCAL_PART_INVALID'],
  ['bang path', 'evil.test!victim@relay.example', 'LOCAL_PART_INVALID'],

  // Dots
  ['leading dot', '.alice@example.com', 'LOCAL_PART_INVALID'],
  ['trailing dot in the local part', 'alice.@example.com', 'LOCAL_PART_INVALID'],
  ['consecutive dots', 'a..b@example.com', 'LOCAL_PART_INVALID'],
  ['one-dot leader (U+2024) is a dot after NFKC', 'alice\u2024@example.com', 'LOCAL_PART_INVALID'],
  ['trailing-dot domain', 'a@example.com.', 'DOMAIN_INVALID'],
  ['trailing ideographic full stop', 'a@example.com\u3002', 'DOMAIN_INVALID'],
  ['leading dot in the domain', 'a@.example.com', 'DOMAIN_INVALID'],

  // IP literals and odd hosts
  ['IPv4 literal', 'a@[127.0.0.1]', 'DOMAIN_INVALID'],
  ['IPv6 literal', 'a@[IPv6:::1]', 'DOMAIN_INVALID'],
  ['bare IPv4', 'a@127.0.0.1', 'DOMAIN_INVALID'],
  ['single label', 'a@localhost', 'DOMAIN_INVALID'],

  // RFC 2047 encoded words
  ['encoded word (q) as the local part', '=?utf-8?q?victim=40evil.test?=@example.com', 'LOCAL_PART_INVALID'],
  ['encoded word (b) as the local part', '=?utf-8?b?dmljdGlt?=@example.com', 'LOCAL_PART_INVALID'],
  ['encoded word in the domain', 'a@=?utf-8?q?x?=.com', 'DOMAIN_INVALID'],

  // IDN and punycode
  ['IDN domain to punycode', 'üser@bücher.de', { canonical: 'üser@xn--bcher-kva.de', key: 'üser@xn--bcher-kva.de' }],
  ['punycode typed directly', 'user@xn--bcher-kva.de', same('user@xn--bcher-kva.de')],
  ['upper-case punycode', 'user@XN--BCHER-KVA.DE', same('user@xn--bcher-kva.de')],
  ['upper-case IDN', 'Ünï@BÜCHER.de', { canonical: 'Ünï@xn--bcher-kva.de', key: 'ünï@xn--bcher-kva.de' }],
  ['Cyrillic IDN test domain', 'тест@пример.испытание', same('тест@xn--e1afmkfd.xn--80akhbyknj4f')],
  ['Chinese IDN test domain', '用户@例子.测试', same('用户@xn--fsqu00a.xn--0zwm56d')],
  ['full-width domain', 'user@\uff45\uff58\uff41\uff4d\uff50\uff4c\uff45.com', same('user@example.com')],
  ['ideographic full stop', 'user@example\u3002com', same('user@example.com')],
  ['halfwidth ideographic full stop and full-width hyphen', 'user@a\uff0db\uff61example', same('user@a-b.example')],
  ['full-width full stop and letters', 'user@\uff45\uff58\uff41\uff4d\uff50\uff4c\uff45\uff0e\uff43\uff4f\uff4d', same('user@example.com')],
  ['fake A-label (does not decode)', 'a@xn--zz.com', 'DOMAIN_INVALID'],
  ['fake A-label (hand-encoded full-width a)', 'a@xn--mi7c.com', 'DOMAIN_INVALID'],

  // Unicode local parts and lookalikes
  ['decomposed é composed by NFC', 'jose\u0301@example.com', same('jos\u00e9@example.com')],
  ['Kelvin sign is K after NFC', '\u212aate@example.com', { canonical: 'Kate@example.com', key: 'kate@example.com' }],
  ['dotless i stays a different letter', 'al\u0131ce@example.com', same('al\u0131ce@example.com')],
  ['capital dotted I folds to i + U+0307', '\u0130pek@example.com', { canonical: '\u0130pek@example.com', key: 'i\u0307pek@example.com' }],
  ['capital sharp s folds to ß, not ss', 'STRA\u1e9eE@example.de', { canonical: 'STRA\u1e9eE@example.de', key: 'stra\u00dfe@example.de' }],
  ['full-width local part folds to ASCII in the key', '\uff41\uff4c\uff49\uff43\uff45@example.com', { canonical: '\uff41\uff4c\uff49\uff43\uff45@example.com', key: 'alice@example.com' }],

  // Not an address at all
  ['empty', '', 'EMPTY'],
  ['spaces only', '   ', 'EMPTY'],
  ['no @', 'alice.example.com', 'MISSING_AT'],
];

describe('address corpus', () => {
  it('has at least 40 cases, each named once', () => {
    expect(CORPUS.length).toBeGreaterThanOrEqual(40);
    expect(new Set(CORPUS.map(([name]) => name)).size).toBe(CORPUS.length);
  });

  it.each(CORPUS)('%s', (_name, input, expected) => {
    const parsed = parseEmailAddress(input);
    if (typeof expected === 'string') {
      expect(parsed).toMatchObject({ ok: false, problem: expected });
      if (!parsed.ok) expect(parsed.message).not.toBe('');
      return;
    }
    expect(parsed).toEqual({ ok: true, canonical: expected.canonical });
    expect(uniquenessKey(expected.canonical)).toBe(expected.key);
  });
});

describe('rate-limit keys across the corpus', () => {
  it.each([
    ['j.doe+1@gmail.com', 'jdoe@gmail.com'],
    ['J.Doe@googlemail.com', 'jdoe@gmail.com'],
    ['jdoe@gmail.com', 'jdoe@gmail.com'],
    ['First.Last+Tag@sub.example.co.uk', 'first.last@sub.example.co.uk'],
    ['\uff41\uff4c\uff49\uff43\uff45\uff0bspam@example.com', 'alice@example.com'],
    ['\u212aate+x@example.com', 'kate@example.com'],
  ])('%s → %s', (input, expected) => {
    const parsed = parseEmailAddress(input);
    if (!parsed.ok) throw new Error(`expected ${input} to be valid, got ${parsed.problem}`);
    expect(limitKey(parsed.canonical)).toBe(expected);
  });
});
