/** Longer headers are cut here and at most this many ranges are read: the header is the client's to make huge. */
const MAX_HEADER = 1000;
const MAX_RANGES = 32;
const RANGE = /^(?:\*|[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*)$/;
const QVALUE = /^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/;

export interface LanguageRange {
  /** Lower-cased, e.g. `de-at`, or `*`. */
  range: string;
  q: number;
}

/**
 * `Accept-Language` as ranges, best first (RFC 9110 §12.5.4): weights from `q` (default 1),
 * equal weights in the order given, malformed entries skipped. Ranges with `q=0` are kept, so a
 * caller can honour "not this one".
 */
export function parseAcceptLanguage(header: unknown): LanguageRange[] {
  if (typeof header !== 'string') return [];
  const ranges: Array<LanguageRange & { index: number }> = [];
  for (const [index, entry] of header.slice(0, MAX_HEADER).split(',').slice(0, MAX_RANGES).entries()) {
    const [rawRange, ...params] = entry.split(';').map((s) => s.trim());
    if (!rawRange || !RANGE.test(rawRange)) continue;
    let q = 1;
    let valid = true;
    for (const param of params) {
      const [name, value] = param.split('=').map((s) => s.trim());
      if (name.toLowerCase() !== 'q') continue;
      if (!value || !QVALUE.test(value)) valid = false;
      else q = Number(value);
    }
    if (valid) ranges.push({ range: rawRange.toLowerCase(), q, index });
  }
  return ranges.sort((a, b) => b.q - a.q || a.index - b.index).map(({ range, q }) => ({ range, q }));
}

/**
 * The available locale that best serves one range (RFC 4647 lookup): the range itself, then
 * shorter prefixes (`de-AT-1996` → `de-AT` → `de`), then any regional form of a bare language
 * (`de` → `de-CH` when only that is offered). `available` holds canonical tags; the answer is one of them.
 */
export function matchLocale(range: string, available: readonly string[]): string | undefined {
  const lower = available.map((tag) => tag.toLowerCase());
  const parts = range.toLowerCase().split('-');
  for (let n = parts.length; n > 0; n--) {
    const candidate = parts.slice(0, n).join('-');
    const exact = lower.indexOf(candidate);
    if (exact >= 0) return available[exact];
  }
  const regional = lower.findIndex((tag) => tag.startsWith(`${parts[0]}-`));
  return regional >= 0 ? available[regional] : undefined;
}

/**
 * The best available locale for an `Accept-Language` header, or `undefined` when none fits
 * (the caller then uses its default). `*` stands for the default, unless that was refused with `q=0`.
 */
export function negotiateLocale(header: unknown, available: readonly string[], fallback: string): string | undefined {
  const ranges = parseAcceptLanguage(header);
  // `de;q=0` means "no German", so `de-AT` must not reach `de` through a shorter prefix either.
  const refused = new Set(ranges.filter((r) => r.q === 0).map((r) => r.range));
  for (const { range, q } of ranges) {
    if (q === 0) continue;
    const match = range === '*' ? fallback : matchLocale(range, available);
    if (match && !refused.has(match.toLowerCase())) return match;
  }
  return undefined;
}
