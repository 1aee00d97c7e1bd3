import { describe, expect, it } from '@jest/globals';
import { createResultLinks, RESULT_TTL_SECONDS } from '../../../plugin/result-link.ts';
import { fakeClock } from '../../helpers/fake-clock.ts';

const KEY = Buffer.alloc(32, 7);
const query = (path: string) => Object.fromEntries(new URL(path, 'https://app.test').searchParams);

describe('signed result links', () => {
  it('reads back the outcome it signed', () => {
    const links = createResultLinks(KEY, fakeClock());
    const path = links.path('VERIFIED');
    expect(path).toMatch(/^\/result\?status=verified&until=\d+&sig=[A-Za-z0-9_-]{22}$/);
    expect(links.read(query(path))).toEqual({ ok: true, status: 'VERIFIED' });
    expect(links.read(query(links.path('TOKEN_EXPIRED')))).toEqual({ ok: true, status: 'TOKEN_EXPIRED' });
  });

  it('refuses a typed outcome, a swapped outcome, a moved expiry and another key', () => {
    const clock = fakeClock();
    const links = createResultLinks(KEY, clock);
    const signed = query(links.path('TOKEN_EXPIRED'));
    expect(links.read({ status: 'verified' })).toEqual({ ok: false, reason: 'INVALID' });
    expect(links.read({ ...signed, status: 'verified' })).toEqual({ ok: false, reason: 'INVALID' });
    expect(links.read({ ...signed, until: String(Number(signed.until) + 1) })).toEqual({ ok: false, reason: 'INVALID' });
    expect(createResultLinks(Buffer.alloc(32, 8), clock).read(signed)).toEqual({ ok: false, reason: 'INVALID' });
    const flipped = signed.sig[0] === 'A' ? `B${signed.sig.slice(1)}` : `A${signed.sig.slice(1)}`;
    expect(links.read({ ...signed, sig: flipped })).toEqual({ ok: false, reason: 'INVALID' });
  });

  it.each([
    ['arrays', { status: ['verified'], until: ['1'], sig: ['x'] }],
    ['objects', { status: { a: 1 }, until: '1', sig: 'x' }],
    ['an unknown slug', { status: 'nope', until: '99999999999', sig: 'A'.repeat(22) }],
    ['a short signature', { status: 'verified', until: '99999999999', sig: 'A'.repeat(21) }],
    ['a non-numeric expiry', { status: 'verified', until: '1e20', sig: 'A'.repeat(22) }],
    ['nothing', {}],
  ])('refuses %s without throwing', (_name, q) => {
    expect(createResultLinks(KEY, fakeClock()).read(q as Record<string, unknown>)).toEqual({ ok: false, reason: 'INVALID' });
  });

  it(`shows an outcome for ${RESULT_TTL_SECONDS / 60} minutes, then reports it expired`, () => {
    const clock = fakeClock(new Date('2030-01-01T00:00:00Z'));
    const links = createResultLinks(KEY, clock);
    const signed = query(links.path('CHANGED'));
    clock.advance(RESULT_TTL_SECONDS * 1000);
    expect(links.read(signed)).toEqual({ ok: true, status: 'CHANGED' });
    clock.advance(1000);
    expect(links.read(signed)).toEqual({ ok: false, reason: 'EXPIRED' });
  });
});
