import { describe, expect, it, jest } from '@jest/globals';
import type { MxRecord } from 'node:dns';
import { VerigateConfigError } from '../../../src/config/config-error.ts';
import { mxCheck, type MxResolver } from '../../../src/email/mx-check.ts';

type Answer<T> = T | { code?: string } | 'hang' | { delayMs: number; then: T | { code?: string } };

function dnsError(code: string | undefined): Error {
  return Object.assign(new Error(`query failed: ${code}`), code === undefined ? {} : { code });
}

function settle<T>(answer: Answer<T> | undefined): Promise<T> {
  if (answer === undefined) return Promise.reject(dnsError('ENODATA'));
  if (answer === 'hang') return new Promise<T>(() => {});
  if (typeof answer === 'object' && answer !== null && 'delayMs' in answer) {
    return new Promise<void>((resolve) => { setTimeout(resolve, answer.delayMs); }).then(() => settle(answer.then));
  }
  if (Array.isArray(answer)) return Promise.resolve(answer as T);
  return Promise.reject(dnsError((answer as { code?: string }).code));
}

/** A resolver that answers from a table and records what was asked; it never touches the network. */
function stubResolver(answers: { mx?: Answer<MxRecord[]>; a?: Answer<string[]>; aaaa?: Answer<string[]> }): MxResolver & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    resolveMx: (host) => { calls.push(`MX ${host}`); return settle(answers.mx); },
    resolve4: (host) => { calls.push(`A ${host}`); return settle(answers.a); },
    resolve6: (host) => { calls.push(`AAAA ${host}`); return settle(answers.aaaa); },
  };
}

const MX: MxRecord[] = [{ exchange: 'mx1.example.com', priority: 10 }, { exchange: 'mx2.example.com', priority: 20 }];

