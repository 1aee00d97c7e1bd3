import { describe, expect, it } from '@jest/globals';
import { VerigateConfigError } from '../../../src/config/config-error.ts';
import { createAddressPolicy, type AddressCheck } from '../../../src/email/address-policy.ts';
import { parseEmailAddress } from '../../../src/email/email-address.ts';
import { mxCheck } from '../../../src/email/mx-check.ts';

function accepted(check: AddressCheck): Extract<AddressCheck, { ok: true }> {
  if (!check.ok) throw new Error(`expected acceptance, got ${check.problem}: ${check.message}`);
  return check;
}

/** A checkDomain hook that answers from a table and records the domains it was asked about. */
function recordingHook(answer: (domain: string) => Promise<boolean>): ((domain: string) => Promise<boolean>) & { asked: string[] } {
  const asked: string[] = [];
  return Object.assign(async (domain: string) => { asked.push(domain); return answer(domain); }, { asked });
}

describe('createAddressPolicy: accepted addresses', () => {
  it('returns the address to send to, the canonical form and both keys', async () => {
    expect(await createAddressPolicy().check('  J.Doe+News@GoogleMail.com ')).toEqual({
      ok: true,
      address: 'J.Doe+News@GoogleMail.com',
      canonical: 'J.Doe+News@googlemail.com',
      uniqueKey: 'j.doe+news@googlemail.com',
      limitKey: 'jdoe@gmail.com',
    });
  });

  it('keeps a Unicode domain as typed in the address, and punycode in the canonical form', async () => {
    const result = accepted(await createAddressPolicy().check('Ünï@BÜCHER.de'));
    expect(result.address).toBe('Ünï@BÜCHER.de');
    expect(result.canonical).toBe('Ünï@xn--bcher-kva.de');
  });

  it('keeps a punycode domain as typed', async () => {
    expect(accepted(await createAddressPolicy().check('a@XN--BCHER-KVA.de')).address).toBe('a@XN--BCHER-KVA.de');
  });

  it('stores the address in NFC, local part and domain alike', async () => {
    expect(accepted(await createAddressPolicy().check('jose\u0301@example.com')).address).toBe('jos\u00e9@example.com');
    expect(accepted(await createAddressPolicy().check('a@BU\u0308CHER.de')).address).toBe('a@B\u00dcCHER.de');
  });

  it('replaces a full-width or ideographic-stop domain by its plain form, keeping the local part', async () => {
    const result = accepted(await createAddressPolicy().check('Ａlice@\uff45\uff58\uff41\uff4d\uff50\uff4c\uff45\u3002com'));
    expect(result.address).toBe('Ａlice@example.com');
    expect(result.canonical).toBe('Ａlice@example.com');
    expect(result.uniqueKey).toBe('alice@example.com');
  });

  it('keeps the local part apart by case when caseSensitiveLocalPart is set', async () => {
    const result = accepted(await createAddressPolicy({ caseSensitiveLocalPart: true }).check('Alice@Example.com'));
    expect(result.uniqueKey).toBe('Alice@example.com');
    expect(result.limitKey).toBe('alice@example.com');
  });
});

describe('createAddressPolicy: syntax', () => {
  it.each(['', 'a@example.com\r\nBcc: x@evil.test', 'a%b@relay.example', 'Bob <bob@x.com>', 'a@localhost', 42, null, {}])(
    'refuses %p with the problem and message parseEmailAddress gives', async (input) => {
      const parsed = parseEmailAddress(input);
      expect(parsed.ok).toBe(false);
      expect(await createAddressPolicy().check(input)).toEqual(parsed);
    });
});

