import { describe, expect, it } from '@jest/globals';
import { matchLocale, negotiateLocale, parseAcceptLanguage } from '../../../src/i18n/negotiate-locale.ts';

const offered = ['en', 'de'];

describe('Accept-Language negotiation', () => {
  it.each([
    ['de', 'de'],
    ['de-AT', 'de'],
    ['de-AT-1996', 'de'],
    ['DE-at', 'de'],
    ['fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7, *;q=0.5', 'en'],
    ['en;q=0.5, de;q=0.9', 'de'],
    ['en;q=0.5,de;q=0.5', 'en'],
    ['de;q=0.5, en;q=0.5', 'de'],
    ['xx, de;q=0.1', 'de'],
    ['de-AT, de;q=0, en;q=0.1', 'en'],
    ['de;q=0', undefined],
    ['*', 'en'],
    ['de;q=oops, en;q=0.2', 'en'],
    ['de;q=1.5, en;q=0.2', 'en'],
    ['<script>, de', 'de'],
    ['', undefined],
    ['xx-YY', undefined],
  ])('%j → %s', (header, expected) => {
    expect(negotiateLocale(header, offered, 'en')).toBe(expected);
  });

  it('ignores anything that is not a string header', () => {
    expect(negotiateLocale(undefined, offered, 'en')).toBeUndefined();
    expect(negotiateLocale(['de'], offered, 'en')).toBeUndefined();
  });

  it('reads a bounded part of a huge header', () => {
    const huge = `${'xx;q=0.9,'.repeat(5000)}de`;
    const started = performance.now();
    expect(parseAcceptLanguage(huge).length).toBeLessThanOrEqual(32);
    expect(negotiateLocale(huge, offered, 'en')).toBeUndefined();
    expect(performance.now() - started).toBeLessThan(50);
  });

  it('keeps the order given among equal weights, best weight first', () => {
    expect(parseAcceptLanguage('a;q=0.2, b, c;q=0.2, d;q=1')).toEqual([
      { range: 'b', q: 1 }, { range: 'd', q: 1 }, { range: 'a', q: 0.2 }, { range: 'c', q: 0.2 },
    ]);
  });

  it('serves a bare language with a regional form when only that is offered', () => {
    expect(matchLocale('pt', ['en', 'pt-BR'])).toBe('pt-BR');
    expect(matchLocale('pt-PT', ['en', 'pt-BR'])).toBe('pt-BR');
    expect(matchLocale('pt-br', ['en', 'pt-BR'])).toBe('pt-BR');
  });
});