describe('mxCheck', () => {
  it('allows a domain with MX records, without asking for addresses', async () => {
    const resolver = stubResolver({ mx: MX });
    await expect(mxCheck({ resolver })('example.com')).resolves.toBe(true);
    expect(resolver.calls).toEqual(['MX example.com']);
  });

  it('refuses NXDOMAIN (ENOTFOUND) at once', async () => {
    const resolver = stubResolver({ mx: { code: 'ENOTFOUND' }, a: ['192.0.2.1'] });
    await expect(mxCheck({ resolver })('exampel.con')).resolves.toBe(false);
    expect(resolver.calls).toEqual(['MX exampel.con']);
  });

  it('refuses a domain with no MX and no A/AAAA (ENODATA everywhere)', async () => {
    const resolver = stubResolver({ mx: { code: 'ENODATA' }, a: { code: 'ENODATA' }, aaaa: { code: 'ENODATA' } });
    await expect(mxCheck({ resolver })('example.com')).resolves.toBe(false);
    expect(resolver.calls).toEqual(['MX example.com', 'A example.com', 'AAAA example.com']);
  });

  it('refuses when the MX answer is empty and the address lookups find nothing', async () => {
    const resolver = stubResolver({ mx: [], a: { code: 'ENOTFOUND' }, aaaa: [] });
    await expect(mxCheck({ resolver })('example.com')).resolves.toBe(false);
  });

  it.each([
    ['an A record', { a: ['192.0.2.1'], aaaa: { code: 'ENODATA' } }],
    ['an AAAA record', { a: { code: 'ENODATA' }, aaaa: ['2001:db8::1'] }],
  ])('falls back to %s when there is no MX (RFC 5321 implicit MX)', async (_name, answers) => {
    await expect(mxCheck({ resolver: stubResolver({ mx: { code: 'ENODATA' }, ...answers }) })('example.com')).resolves.toBe(true);
  });

  it.each([
    ['empty exchange', [{ exchange: '', priority: 0 }]],
    ['root exchange', [{ exchange: '.', priority: 0 }]],
  ])('refuses a null MX (RFC 7505) with an %s', async (_name, records) => {
    const resolver = stubResolver({ mx: records, a: ['192.0.2.1'] });
    await expect(mxCheck({ resolver })('no-mail.example')).resolves.toBe(false);
    expect(resolver.calls).toEqual(['MX no-mail.example']);
  });

  it('allows when a null MX sits beside a real one', async () => {
    await expect(mxCheck({ resolver: stubResolver({ mx: [{ exchange: '', priority: 0 }, ...MX] }) })('example.com')).resolves.toBe(true);
  });

  it.each(['ESERVFAIL', 'ETIMEOUT', 'ECONNREFUSED', 'EREFUSED', 'ECANCELLED', undefined])('allows when the resolver fails with %s', async (code) => {
    await expect(mxCheck({ resolver: stubResolver({ mx: { code } }) })('example.com')).resolves.toBe(true);
  });

  it('allows when an address lookup fails rather than answering', async () => {
    const resolver = stubResolver({ mx: { code: 'ENODATA' }, a: { code: 'ESERVFAIL' }, aaaa: { code: 'ENODATA' } });
    await expect(mxCheck({ resolver })('example.com')).resolves.toBe(true);
  });

  it('allows when the resolver throws instead of rejecting', async () => {
    const resolver: MxResolver = {
      resolveMx: () => { throw new Error('broken'); },
      resolve4: () => Promise.resolve([]),
      resolve6: () => Promise.resolve([]),
    };
    await expect(mxCheck({ resolver })('example.com')).resolves.toBe(true);
  });

  it('allows when the MX lookup does not answer in time, and answers within the budget', async () => {
    const started = Date.now();
    await expect(mxCheck({ resolver: stubResolver({ mx: 'hang' }), timeoutMs: 30 })('example.com')).resolves.toBe(true);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('allows when the fallback lookups do not answer in time', async () => {
    const resolver = stubResolver({ mx: { code: 'ENODATA' }, a: 'hang', aaaa: { code: 'ENODATA' } });
    await expect(mxCheck({ resolver, timeoutMs: 30 })('example.com')).resolves.toBe(true);
  });

  it('one budget covers the whole check, not each lookup', async () => {
    // 40 ms for the MX answer plus 40 ms for A would fit two 50 ms budgets but not one.
    const resolver = stubResolver({ mx: { delayMs: 40, then: { code: 'ENODATA' } }, a: { delayMs: 40, then: { code: 'ENODATA' } }, aaaa: { code: 'ENODATA' } });
    await expect(mxCheck({ resolver, timeoutMs: 50 })('example.com')).resolves.toBe(true);
  });

  it('a slow answer within the budget still counts', async () => {
    const resolver = stubResolver({ mx: { delayMs: 10, then: { code: 'ENOTFOUND' } } });
    await expect(mxCheck({ resolver, timeoutMs: 500 })('example.com')).resolves.toBe(false);
  });

  it('builds its own resolver when none is given (not queried here)', () => {
    expect(typeof mxCheck()).toBe('function');
  });

  it.each([0, -1, Number.NaN, Infinity, '2000'])('refuses timeoutMs %p as a config error', (timeoutMs) => {
    expect(() => mxCheck({ timeoutMs: timeoutMs as number })).toThrow(VerigateConfigError);
    try {
      mxCheck({ timeoutMs: timeoutMs as number });
    } catch (error) {
      expect((error as VerigateConfigError).code).toBe('VERIGATE_INVALID_ADDRESSES');
      expect((error as Error).message).toContain('mxCheck timeoutMs must be a positive number of milliseconds.');
      expect((error as VerigateConfigError).hint).toBe(`Got ${JSON.stringify(timeoutMs)}; e.g. mxCheck({ timeoutMs: 2000 }).`);
    }
  });

  it('falls back to the address records when the MX answer is empty', async () => {
    const resolver = stubResolver({ mx: [], a: ['192.0.2.1'], aaaa: { code: 'ENODATA' } });
    await expect(mxCheck({ resolver })('example.com')).resolves.toBe(true);
    expect(resolver.calls).toEqual(['MX example.com', 'A example.com', 'AAAA example.com']);
  });

  it('treats a lookup that rejects without an error object as a failure, not an answer', async () => {
    const resolver: MxResolver = { resolveMx: () => Promise.reject(undefined), resolve4: () => Promise.reject(null), resolve6: () => Promise.reject(null) };
    await expect(mxCheck({ resolver })('example.com')).resolves.toBe(true);
  });

  it('leaves no timer behind once it has answered', async () => {
    jest.useFakeTimers();
    try {
      await expect(mxCheck({ resolver: stubResolver({ mx: MX }), timeoutMs: 60_000 })('example.com')).resolves.toBe(true);
      expect(jest.getTimerCount()).toBe(0);
    } finally {
      jest.useRealTimers();
    }
  });
});
