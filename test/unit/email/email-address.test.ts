import { describe, expect, it } from '@jest/globals';
import { canonicalEmail, parseEmailAddress, type EmailAddressProblem } from '../../../src/email/email-address.ts';

function canonicalOf(input: string): string {
  const parsed = parseEmailAddress(input);
  if (!parsed.ok) throw new Error(`expected ${JSON.stringify(input)} to be valid, got ${parsed.problem}`);
  return parsed.canonical;
}

function problemOf(input: unknown): EmailAddressProblem {
  const parsed = parseEmailAddress(input);
  if (parsed.ok) throw new Error(`expected ${JSON.stringify(input)} to be refused, got ${parsed.canonical}`);
  expect(parsed.message.length).toBeGreaterThan(0);
  return parsed.problem;
}

describe('parseEmailAddress: canonical form', () => {
  it('accepts a plain address unchanged', () => {
    expect(parseEmailAddress('alice@example.com')).toEqual({ ok: true, canonical: 'alice@example.com' });
  });

  it('lower-cases the domain but keeps the local part as typed', () => {
    expect(canonicalOf('Alice.Smith@Example.COM')).toBe('Alice.Smith@example.com');
  });

  it('trims surrounding spaces', () => {
    expect(canonicalOf('  bob@example.com  ')).toBe('bob@example.com');
  });

  it('converts an IDN domain to punycode and keeps a Unicode local part', () => {
    expect(canonicalOf('Ünï@BÜCHER.de')).toBe('Ünï@xn--bcher-kva.de');
    expect(canonicalOf('user@bücher.de')).toBe(canonicalOf('user@xn--bcher-kva.de'));
  });

  it('normalises the local part to NFC', () => {
    const decomposed = 'jose\u0301@example.com';
    const composed = 'jos\u00e9@example.com';
    expect(decomposed).not.toBe(composed);
    expect(canonicalOf(decomposed)).toBe(canonicalOf(composed));
    expect(canonicalOf(decomposed)).toBe(composed);
  });

  it('refuses a trailing dot in the domain, since mail goes to the address as stored', () => {
    expect(parseEmailAddress('a@example.com.')).toMatchObject({ ok: false, problem: 'DOMAIN_INVALID' });
  });

  it('refuses an RFC 2047 encoded-word in the local part', () => {
    expect(parseEmailAddress('=?utf-8?q?victim=40evil.test?=@example.com')).toMatchObject({ ok: false, problem: 'LOCAL_PART_INVALID' });
  });

  it('accepts common address forms', () => {
    expect(canonicalOf('first.last+tag@sub.example.co.uk')).toBe('first.last+tag@sub.example.co.uk');
    expect(canonicalOf("o'brien@example.ie")).toBe("o'brien@example.ie");
    expect(canonicalOf('x@a-b.example')).toBe('x@a-b.example');
  });

  it('uses the last @ to split, so an @ in the local part is refused', () => {
    expect(problemOf('a@b@example.com')).toBe('LOCAL_PART_INVALID');
  });
});

describe('parseEmailAddress: length limits in bytes', () => {
  it('accepts a 64-byte local part and refuses 65 bytes', () => {
    expect(canonicalOf(`${'a'.repeat(64)}@example.com`)).toBe(`${'a'.repeat(64)}@example.com`);
    expect(problemOf(`${'a'.repeat(65)}@example.com`)).toBe('TOO_LONG');
  });

  it('counts multi-byte characters in bytes, not characters', () => {
    // 'é' is 2 bytes in UTF-8: 32 of them are 64 bytes, 33 are 66 bytes (only 33 characters).
    expect(parseEmailAddress(`${'é'.repeat(32)}@example.com`).ok).toBe(true);
    expect(problemOf(`${'é'.repeat(33)}@example.com`)).toBe('TOO_LONG');
    // '€' is 3 bytes: 22 of them are 66 bytes.
    expect(problemOf(`${'€'.repeat(22)}@example.com`)).toBe('TOO_LONG');
  });

  it('counts the NFC form, so a decomposed local part is measured after composition', () => {
    // 30 × 'e' + U+0301 is 90 bytes decomposed, 60 bytes as 30 × 'é'.
    expect(parseEmailAddress(`${'e\u0301'.repeat(30)}@example.com`).ok).toBe(true);
  });

  it('refuses an address longer than 254 bytes and accepts exactly 254', () => {
    const local = 'a'.repeat(64);
    // local (64) + '@' (1) + domain: labels of 63 with dots.
    const label = 'b'.repeat(63);
    const domain254 = `${label}.${label}.${'c'.repeat(57)}.com`; // 63+1+63+1+57+4 = 189; 64+1+189 = 254
    const exact = `${local}@${domain254}`;
    expect(Buffer.byteLength(exact)).toBe(254);
    expect(canonicalOf(exact)).toBe(exact);
    const over = `${local}@${label}.${label}.${'c'.repeat(58)}.com`;
    expect(Buffer.byteLength(over)).toBe(255);
    expect(problemOf(over)).toBe('TOO_LONG');
  });

  it('counts the punycode domain towards the total', () => {
    const local = 'a'.repeat(64);
    // Each 'bü' label is 3 bytes of UTF-8 but 9 bytes as punycode ('xn--b-eha').
    const short = `${local}@${'bü.'.repeat(10)}com`;
    expect(canonicalOf(short)).toBe(`${local}@${'xn--b-eha.'.repeat(10)}com`);
    const input = `${local}@${'bü.'.repeat(20)}com`;
    expect(Buffer.byteLength(input)).toBeLessThanOrEqual(254);
    expect(Buffer.byteLength(`${local}@${'xn--b-eha.'.repeat(20)}com`)).toBeGreaterThan(254);
    expect(problemOf(input)).toBe('TOO_LONG');
  });

  it('refuses a huge input before looking at it (over 4 × 254 bytes), and a merely long one for what is too long', () => {
    expect(parseEmailAddress(`${'a'.repeat(10_000)}@example.com`)).toEqual({ ok: false, problem: 'TOO_LONG', message: 'The email address is too long.' });
    const atTheBound = `${'a'.repeat(1016 - '@example.com'.length)}@example.com`;
    expect(Buffer.byteLength(atTheBound)).toBe(1016);
    expect(parseEmailAddress(atTheBound)).toEqual({ ok: false, problem: 'TOO_LONG', message: 'The part before the @ is longer than 64 bytes.' });
    expect(parseEmailAddress(`a${atTheBound}`)).toMatchObject({ message: 'The email address is too long.' });
  });

  it('refuses a domain label longer than 63 characters', () => {
    expect(problemOf(`a@${'b'.repeat(64)}.com`)).toBe('DOMAIN_INVALID');
  });
});

