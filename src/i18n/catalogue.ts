import { fail, isObject } from '../config/checks.ts';
import { closestKey } from '../config/closest-key.ts';
import { formatParts, LocaleFormats, type MessageValues } from './format-message.ts';
import { parseMessage, valueNames, type Part } from './message-format.ts';
import { de } from './messages-de.ts';
import { en, type MessageKey } from './messages-en.ts';
import { matchLocale } from './negotiate-locale.ts';

/** The languages verigate ships, complete. */
export const SHIPPED_MESSAGES: Readonly<Record<string, Readonly<Record<MessageKey, string>>>> = Object.freeze({ en, de });
export const MESSAGE_KEYS = Object.keys(en) as MessageKey[];

export interface I18nOptions {
  /**
   * Your own words, per language: `{ de: { 'pending.title': 'Postfach prüfen' } }` overrides one
   * string; a language verigate does not ship (`fr: { … }`) is added, its missing keys falling back
   * to `defaultLocale`. Keys are checked at start-up. Default: none.
   */
  messages?: Record<string, Record<string, string>>;
  /** The language when neither the `locale` hook nor `Accept-Language` settles it. Default `'en'`. */
  defaultLocale?: string;
  /** Time zone of dates in mails (IANA name, e.g. `'Europe/Berlin'`). Default `'UTC'`. */
  timeZone?: string;
}

/** Words in one language, for pages (`html`: escaped, with markup only from styles) and mails or JSON (`text`). */
export interface Translator {
  readonly locale: string;
  html(key: MessageKey, values?: MessageValues): string;
  text(key: MessageKey, values?: MessageValues): string;
  /** "24 hours" / "24 Stunden". */
  duration(ms: number): string;
}

export interface Catalogue {
  /** Every language on offer, canonical tags (`en`, `de`, and any a host added). */
  readonly locales: readonly string[];
  readonly defaultLocale: string;
  /** The offered locale serving a tag (`de-AT` → `de`), or `undefined`. */
  match(tag: unknown): string | undefined;
  /** The translator for an offered locale; anything else gets the default's. */
  translator(locale: string | undefined): Translator;
}

function canonicalTag(tag: string, where: string): string {
  try {
    const [canonical] = Intl.getCanonicalLocales(tag);
    if (canonical) return canonical;
  } catch { /* reported below */ }
  return fail('VERIGATE_INVALID_LOCALE', `${where} must be a language tag such as 'de' or 'pt-BR'.`, `Got ${JSON.stringify(tag)}.`);
}

function compile(source: unknown, where: string, key: MessageKey): Part[] {
  if (typeof source !== 'string') fail('VERIGATE_INVALID_MESSAGE', `${where} must be a string.`, `Got ${JSON.stringify(source)}.`);
  let parts: Part[];
  try {
    parts = parseMessage(source as string);
  } catch (error) {
    return fail('VERIGATE_INVALID_MESSAGE', `${where} cannot be read: ${(error as Error).message}.`, `Values look like {appName}; see the English message: ${JSON.stringify(en[key])}.`);
  }
  const allowed = valueNames(parseMessage(en[key]));
  const extra = [...valueNames(parts)].filter((name) => !allowed.has(name));
  if (extra.length) {
    fail('VERIGATE_INVALID_MESSAGE', `${where} uses {${extra.join('}, {')}}, which this message is not given.`,
      allowed.size ? `It may use {${[...allowed].join('}, {')}}.` : 'It takes no values.');
  }
  return parts;
}

