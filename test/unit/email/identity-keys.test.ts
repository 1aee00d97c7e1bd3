import { describe, expect, it } from '@jest/globals';
import { limitKey } from '../../../src/email/limit-key.ts';
import { foldLocalPart, uniquenessKey } from '../../../src/email/uniqueness-key.ts';

describe('uniquenessKey', () => {
  it('folds the local part by default, so Alice and alice are one account', () => {
    expect(uniquenessKey('Alice@example.com')).toBe('alice@example.com');
    expect(uniquenessKey('alice@example.com')).toBe('alice@example.com');
  });

  it('keeps the canonical form unchanged when the local part is case-sensitive', () => {
    expect(uniquenessKey('Alice@example.com', { caseSensitiveLocalPart: true })).toBe('Alice@example.com');
    expect(uniquenessKey('\uff41lice@example.com', { caseSensitiveLocalPart: true })).toBe('\uff41lice@example.com');
  });

  it('leaves the domain alone (already lower-case ASCII in a canonical form)', () => {
    expect(uniquenessKey('Bob@xn--bcher-kva.de')).toBe('bob@xn--bcher-kva.de');
  });

  it('splits at the last @', () => {
    expect(uniquenessKey('A@b@example.com')).toBe('a@b@example.com');
  });
});

describe('foldLocalPart: the documented Unicode rule (NFKC, toLowerCase, NFKC)', () => {
  it.each([
    ['Kelvin sign U+212A', '\u212aate', 'kate'],
    ['Ohm sign U+2126', '\u2126mega', '\u03c9mega'],
    ['full-width letters', '\uff21\uff4c\uff49\uff43\uff45', 'alice'],
    ['ligature fi', '\ufb01le', 'file'],
    ['modifier capital A is a capital only after NFKC, so NFKC comes first', '\u1d2clice', 'alice'],
    ['dotless i stays dotless', 'al\u0131ce', 'al\u0131ce'],
    ['capital I becomes i, never dotless', 'ALICE', 'alice'],
    ['capital dotted I becomes i + combining dot', '\u0130pek', 'i\u0307pek'],
    ['sharp s is kept, not expanded to ss', 'stra\u00dfe', 'stra\u00dfe'],
    ['capital sharp s lower-cases to sharp s', 'STRA\u1e9eE', 'stra\u00dfe'],
    ['final capital sigma becomes final sigma', '\u0391\u03a3', '\u03b1\u03c2'],
    ['decomposed é composes', 'e\u0301', '\u00e9'],
    ['lower-casing can make a new composition (T + diaeresis has no capital precomposed form)', 'T\u0308', '\u1e97'],
  ])('%s', (_name, input, expected) => {
    expect(foldLocalPart(input)).toBe(expected);
  });

  it('keeps lookalikes that are different letters apart', () => {
    expect(foldLocalPart('al\u0131ce')).not.toBe(foldLocalPart('alice'));
    expect(foldLocalPart('\u0130pek')).not.toBe(foldLocalPart('ipek'));
    expect(foldLocalPart('stra\u00dfe')).not.toBe(foldLocalPart('strasse'));
  });
});

describe('limitKey', () => {
  it('puts tag, dot, case and googlemail variants of one Gmail box in one bucket', () => {
    const keys = ['j.doe+1@gmail.com', 'J.Doe@googlemail.com', 'jdoe@gmail.com', 'JDOE+news@gmail.com', 'j.d.o.e@googlemail.com'].map(limitKey);
    expect(new Set(keys)).toEqual(new Set(['jdoe@gmail.com']));
  });

  it('removes +tags on every domain but keeps dots outside Gmail', () => {
    expect(limitKey('First.Last+promo@example.com')).toBe('first.last@example.com');
    expect(limitKey('first.last@example.com')).toBe('first.last@example.com');
    expect(limitKey('firstlast@example.com')).not.toBe(limitKey('first.last@example.com'));
  });

  it('removes everything from the first +', () => {
    expect(limitKey('a+b+c@example.com')).toBe('a@example.com');
  });

  it('keeps a local part that starts with + whole rather than emptying it', () => {
    expect(limitKey('+tag@example.com')).toBe('+tag@example.com');
    expect(limitKey('+t.a.g@googlemail.com')).toBe('+tag@gmail.com');
  });

  it('folds before removing tags, so a full-width plus is a tag too', () => {
    expect(limitKey('alice\uff0bspam@example.com')).toBe('alice@example.com');
  });

  it('does not treat other Google-looking domains as Gmail', () => {
    expect(limitKey('j.doe@gmail.co.uk')).toBe('j.doe@gmail.co.uk');
    expect(limitKey('j.doe@mail.gmail.com')).toBe('j.doe@mail.gmail.com');
  });
});