describe('createAddressPolicy: disposable domains', () => {
  it('refuses a listed domain and tells the person what to do', async () => {
    expect(await createAddressPolicy().check('someone@mailinator.com')).toEqual({
      ok: false,
      problem: 'DISPOSABLE',
      message: 'Addresses at mailinator.com are temporary; use an address you will keep.',
    });
  });

  it('refuses a subdomain of a listed domain, and names the domain as typed', async () => {
    expect(await createAddressPolicy().check('someone@Inbox.Mailinator.com')).toMatchObject({ ok: false, problem: 'DISPOSABLE', message: expect.stringContaining('inbox.mailinator.com') });
  });

  it('accepts a listed domain the host allows', async () => {
    const policy = createAddressPolicy({ allow: ['Mailinator.com'] });
    expect(accepted(await policy.check('qa@mailinator.com')).canonical).toBe('qa@mailinator.com');
    expect(accepted(await policy.check('qa@team.mailinator.com')).canonical).toBe('qa@team.mailinator.com');
    expect(await policy.check('qa@yopmail.com')).toMatchObject({ ok: false, problem: 'DISPOSABLE' });
  });

  it('accepts listed domains when disposable is false', async () => {
    expect((await createAddressPolicy({ disposable: false }).check('qa@mailinator.com')).ok).toBe(true);
  });

  it('refuses denied domains and their subdomains as DOMAIN_NOT_ALLOWED, even with disposable off', async () => {
    const policy = createAddressPolicy({ disposable: false, deny: ['competitor.example'] });
    expect(await policy.check('spy@mail.competitor.example')).toEqual({
      ok: false,
      problem: 'DOMAIN_NOT_ALLOWED',
      message: 'Addresses at mail.competitor.example cannot be used here; use a different address.',
    });
    expect((await policy.check('friend@example.org')).ok).toBe(true);
  });

  it('matches an IDN deny entry however the address spells the domain', async () => {
    const policy = createAddressPolicy({ deny: ['bücher.de'] });
    for (const input of ['a@bücher.de', 'a@BÜCHER.DE', 'a@xn--bcher-kva.de', 'a@shop.xn--bcher-kva.de']) {
      expect(await policy.check(input)).toMatchObject({ ok: false, problem: 'DOMAIN_NOT_ALLOWED', message: expect.stringContaining('bücher.de') });
    }
  });
});

describe('createAddressPolicy: checkDomain', () => {
  it('refuses as UNDELIVERABLE when the hook says false, asking with the ASCII domain', async () => {
    const hook = recordingHook(async () => false);
    expect(await createAddressPolicy({ checkDomain: hook }).check('a@Bücher.de')).toEqual({
      ok: false,
      problem: 'UNDELIVERABLE',
      message: 'bücher.de does not seem to receive email; check the part after the @ for typos.',
    });
    expect(hook.asked).toEqual(['xn--bcher-kva.de']);
  });

  it('accepts when the hook says true', async () => {
    const hook = recordingHook(async () => true);
    expect((await createAddressPolicy({ checkDomain: hook }).check('a@example.com')).ok).toBe(true);
    expect(hook.asked).toEqual(['example.com']);
  });

  it('is not asked about addresses already refused by syntax or lists', async () => {
    const hook = recordingHook(async () => true);
    const policy = createAddressPolicy({ checkDomain: hook, deny: ['denied.example'] });
    await policy.check('not an address');
    await policy.check('a@mailinator.com');
    await policy.check('a@denied.example');
    expect(hook.asked).toEqual([]);
  });

  it('accepts when the hook rejects: a broken checker must not lock people out', async () => {
    const policy = createAddressPolicy({ checkDomain: async () => { throw new Error('DNS down'); } });
    expect((await policy.check('a@example.com')).ok).toBe(true);
  });

  it('works end to end with mxCheck and a stub resolver', async () => {
    const notFound = Object.assign(new Error('queryMx ENOTFOUND'), { code: 'ENOTFOUND' });
    const resolver = {
      resolveMx: async (host: string) => { if (host === 'example.com') return [{ exchange: 'mx.example.com', priority: 10 }]; throw notFound; },
      resolve4: async (): Promise<string[]> => { throw notFound; },
      resolve6: async (): Promise<string[]> => { throw notFound; },
    };
    const policy = createAddressPolicy({ checkDomain: mxCheck({ resolver }) });
    expect((await policy.check('a@example.com')).ok).toBe(true);
    expect(await policy.check('a@exmaple.com')).toMatchObject({ ok: false, problem: 'UNDELIVERABLE' });
  });
});

describe('createAddressPolicy: options', () => {
  it('throws VerigateConfigError at creation for bad options', () => {
    expect(() => createAddressPolicy({ allow: ['*.example.com'] })).toThrow(VerigateConfigError);
    expect(() => createAddressPolicy({ dispoable: false } as never)).toThrow(/Did you mean addresses\.disposable\?/);
  });
});
