import type { Part, ValueStyle } from './message-format.ts';

/** Values a message may read; a missing one prints as nothing. */
export type MessageValues = Record<string, unknown>;

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&#34;', "'": '&#39;' };

/** The same escapes as EJS's `<%= %>`, so a value reads alike wherever it is printed. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (ch) => HTML_ESCAPES[ch]);
}

type TimeUnit = 'day' | 'hour' | 'minute' | 'second';
const UNIT_MS: Array<[TimeUnit, number]> = [['day', 86_400_000], ['hour', 3_600_000], ['minute', 60_000]];

/**
 * A length of time as a count of one unit: the largest unit that divides it evenly (`24h` → 24
 * hours, `7d` → 7 days; days only from two), else rounded up in a unit that keeps the number
 * readable (95 s → 95 seconds, 150 s → 3 minutes), so a wait is never understated.
 */
export function timeAmount(ms: number): { value: number; unit: TimeUnit } {
  const safe = Math.max(0, ms);
  // Days only from two on: a day-long link "expires in 24 hours" reads better than "in 1 day".
  for (const [unit, size] of UNIT_MS) if (safe >= (unit === 'day' ? 2 * size : size) && safe % size === 0) return { value: safe / size, unit };
  if (safe < 120_000) return { value: Math.max(1, Math.ceil(safe / 1000)), unit: 'second' };
  if (safe < 2 * 3_600_000) return { value: Math.ceil(safe / 60_000), unit: 'minute' };
  if (safe < 2 * 86_400_000) return { value: Math.ceil(safe / 3_600_000), unit: 'hour' };
  return { value: Math.ceil(safe / 86_400_000), unit: 'day' };
}

/** `Intl` formatters for one locale and time zone, built once each: they are not cheap. */
export class LocaleFormats {
  readonly locale: string;
  readonly timeZone: string;
  private readonly cache = new Map<string, unknown>();

  constructor(locale: string, timeZone: string) {
    this.locale = locale;
    this.timeZone = timeZone;
  }

  private memo<T>(key: string, make: () => T): T {
    let hit = this.cache.get(key) as T | undefined;
    if (hit === undefined) this.cache.set(key, (hit = make()));
    return hit;
  }

  number(n: number): string {
    return this.memo('number', () => new Intl.NumberFormat(this.locale)).format(n);
  }

  plural(n: number): Intl.LDMLPluralRule {
    return this.memo('plural', () => new Intl.PluralRules(this.locale)).select(n);
  }

  date(value: Date, withTime: boolean): string {
    return this.memo(withTime ? 'datetime' : 'date', () => new Intl.DateTimeFormat(this.locale, {
      year: 'numeric', month: 'long', day: 'numeric', timeZone: this.timeZone,
      ...(withTime ? { hour: 'numeric', minute: '2-digit', timeZoneName: 'short' } : {}),
    })).format(value);
  }

  /** "24 hours", "7 Tage". */
  duration(ms: number): string {
    const { value, unit } = timeAmount(ms);
    return this.memo(`duration:${unit}`, () => new Intl.NumberFormat(this.locale, { style: 'unit', unit, unitDisplay: 'long' })).format(value);
  }

  /** "in 24 hours", "in 7 Tagen" (the grammatical case a language needs after "in"). */
  relative(ms: number): string {
    const { value, unit } = timeAmount(ms);
    return this.memo('relative', () => new Intl.RelativeTimeFormat(this.locale, { numeric: 'always' })).format(value, unit);
  }
}

function asNumber(value: unknown): number {
  const n = typeof value === 'bigint' ? Number(value) : Number(value);
  return Number.isFinite(n) ? n : 0;
}

function asDate(value: unknown): Date | null {
  const date = value instanceof Date ? value : typeof value === 'string' || typeof value === 'number' ? new Date(value) : null;
  return date && !Number.isNaN(date.getTime()) ? date : null;
}

function isHttpUrl(value: string): boolean {
  try {
    const { protocol } = new URL(value);
    return protocol === 'http:' || protocol === 'https:';
  } catch {
    return false;
  }
}

function styled(style: ValueStyle, value: unknown, formats: LocaleFormats, html: boolean): string {
  if (value === undefined || value === null) return '';
  const esc = (text: string) => (html ? escapeHtml(text) : text);
  switch (style) {
    case 'number': return esc(formats.number(asNumber(value)));
    case 'duration': return esc(formats.duration(asNumber(value)));
    case 'relative': return esc(formats.relative(asNumber(value)));
    case 'date':
    case 'datetime': {
      const date = asDate(value);
      return date ? esc(formats.date(date, style === 'datetime')) : '';
    }
    case 'strong': return html ? `<strong>${escapeHtml(String(value))}</strong>` : String(value);
    case 'link': {
      const url = String(value);
      // Only http(s) becomes a link: no javascript: or data: URL can ride in through a value.
      return html && isHttpUrl(url) ? `<a href="${escapeHtml(url)}" style="color:#0b5fff;">${escapeHtml(url)}</a>` : esc(url);
    }
    default: return esc(typeof value === 'number' ? formats.number(value) : String(value));
  }
}

/**
 * Renders parsed parts. In HTML mode the message's own text and every value are escaped; the only
 * markup is what a style adds (`strong`, `link`), so a value holding markup stays inert.
 */
export function formatParts(parts: readonly Part[], values: MessageValues, formats: LocaleFormats, html: boolean, count?: number): string {
  let out = '';
  for (const part of parts) {
    if (typeof part === 'string') out += html ? escapeHtml(part) : part;
    else if (part.kind === 'count') out += formats.number(count ?? 0);
    else if (part.kind === 'value') out += styled(part.style, values[part.name], formats, html);
    else {
      const n = asNumber(values[part.name]);
      const branch = part.branches[`=${n}`] ?? part.branches[formats.plural(n)] ?? part.branches.other;
      out += formatParts(branch, values, formats, html, n);
    }
  }
  return out;
}
