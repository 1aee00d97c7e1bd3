import type { RawRequest } from './raw-http.ts';

/**
 * A table-driven corpus of malformed requests, generated from a description of each route: the
 * fields it reads and values that make a normal request of it. Each case names its category so a
 * test can count them and report failures by kind.
 */
export type Category = 'types' | 'repeated' | 'long' | 'encoding' | 'content-type' | 'methods' | 'paths';

export interface BadCase {
  category: Category;
  label: string;
  request: RawRequest;
}

export interface RouteSpec {
  method: 'GET' | 'POST';
  path: string;
  /** Query fields and their normal values. */
  query?: Record<string, string>;
  /** Body fields and their normal values (sent as a form, or JSON). */
  body?: Record<string, string>;
  /** Body fields the corpus may corrupt; default every body field. */
  corrupt?: string[];
  /** Cookie and the like: the browser this request comes from. */
  headers?: Record<string, string>;
}

const enc = encodeURIComponent;
const formOf = (fields: Record<string, string>) => Object.entries(fields).map(([k, v]) => `${enc(k)}=${enc(v)}`).join('&');
const withQuery = (path: string, query: string) => (query ? `${path}?${query}` : path);

/** Values of the wrong JSON type for a string field. */
const WRONG_TYPES: [string, unknown][] = [
  ['array', ['a', 'b']], ['empty array', []], ['object', { x: 'y' }], ['empty object', {}], ['nested', [[{ a: [1] }]]],
  ['number', 42], ['float', 1e308], ['boolean', true], ['null', null], ['object with toString', { toString: 'x', valueOf: 'y', length: 3 }],
  ['__proto__ object', JSON.parse('{"__proto__":{"admin":true}}')],
  ['empty string', ''], ['only spaces', '  \t  '],
];

/** Query-string spellings that qs (Express 4, or `query parser: extended`) turns into arrays and objects. */
const QUERY_SHAPES: [string, (field: string) => string][] = [
  ['f[]', (f) => `${enc(f)}%5B%5D=a`],
  ['f[]=a&f[]=b', (f) => `${enc(f)}[]=a&${enc(f)}[]=b`],
  ['f[x]', (f) => `${enc(f)}[x]=y`],
  ['f[0][1]', (f) => `${enc(f)}[0][1]=y`],
  ['f[__proto__]', (f) => `${enc(f)}[__proto__]=y`],
  ['f[toString]', (f) => `${enc(f)}[toString]=y`],
  ['f[length]', (f) => `${enc(f)}[length]=1000000000`],
  ['f=', (f) => `${enc(f)}=`],
  ['f alone', (f) => enc(f)],
];

const LONG = [10_000, 15_000];
const TOO_LONG = [100_000, 2_000_000];
const QUERY_LONG = [8_000, 15_000, 70_000];

/** Invalid UTF-8 bytes and broken escapes, as they appear on the wire. */
const BAD_ESCAPES = ['%FF%FE', '%E0%A4%A', '%C0%AF', '%ED%A0%80', '%', '%zz', '%%', '%00', '%0d%0aSet-Cookie:%20x=y', '%u0041', '%F0%9F%98'];

function jsonWith(base: Record<string, string>, field: string, value: unknown): string {
  return JSON.stringify({ ...base, [field]: value });
}

function fieldsOf(route: RouteSpec): string[] {
  return route.corrupt ?? Object.keys(route.body ?? {});
}