function userMessages(option: unknown): Map<string, Partial<Record<MessageKey, Part[]>>> {
  const out = new Map<string, Partial<Record<MessageKey, Part[]>>>();
  if (option === undefined) return out;
  if (!isObject(option)) fail('VERIGATE_INVALID_MESSAGES', 'messages must be an object of languages, e.g. { de: { \'pending.title\': \'…\' } }.', `Got ${JSON.stringify(option)}.`);
  for (const [rawTag, strings] of Object.entries(option as Record<string, unknown>)) {
    const tag = canonicalTag(rawTag, `messages.${rawTag}`);
    if (!isObject(strings)) fail('VERIGATE_INVALID_MESSAGES', `messages.${rawTag} must be an object of message keys to strings.`, `e.g. { 'pending.title': '…' }.`);
    const compiled = out.get(tag) ?? {};
    for (const [key, source] of Object.entries(strings as Record<string, unknown>)) {
      if (!Object.hasOwn(en, key)) {
        const guess = closestKey(key, MESSAGE_KEYS);
        fail('VERIGATE_UNKNOWN_MESSAGE', `Unknown message key messages.${rawTag}['${key}'].`,
          guess ? `Did you mean '${guess}'?` : 'The keys are listed in verigate\'s src/i18n/messages-en.ts.');
      }
      compiled[key as MessageKey] = compile(source, `messages.${rawTag}['${key}']`, key as MessageKey);
    }
    out.set(tag, compiled);
  }
  return out;
}

function timeZoneOf(value: unknown): string {
  if (value === undefined) return 'UTC';
  try {
    if (typeof value === 'string') return new Intl.DateTimeFormat('en', { timeZone: value }).resolvedOptions().timeZone;
  } catch { /* reported below */ }
  return fail('VERIGATE_INVALID_TIME_ZONE', 'timeZone must be an IANA time zone name.', `Got ${JSON.stringify(value)}; e.g. 'UTC' or 'Europe/Berlin'.`);
}

/** Validates the language options once, at start-up, and compiles every message. */
export function resolveCatalogue(options: I18nOptions = {}): Catalogue {
  const timeZone = timeZoneOf(options.timeZone);
  const added = userMessages(options.messages);
  const locales = [...new Set([...Object.keys(SHIPPED_MESSAGES), ...added.keys()])];
  const defaultLocale = options.defaultLocale === undefined ? 'en' : canonicalTag(String(options.defaultLocale), 'defaultLocale');
  if (!locales.includes(defaultLocale)) {
    fail('VERIGATE_INVALID_LOCALE', `defaultLocale ${JSON.stringify(defaultLocale)} is not a language verigate has words for.`,
      `Use one of ${locales.join(', ')}, or add it through messages: { '${defaultLocale}': { … } }.`);
  }
  const shipped = new Map(Object.entries(SHIPPED_MESSAGES).map(([tag, strings]) =>
    [tag, Object.fromEntries(MESSAGE_KEYS.map((key) => [key, parseMessage(strings[key])])) as Record<MessageKey, Part[]>]));

  /** Own words, then the language without its region (`de-AT` → `de`), then the default, then English. */
  function layers(locale: string): Array<Partial<Record<MessageKey, Part[]>>> {
    const base = locale.split('-')[0];
    const chain = [...new Set([locale, base, defaultLocale, 'en'])];
    return chain.flatMap((tag) => [added.get(tag), shipped.get(tag)]).filter((layer) => layer !== undefined);
  }

  const translators = new Map<string, Translator>();
  function build(locale: string): Translator {
    const stack = layers(locale);
    const formats = new LocaleFormats(locale, timeZone);
    const messages = Object.fromEntries(MESSAGE_KEYS.map((key) => [key, stack.find((layer) => layer[key])![key]!])) as Record<MessageKey, Part[]>;
    // A key a host's view misspells prints as itself: visible, and not a 500.
    const render = (key: MessageKey, values: MessageValues = {}, html: boolean) =>
      Object.hasOwn(messages, key) ? formatParts(messages[key], values, formats, html) : String(key);
    return Object.freeze({
      locale,
      html: (key: MessageKey, values?: MessageValues) => render(key, values, true),
      text: (key: MessageKey, values?: MessageValues) => render(key, values, false),
      duration: (ms: number) => formats.duration(ms),
    });
  }
  for (const locale of locales) translators.set(locale, build(locale));

  return Object.freeze({
    locales: Object.freeze(locales),
    defaultLocale,
    match: (tag: unknown) => (typeof tag === 'string' && tag.length <= 64 ? matchLocale(tag, locales) : undefined),
    translator: (locale: string | undefined) => translators.get(locale ?? defaultLocale) ?? translators.get(defaultLocale)!,
  });
}
