/**
 * Access-log helpers: an emailed link carries its token in the query string
 * (`/verify/confirm?token=…`), and opening the link does not consume it, so a request log that
 * prints URLs would hold live credentials. Pure functions on strings and plain objects, for morgan,
 * pino-http or any logger.
 */

/** Query parameters whose values are secrets: verigate's link token and code (and OAuth-style `code`). */
export const SECRET_PARAMS: readonly string[] = ['token', 'code'];
const MASK = '[redacted]';
/** A value that itself holds a URL with a secret parameter, e.g. `returnTo=/verify/confirm?token=…`. */
const NESTED_SECRET = /(?:^|[?&;])(?:token|code)=/i;

function decode(part: string): string {
  try {
    return decodeURIComponent(part.replace(/\+/g, ' '));
  } catch {
    return part;
  }
}

function maskPair(pair: string, names: ReadonlySet<string>): string {
  const eq = pair.indexOf('=');
  if (eq < 0) return pair;
  const rawName = pair.slice(0, eq);
  // `&amp;token=` is what a link copied out of HTML looks like; `token[]=` what qs reads as an array.
  const name = decode(rawName).toLowerCase().replace(/^amp;/, '').replace(/\[.*$/, '');
  if (names.has(name) || NESTED_SECRET.test(decode(pair.slice(eq + 1)))) return `${rawName}=${MASK}`;
  return pair;
}

/**
 * `/verify/confirm?token=abc&x=1` → `/verify/confirm?token=[redacted]&x=1`. Works on a path with
 * query or a full URL, leaves everything else as it was (no normalising), also masks a parameter
 * whose value holds such a URL, and returns non-strings unchanged.
 */
export function maskUrlSecrets<T>(url: T, names: readonly string[] = SECRET_PARAMS): T {
  if (typeof url !== 'string') return url;
  const query = url.indexOf('?');
  if (query < 0) return url;
  const hash = url.indexOf('#', query);
  const end = hash < 0 ? url.length : hash;
  const set = new Set(names.map((n) => n.toLowerCase()));
  const masked = url.slice(query + 1, end).split('&').map((pair) => maskPair(pair, set)).join('&');
  return `${url.slice(0, query + 1)}${masked}${url.slice(end)}` as T;
}

interface RequestLike {
  originalUrl?: string;
  url?: string;
  headers?: Record<string, string | string[] | undefined>;
}

/** `morgan.token('url', morganUrl)`: morgan's own `:url`, masked. */
export function morganUrl(req: RequestLike): string {
  return maskUrlSecrets(req.originalUrl ?? req.url ?? '-');
}

/** `morgan.token('referrer', morganReferrer)`: the Referer of a page opened from a link is that link. */
export function morganReferrer(req: RequestLike): string | undefined {
  const referrer = req.headers?.referer ?? req.headers?.referrer;
  return maskUrlSecrets(Array.isArray(referrer) ? referrer[0] : referrer);
}

/** Headers that hold credentials of their own: masked whole. */
const SECRET_HEADERS = new Set(['cookie', 'authorization', 'proxy-authorization', 'x-csrf-token']);

function maskHeaders(headers: unknown): unknown {
  if (!headers || typeof headers !== 'object') return headers;
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    out[name] = SECRET_HEADERS.has(lower) ? MASK : lower === 'referer' || lower === 'referrer' ? maskUrlSecrets(value) : value;
  }
  return out;
}

function maskQuery(query: unknown): unknown {
  if (!query || typeof query !== 'object') return query;
  return Object.fromEntries(Object.entries(query).map(([name, value]) =>
    [name, SECRET_PARAMS.includes(name.toLowerCase()) || (typeof value === 'string' && NESTED_SECRET.test(value)) ? MASK : value]));
}

/**
 * pino-http: `pinoHttp({ serializers: { req: pinoRequestSerializer } })`. pino-http hands a custom
 * `req` serializer the standard serialized request (`{ id, method, url, query, params, headers, … }`);
 * this returns a copy with the secret parameters of `url`, `query` and the Referer masked, and
 * cookies and authorization headers dropped to `[redacted]`. Given a raw request (plain pino,
 * `logger.info({ req })`), it returns `{ method, url, headers }` masked the same way.
 */
export function pinoRequestSerializer(req: Record<string, unknown>): Record<string, unknown> {
  if (!req || typeof req !== 'object') return req;
  if ('socket' in req) {
    const raw = req as RequestLike & { method?: string };
    return { method: raw.method, url: maskUrlSecrets(raw.originalUrl ?? raw.url), headers: maskHeaders(raw.headers) };
  }
  return { ...req, url: maskUrlSecrets(req.url), ...('query' in req ? { query: maskQuery(req.query) } : {}), headers: maskHeaders(req.headers) };
}
