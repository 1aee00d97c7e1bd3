import { describe, expect, it } from '@jest/globals';
import { MESSAGE_KEYS, resolveCatalogue, SHIPPED_MESSAGES } from '../../../src/i18n/catalogue.ts';
import { timeAmount } from '../../../src/i18n/format-message.ts';
import { parseMessage, valueNames } from '../../../src/i18n/message-format.ts';
import { en } from '../../../src/i18n/messages-en.ts';

const FOOTER_VALUES = { ttl: 24 * 3_600_000, expiresAt: new Date('2026-03-05T15:04:00Z'), appName: 'Acme' };

describe('shipped catalogues', () => {
  const languages = Object.keys(SHIPPED_MESSAGES);

  it('ship English and German', () => {
    expect(languages).toEqual(['en', 'de']);
    expect(MESSAGE_KEYS.length).toBeGreaterThan(100);
  });

  it.each(languages)('%s has every key, no extra one, each readable and reading exactly the values its English reads', (tag) => {
    const messages = SHIPPED_MESSAGES[tag] as Record<string, string>;
    expect(Object.keys(messages).sort()).toEqual([...MESSAGE_KEYS].sort());
    for (const key of MESSAGE_KEYS) {
      expect(typeof messages[key] === 'string' && messages[key].trim() !== '').toBe(true);
      const names = [...valueNames(parseMessage(messages[key]))].sort();
      expect({ key, names }).toEqual({ key, names: [...valueNames(parseMessage(en[key]))].sort() });
    }
  });

  it('German is a translation, not a copy: all but the language-neutral strings differ from English', () => {
    const same = MESSAGE_KEYS.filter((key) => SHIPPED_MESSAGES.de[key] === en[key]);
    expect(same).toEqual(['pending.codePlaceholder']);
  });
});

describe('formatting', () => {
  const catalogue = resolveCatalogue();

  it('states lifetimes and dates in the language of the mail', () => {
    expect(catalogue.translator('en').text('mail.verify.footer', FOOTER_VALUES))
      .toContain('expires in 24 hours (March 5, 2026 at 3:04 PM UTC)');
    expect(catalogue.translator('de').text('mail.verify.footer', FOOTER_VALUES))
      .toContain('läuft in 24 Stunden ab (5. März 2026 um 15:04 UTC)');
    expect(catalogue.translator('de').text('mail.changeNotice.footer', { ttl: 7 * 86_400_000, expiresAt: FOOTER_VALUES.expiresAt }))
      .toContain('gilt 7 Tage');
    expect(catalogue.translator('en').text('error.retryIn', { seconds: 90_000 })).toBe('You can try again in 90 seconds.');
    expect(catalogue.translator('de').text('error.retryIn', { seconds: 600_000 })).toBe('Sie können es in 10 Minuten erneut versuchen.');
  });

  it('dates follow the configured time zone', () => {
    const berlin = resolveCatalogue({ timeZone: 'Europe/Berlin' });
    expect(berlin.translator('de').text('mail.verify.footer', FOOTER_VALUES)).toContain('5. März 2026 um 16:04 MEZ');
  });

  it('picks plural forms per language', () => {
    const en1 = catalogue.translator('en').text('error.CODE_INVALID.attemptsLeft', { attemptsLeft: 1 });
    const en3 = catalogue.translator('en').text('error.CODE_INVALID.attemptsLeft', { attemptsLeft: 3 });
    expect([en1, en3]).toEqual(['The code does not match the one we sent. 1 try left.', 'The code does not match the one we sent. 3 tries left.']);
    expect(catalogue.translator('de').text('error.CODE_INVALID.attemptsLeft', { attemptsLeft: 1 })).toContain('Noch 1 Versuch übrig.');
    expect(catalogue.translator('de').text('error.CODE_INVALID.attemptsLeft', { attemptsLeft: 4 })).toContain('Noch 4 Versuche übrig.');
  });

  it('escapes values for HTML, so markup in them stays inert; styles add the only markup', () => {
    const html = catalogue.translator('en').html('pending.linkSent', { email: '<img src=x onerror=alert(1)>"@x.test' });
    expect(html).toBe('We sent a link to <strong>&lt;img src=x onerror=alert(1)&gt;&#34;@x.test</strong>. Open it to confirm that this address is yours.');
    expect(catalogue.translator('en').html('confirm.intro', { appName: `Tom & Jerry's <Shop>` })).toContain('Tom &amp; Jerry&#39;s &lt;Shop&gt;');
    // The text form (subjects, plain-text parts, JSON) is not escaped: it is not HTML.
    expect(catalogue.translator('en').text('mail.verify.subject', { appName: `Tom & Jerry's <Shop>` })).toBe(`Confirm your email address for Tom & Jerry's <Shop>`);
  });

  it('makes only http(s) URLs clickable', () => {
    const words = catalogue.translator('en');
    expect(words.html('mail.taken.signIn', { loginUrl: 'https://app.test/login?a=1&b=2' }))
      .toContain('<a href="https://app.test/login?a=1&amp;b=2" style="color:#0b5fff;">https://app.test/login?a=1&amp;b=2</a>');
    expect(words.html('mail.taken.signIn', { loginUrl: 'javascript:alert(1)' })).not.toContain('<a ');
  });

  it('prints a key a view misspells as itself instead of failing the page', () => {
    expect(catalogue.translator('en').html('no.such.key' as never)).toBe('no.such.key');
    expect(catalogue.translator('en').html('constructor' as never)).toBe('constructor');
  });

  it.each([
    [0, 1, 'second'], [95_000, 95, 'second'], [150_000, 3, 'minute'], [15 * 60_000, 15, 'minute'], [3_600_000, 1, 'hour'],
    [24 * 3_600_000, 24, 'hour'], [36 * 3_600_000, 36, 'hour'], [2 * 86_400_000, 2, 'day'], [7 * 86_400_000, 7, 'day'],
    [90 * 60_000, 90, 'minute'], [5 * 3_600_000 + 1, 6, 'hour'], [3 * 86_400_000 + 1, 4, 'day'],
  ])('a time of %d ms reads as %d %s', (ms, value, unit) => {
    expect(timeAmount(ms)).toEqual({ value, unit });
  });
});