/** Every case for one route, except `paths` (see `pathVariants`). */
export function corpusFor(route: RouteSpec): BadCase[] {
  const cases: BadCase[] = [];
  const h = route.headers ?? {};
  const base = route.body ?? {};
  const baseQuery = formOf(route.query ?? {});
  const add = (category: Category, label: string, request: Omit<RawRequest, 'headers'> & { headers?: Record<string, string> }) =>
    cases.push({ category, label: `${route.method} ${route.path} ${label}`, request: { ...request, headers: { ...h, ...request.headers } } });
  const json = { 'Content-Type': 'application/json' };
  const form = { 'Content-Type': 'application/x-www-form-urlencoded' };
  const path = withQuery(route.path, baseQuery);

  // Query fields: every route reads some (token, returnTo, status…), GET and POST alike.
  for (const field of Object.keys(route.query ?? {})) {
    const others = formOf(Object.fromEntries(Object.entries(route.query ?? {}).filter(([k]) => k !== field)));
    const q = (part: string) => [others, part].filter(Boolean).join('&');
    for (const [name, make] of QUERY_SHAPES) add('types', `query ${field} as ${name}`, { method: route.method, path: withQuery(route.path, q(make(field))) });
    add('repeated', `query ${field} twice`, { method: route.method, path: withQuery(route.path, q(`${enc(field)}=a&${enc(field)}=${enc(route.query![field])}`)) });
    add('repeated', `query ${field} 1000 times`, { method: route.method, path: withQuery(route.path, q(Array.from({ length: 1000 }, () => `${enc(field)}=a`).join('&'))) });
    for (const n of QUERY_LONG) add('long', `query ${field} of ${n} characters`, { method: route.method, path: withQuery(route.path, q(`${enc(field)}=${'a'.repeat(n)}`)) });
    for (const bad of BAD_ESCAPES) add('encoding', `query ${field}=${bad}`, { method: route.method, path: withQuery(route.path, q(`${enc(field)}=${bad}`)) });
    add('encoding', `query key with bad escape`, { method: route.method, path: withQuery(route.path, q(`${enc(field)}%FF=x&%E0%A4%A=y`)) });
  }
  add('repeated', 'query of 5000 unrelated keys', { method: route.method, path: withQuery(route.path, [baseQuery, ...Array.from({ length: 5000 }, (_, i) => `k${i}=v`)].filter(Boolean).join('&')) });

  if (route.method !== 'POST') return cases;

  for (const field of fieldsOf(route)) {
    for (const [name, value] of WRONG_TYPES) add('types', `JSON ${field} as ${name}`, { method: 'POST', path, headers: json, body: jsonWith(base, field, value) });
    add('types', `form ${field}[] (flat key)`, { method: 'POST', path, headers: form, body: `${formOf(base)}&${enc(field)}[]=a&${enc(field)}[x]=b` });
    add('repeated', `form ${field} twice`, { method: 'POST', path, headers: form, body: `${formOf(base)}&${enc(field)}=a` });
    add('repeated', `form ${field} twice, same value`, { method: 'POST', path, headers: form, body: `${formOf(base)}&${enc(field)}=${enc(base[field] ?? '')}` });
    add('repeated', `JSON ${field} twice (last wins)`, { method: 'POST', path, headers: json, body: `${JSON.stringify(base).slice(0, -1)}${Object.keys(base).length ? ',' : ''}"${field}":"a"}` });
    for (const n of LONG) add('long', `JSON ${field} of ${n} characters`, { method: 'POST', path, headers: json, body: jsonWith(base, field, 'a'.repeat(n)) });
    for (const n of TOO_LONG) add('long', `form ${field} of ${n} characters`, { method: 'POST', path, headers: form, body: formOf({ ...base, [field]: 'a'.repeat(n) }) });
    add('long', `JSON ${field} of 5000 emoji`, { method: 'POST', path, headers: json, body: jsonWith(base, field, '\u{1F600}'.repeat(3000)) });
    const without = formOf(Object.fromEntries(Object.entries(base).filter(([k]) => k !== field)));
    for (const bad of BAD_ESCAPES) add('encoding', `form ${field}=${bad}`, { method: 'POST', path, headers: form, body: [without, `${enc(field)}=${bad}`].filter(Boolean).join('&') });
    add('encoding', `JSON ${field} with invalid UTF-8 bytes`, {
      method: 'POST', path, headers: json,
      body: Buffer.concat([Buffer.from(`${JSON.stringify(base).slice(0, -1)}${Object.keys(base).length ? ',' : ''}"${field}":"a`), Buffer.from([0xff, 0xfe, 0xc0, 0xaf]), Buffer.from('"}')]),
    });
    add('encoding', `JSON ${field} with a lone surrogate`, { method: 'POST', path, headers: json, body: `${JSON.stringify(base).slice(0, -1)}${Object.keys(base).length ? ',' : ''}"${field}":"\\ud800x"}` });
    add('encoding', `JSON ${field} with NUL and controls`, { method: 'POST', path, headers: json, body: jsonWith(base, field, 'a\u0000\r\n\u202e\u200b') });
  }

  const formBody = formOf(base);
  const jsonBody = JSON.stringify(base);
  const types: [string, Record<string, string>, string | Buffer][] = [
    ['no content type', {}, formBody],
    ['text/plain', { 'Content-Type': 'text/plain' }, formBody],
    ['application/xml', { 'Content-Type': 'application/xml' }, '<token>x</token>'],
    ['multipart/form-data', { 'Content-Type': 'multipart/form-data; boundary=x' }, `--x\r\nContent-Disposition: form-data; name="token"\r\n\r\nx\r\n--x--\r\n`],
    ['JSON type, form body', json, formBody || 'a=b'],
    ['form type, JSON body', form, jsonBody],
    ['truncated JSON', json, '{"token":'],
    ['JSON string', json, '"token"'],
    ['JSON number', json, '12'],
    ['JSON null', json, 'null'],
    ['JSON array', json, JSON.stringify([base])],
    ['JSON nesting 5000 deep', json, `${'['.repeat(5000)}${']'.repeat(5000)}`],
    ['JSON in UTF-16', { 'Content-Type': 'application/json; charset=utf-16' }, jsonBody],
    ['form in an unknown charset', { 'Content-Type': 'application/x-www-form-urlencoded; charset=x-unknown' }, formBody],
    ['gzip that is not gzip', { ...json, 'Content-Encoding': 'gzip' }, jsonBody],
    ['an unknown content encoding', { ...json, 'Content-Encoding': 'x-unknown' }, jsonBody],
    ['content type with garbage parameters', { 'Content-Type': 'application/json; ;;=; charset' }, jsonBody],
    ['malformed content type', { 'Content-Type': '/' }, jsonBody],
    ['empty body as JSON', json, ''],
    ['empty body as a form', form, ''],
  ];
  for (const [label, headers, body] of types) add('content-type', label, { method: 'POST', path, headers, body });
  return cases;
}

