import { describe, expect, it } from '@jest/globals';
import { VerigateConfigError } from '../../../src/config/config-error.ts';
import { resolveAddressOptions } from '../../../src/email/address-options.ts';

function configErrorOf(value: unknown): VerigateConfigError {
  try {
    resolveAddressOptions(value);
  } catch (error) {
    expect(error).toBeInstanceOf(VerigateConfigError);
    const configError = error as VerigateConfigError;
    expect(configError.hint.length).toBeGreaterThan(0);
    expect(configError.message).toContain(configError.hint);
    return configError;
  }
  throw new Error(`expected ${JSON.stringify(value)} to be refused`);
}

describe('resolveAddressOptions: defaults', () => {
  it.each([[undefined], [{}]])('fills in every default for %p', (value) => {
    expect(resolveAddressOptions(value)).toEqual({ disposable: true, allow: [], deny: [], caseSensitiveLocalPart: false, checkDomain: undefined });
  });

  it('returns a frozen value with frozen lists', () => {
    const resolved = resolveAddressOptions({ allow: ['a.example'] });
    expect(Object.isFrozen(resolved)).toBe(true);
    expect(Object.isFrozen(resolved.allow)).toBe(true);
    expect(Object.isFrozen(resolved.deny)).toBe(true);
  });

  it('keeps explicit values', () => {
    const checkDomain = async (): Promise<boolean> => true;
    expect(resolveAddressOptions({ disposable: false, caseSensitiveLocalPart: true, checkDomain }))
      .toEqual({ disposable: false, allow: [], deny: [], caseSensitiveLocalPart: true, checkDomain });
  });

  it('resolving a resolved value gives an equal one', () => {
    const once = resolveAddressOptions({ allow: ['Bücher.DE'], deny: ['Spam.Example'], disposable: false });
    expect(resolveAddressOptions(once)).toEqual(once);
  });
});

describe('resolveAddressOptions: domain lists', () => {
  it('normalises domains to lower-case punycode, trims and removes duplicates', () => {
    const resolved = resolveAddressOptions({ allow: ['Mailinator.COM', ' bücher.de ', 'xn--bcher-kva.de', 'ｅｘａｍｐｌｅ。com'], deny: ['ПРИМЕР.испытание'] });
    expect(resolved.allow).toEqual(['mailinator.com', 'xn--bcher-kva.de', 'example.com']);
    expect(resolved.deny).toEqual(['xn--e1afmkfd.xn--80akhbyknj4f']);
  });

  it.each([
    ['a wildcard', '*.mailinator.com'],
    ['a leading @', '@mailinator.com'],
    ['an address', 'someone@mailinator.com'],
    ['a URL', 'https://mailinator.com'],
    ['a single label', 'localhost'],
    ['a trailing dot', 'mailinator.com.'],
    ['empty', ''],
    ['a number', 42],
    ['null', null],
    ['an IP address', '192.0.2.1'],
  ])('refuses %s in allow and in deny', (_name, entry) => {
    for (const key of ['allow', 'deny']) {
      const error = configErrorOf({ [key]: [entry] });
      expect(error.code).toBe('VERIGATE_INVALID_ADDRESSES');
      expect(error.message).toContain(`addresses.${key}`);
      expect(error.hint).toContain('subdomains are included');
    }
  });

  it('refuses a list that is not an array', () => {
    const error = configErrorOf({ deny: 'mailinator.com' });
    expect(error.code).toBe('VERIGATE_INVALID_ADDRESSES');
    expect(error.message).toContain('addresses.deny must be an array of domain names.');
    expect(error.hint).toBe("Got string; e.g. deny: ['example.com'].");
  });

  it('refuses a domain that is both allowed and denied, after normalisation', () => {
    const error = configErrorOf({ allow: ['Bücher.de'], deny: ['xn--bcher-kva.de'] });
    expect(error.code).toBe('VERIGATE_INVALID_ADDRESSES');
    expect(error.message).toContain('xn--bcher-kva.de');
  });

  it('accepts a parent in one list and a subdomain in the other', () => {
    expect(resolveAddressOptions({ deny: ['example.com'], allow: ['staff.example.com'] }).allow).toEqual(['staff.example.com']);
  });
});

describe('resolveAddressOptions: mistakes', () => {
  it.each([['dispoasble', 'disposable'], ['alow', 'allow'], ['denny', 'deny'], ['caseSensitveLocalPart', 'caseSensitiveLocalPart'], ['checkDomains', 'checkDomain']])(
    'suggests the right key for %s', (key, meant) => {
      const error = configErrorOf({ [key]: true });
      expect(error.code).toBe('VERIGATE_UNKNOWN_OPTION');
      expect(error.hint).toBe(`Did you mean addresses.${meant}?`);
    });

  it('lists the known keys for a key that resembles none', () => {
    expect(configErrorOf({ somethingElseEntirely: 1 }).hint).toContain('disposable, allow, deny, caseSensitiveLocalPart, checkDomain');
  });

  it.each([['a string', 'strict'], ['an array', []], ['a number', 1], ['true', true]])('refuses %s instead of an object', (_name, value) => {
    const error = configErrorOf(value);
    expect(error.code).toBe('VERIGATE_INVALID_ADDRESSES');
    expect(error.message).toContain('addresses must be an object.');
    expect(error.hint).toBe('Known options: disposable, allow, deny, caseSensitiveLocalPart, checkDomain.');
  });

  it.each([['disposable', 'yes'], ['disposable', 1], ['caseSensitiveLocalPart', 'false']])('refuses a non-boolean %s', (key, value) => {
    const error = configErrorOf({ [key]: value });
    expect(error.code).toBe('VERIGATE_INVALID_ADDRESSES');
    expect(error.message).toContain(`addresses.${key}`);
  });

  it('refuses a checkDomain that is not a function', () => {
    const error = configErrorOf({ checkDomain: 'mx' });
    expect(error.code).toBe('VERIGATE_INVALID_ADDRESSES');
    expect(error.message).toContain('addresses.checkDomain must be a function (domain) => Promise<boolean>.');
    expect(error.hint).toBe('Got string; e.g. checkDomain: mxCheck({ timeoutMs: 2000 }).');
  });
});