describe('host languages and overrides', () => {
  it('overrides one string of a shipped language and leaves the rest', () => {
    const catalogue = resolveCatalogue({ messages: { de: { 'pending.title': 'Postfach prüfen' } } });
    expect(catalogue.translator('de').text('pending.title')).toBe('Postfach prüfen');
    expect(catalogue.translator('de').text('confirm.title')).toBe(SHIPPED_MESSAGES.de['confirm.title']);
    expect(catalogue.translator('en').text('pending.title')).toBe('Check your inbox');
  });

  it('adds a language; its missing keys fall back to the default language, a regional one to its base first', () => {
    const catalogue = resolveCatalogue({
      defaultLocale: 'de',
      messages: { fr: { 'pending.title': 'Vérifiez votre boîte de réception' }, 'de-CH': { 'pending.title': 'Posteingang prüfen' } },
    });
    expect(catalogue.locales).toEqual(['en', 'de', 'fr', 'de-CH']);
    expect(catalogue.translator('fr').text('pending.title')).toBe('Vérifiez votre boîte de réception');
    expect(catalogue.translator('fr').text('confirm.title')).toBe(SHIPPED_MESSAGES.de['confirm.title']);
    expect(catalogue.translator('de-CH').text('confirm.button')).toBe(SHIPPED_MESSAGES.de['confirm.button']);
    expect(catalogue.match('fr-CA')).toBe('fr');
    expect(catalogue.match('DE-ch')).toBe('de-CH');
    expect(catalogue.translator('xx').locale).toBe('de');
  });

  it.each([
    [{ messages: { de: { 'pending.titel': 'x' } } }, 'VERIGATE_UNKNOWN_MESSAGE', "Did you mean 'pending.title'?"],
    [{ messages: { de: { 'totally.unrelated.thing': 'x' } } }, 'VERIGATE_UNKNOWN_MESSAGE', 'src/i18n/messages-en.ts'],
    [{ messages: { de: { 'pending.linkSent': 'An {adresse, strong}' } } }, 'VERIGATE_INVALID_MESSAGE', 'It may use {email}.'],
    [{ messages: { de: { 'pending.title': 'Postfach {' } } }, 'VERIGATE_INVALID_MESSAGE', 'Values look like {appName}'],
    [{ messages: { de: { 'error.CODE_INVALID.attemptsLeft': '{attemptsLeft, plural, one {# Versuch}}' } } }, 'VERIGATE_INVALID_MESSAGE', 'other'],
    [{ messages: { de: { 'pending.title': 42 } } }, 'VERIGATE_INVALID_MESSAGE', 'Got 42'],
    [{ messages: { 'not a language': {} } }, 'VERIGATE_INVALID_LOCALE', 'not a language'],
    [{ messages: ['de'] }, 'VERIGATE_INVALID_MESSAGES', 'Got ["de"]'],
    [{ defaultLocale: 'fr' }, 'VERIGATE_INVALID_LOCALE', 'Use one of en, de'],
    [{ timeZone: 'Mars/Olympus' }, 'VERIGATE_INVALID_TIME_ZONE', 'Europe/Berlin'],
  ])('refuses %j at start-up with a coded, hinted error', (options, code, hint) => {
    let error: unknown;
    try {
      resolveCatalogue(options as never);
    } catch (caught) {
      error = caught;
    }
    expect(error).toMatchObject({ name: 'VerigateConfigError', code });
    expect((error as Error).message).toContain(hint);
  });

  it('escapes a host string too: an override is words, not markup', () => {
    const catalogue = resolveCatalogue({ messages: { en: { 'confirm.why': 'Click <b>once</b> & wait' } } });
    expect(catalogue.translator('en').html('confirm.why')).toBe('Click &lt;b&gt;once&lt;/b&gt; &amp; wait');
  });
});
