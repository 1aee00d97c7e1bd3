import { describe, expect, it } from '@jest/globals';
import { createDomainRules, isDisposableDomain } from '../../../src/email/disposable-domains.ts';

describe('isDisposableDomain: the maintained list', () => {
  it.each(['mailinator.com', 'guerrillamail.com', 'yopmail.com', '10minutemail.com'])('lists %s', (domain) => {
    expect(isDisposableDomain(domain)).toBe(true);
  });

  it.each(['gmail.com', 'outlook.com', 'proton.me', 'gmx.de', 'example.com', 'duck.com', 'mozmail.com'])('does not list %s', (domain) => {
    expect(isDisposableDomain(domain)).toBe(false);
  });

  it('matches a subdomain of a listed domain, at any depth', () => {
    expect(isDisposableDomain('x.mailinator.com')).toBe(true);
    expect(isDisposableDomain('a.b.c.mailinator.com')).toBe(true);
  });

  it('matches whole labels only', () => {
    expect(isDisposableDomain('xmailinator.com')).toBe(false);
    expect(isDisposableDomain('inator.com')).toBe(false);
    expect(isDisposableDomain('mailinator.com.example')).toBe(false);
    expect(isDisposableDomain('com')).toBe(false);
  });

  it('is not consulted when useList is false', () => {
    expect(isDisposableDomain('mailinator.com', { useList: false })).toBe(false);
  });
});

describe('createDomainRules: host allow and deny lists', () => {
  it('allow overrides the maintained list, for the domain and its subdomains', () => {
    const classify = createDomainRules({ allow: ['mailinator.com'] });
    expect(classify('mailinator.com')).toEqual({ kind: 'ok' });
    expect(classify('team.mailinator.com')).toEqual({ kind: 'ok' });
    expect(classify('yopmail.com')).toEqual({ kind: 'disposable', match: 'yopmail.com' });
  });

  it('an allowed subdomain does not allow its listed parent', () => {
    const classify = createDomainRules({ allow: ['team.mailinator.com'] });
    expect(classify('team.mailinator.com')).toEqual({ kind: 'ok' });
    expect(classify('mailinator.com')).toEqual({ kind: 'disposable', match: 'mailinator.com' });
  });

  it('reports the listed entry that matched', () => {
    expect(createDomainRules()('x.y.mailinator.com')).toEqual({ kind: 'disposable', match: 'mailinator.com' });
  });

  it('deny adds domains, and their subdomains', () => {
    const classify = createDomainRules({ deny: ['competitor.example'] });
    expect(classify('competitor.example')).toEqual({ kind: 'denied', match: 'competitor.example' });
    expect(classify('mail.competitor.example')).toEqual({ kind: 'denied', match: 'competitor.example' });
    expect(classify('example')).toEqual({ kind: 'ok' });
    expect(classify('other.example')).toEqual({ kind: 'ok' });
  });

  it('deny applies even when the maintained list is off', () => {
    const classify = createDomainRules({ deny: ['competitor.example'], useList: false });
    expect(classify('competitor.example')).toMatchObject({ kind: 'denied' });
    expect(classify('mailinator.com')).toEqual({ kind: 'ok' });
  });

  it('deny wins over the maintained list, so the host learns which rule refused', () => {
    expect(createDomainRules({ deny: ['mailinator.com'] })('mailinator.com')).toEqual({ kind: 'denied', match: 'mailinator.com' });
  });

  it('the most specific host entry wins', () => {
    const carveOut = createDomainRules({ deny: ['example.com'], allow: ['staff.example.com'] });
    expect(carveOut('staff.example.com')).toEqual({ kind: 'ok' });
    expect(carveOut('a.staff.example.com')).toEqual({ kind: 'ok' });
    expect(carveOut('example.com')).toMatchObject({ kind: 'denied' });
    expect(carveOut('guest.example.com')).toMatchObject({ kind: 'denied' });

    const nested = createDomainRules({ allow: ['mailinator.com'], deny: ['spam.mailinator.com'] });
    expect(nested('spam.mailinator.com')).toEqual({ kind: 'denied', match: 'spam.mailinator.com' });
    expect(nested('mailinator.com')).toEqual({ kind: 'ok' });
  });

  it('at equal depth deny wins (resolveAddressOptions refuses such a config anyway)', () => {
    expect(createDomainRules({ allow: ['a.example'], deny: ['a.example'] })('a.example')).toMatchObject({ kind: 'denied' });
  });

  it('isDisposableDomain counts host denials and allowances', () => {
    expect(isDisposableDomain('competitor.example', { deny: ['competitor.example'] })).toBe(true);
    expect(isDisposableDomain('x.mailinator.com', { allow: ['mailinator.com'] })).toBe(false);
  });
});