describe('parseEmailAddress: refused input', () => {
  it.each([
    ['CR', 'a@example.com\r'],
    ['LF', 'a@example.com\nBcc: victim@example.com'],
    ['CRLF header injection', 'a@example.com\r\nBcc: x@evil.test'],
    ['NUL', 'a\u0000@example.com'],
    ['tab', 'a\t@example.com'],
    ['leading tab', '\ta@example.com'],
    ['DEL', 'a\u007f@example.com'],
    ['C1 NEL', 'a\u0085@example.com'],
    ['U+2028', 'a@example.com\u2028'],
    ['U+2029', 'a\u2029@example.com'],
  ])('refuses %s as CONTROL_CHARACTERS', (_name, input) => {
    expect(problemOf(input)).toBe('CONTROL_CHARACTERS');
  });

  it.each([[''], ['   '], [undefined], [null], [42], [{}], [['a@example.com']]])('refuses %p as EMPTY', (input) => {
    expect(problemOf(input)).toBe('EMPTY');
  });

  it('refuses an address without @', () => {
    expect(problemOf('alice.example.com')).toBe('MISSING_AT');
  });

  it.each([
    '@example.com',
    'a..b@example.com',
    '.a@example.com',
    'a.@example.com',
    '"quoted"@example.com',
    'a b@example.com',
    'a(comment)@example.com',
    'a<b>@example.com',
    'a,b@example.com',
    'a;b@example.com',
    'a:b@example.com',
    'a[b]@example.com',
    'a\\b@example.com',
  ])('refuses local part in %j', (input) => {
    expect(problemOf(input)).toBe('LOCAL_PART_INVALID');
  });

  it.each([
    'a@',
    'a@.',
    'a@com',
    'a@localhost',
    'a@example..com',
    'a@.example.com',
    'a@-example.com',
    'a@example-.com',
    'a@exa_mple.com',
    'a@exa mple.com',
    'a@[127.0.0.1]',
    'a@[IPv6:::1]',
    'a@127.0.0.1',
    'a@1.2.3.4',
    'a@0x7f.1',
    'a@example.123',
  ])('refuses domain in %j', (input) => {
    expect(problemOf(input)).toBe('DOMAIN_INVALID');
  });

  it.each(['a@mail.163.com', 'a@126.com', 'a@example.a1', 'a@example.1a'])('accepts digits in labels, and in a top-level label that is not all digits: %j', (input) => {
    expect(parseEmailAddress(input)).toEqual({ ok: true, canonical: input });
  });

  // '%' is not a domain character. Node's domainToASCII percent-decodes like a URL host parser, so
  // these used to canonicalise to 'a@example.com' while the mail itself goes to the raw address:
  // the address that proved ownership and the one marked verified would differ.
  it.each(['a@ex%61mple.com', 'a@example%2ecom', 'a@%65xample.com'])('refuses percent-encoded domain %j', (input) => {
    expect(problemOf(input)).toBe('DOMAIN_INVALID');
  });
});

describe('canonicalEmail', () => {
  it('returns the canonical form of a valid address', () => {
    expect(canonicalEmail('  Ünï@BÜCHER.de ')).toBe('Ünï@xn--bcher-kva.de');
    expect(canonicalEmail('A@EXAMPLE.com')).toBe('A@example.com');
  });

  it('falls back to the trimmed input for invalid legacy data', () => {
    expect(canonicalEmail('  not-an-address  ')).toBe('not-an-address');
    expect(canonicalEmail('a@localhost')).toBe('a@localhost');
  });

  it('is idempotent', () => {
    const once = canonicalEmail('Jose\u0301@Bücher.DE');
    expect(canonicalEmail(once)).toBe(once);
  });
});