/** Every method but the route's own, on its path. */
export function methodCases(route: RouteSpec): BadCase[] {
  const path = withQuery(route.path, formOf(route.query ?? {}));
  return ['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'PATCH', 'POST', 'TRACE']
    .filter((method) => method !== route.method)
    .map((method) => ({ category: 'methods' as const, label: `${method} ${route.path}`, request: { method, path, headers: { ...route.headers }, ...(['PUT', 'PATCH', 'POST'].includes(method) ? { body: formOf(route.body ?? {}) } : {}) } }));
}

/** Spellings of one path a router might or might not treat as the same route. */
export function pathVariants(path: string, headers: Record<string, string> = {}): BadCase[] {
  const [, first, ...rest] = path.split('/');
  const tail = rest.length ? `/${rest.join('/')}` : '';
  const variants = [
    path.toUpperCase(), path.replace(/^\/(\w)/, (_, c: string) => `/${c.toUpperCase()}`), `${path}/`, `${path}//`, `/${path}`, `/${first}//${rest.join('/')}`,
    `/.${path}`, `/./${path.slice(1)}`, `/x/..${path}`, `${path}/.`, `${path}/..${path}`, `/%2e${path}`, `/%2e%2e${path}`,
    `/%${first.charCodeAt(0).toString(16)}${path.slice(2)}`, `${path}%2F`, `${path}%20`, `${path}%00`, `${path}%FF`, `${path}%`, `${path};x=1`,
    `${path}.json`, `${path}?`, `${path}?#`, `${path}\\`, `/${first}%2F${rest.join('/')}`, `/${first}%5C${tail.slice(1)}`, `${path}/%2e%2e/`, `${path}%E0%A4%A`,
    `${path}\u00e9`.normalize(), `/${encodeURIComponent(path.slice(1))}`,
  ];
  return [...new Set(variants)].filter((v) => v !== path)
    .map((variant) => ({ category: 'paths' as const, label: `GET ${variant}`, request: { method: 'GET', path: variant.replace(/[^\x21-\x7e]/g, (c) => encodeURIComponent(c)), headers } }));
}
