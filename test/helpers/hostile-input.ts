/**
 * Inputs that try to turn a request into template options or prototype properties, and the
 * checks that prove they did nothing. Shared by verigate's and the example app's tests.
 */

/** Each known EJS option-injection payload, as the nested object a JSON body or qs would make. */
export const EJS_OPTION_PAYLOADS: { name: string; options: Record<string, unknown> }[] = [
  { name: 'outputFunctionName', options: { outputFunctionName: "x;globalThis.__verigatePwned='outputFunctionName';s" } },
  { name: 'escapeFunction with client', options: { client: 'true', escapeFunction: "1;globalThis.__verigatePwned='escapeFunction';return ''" } },
  { name: 'localsName and destructuredLocals', options: { localsName: "x=(globalThis.__verigatePwned='localsName')", destructuredLocals: ["x=(globalThis.__verigatePwned='destructuredLocals')"] } },
  { name: 'delimiter, strict and _with', options: { delimiter: '$', openDelimiter: '{', closeDelimiter: '}', strict: 'true', _with: 'false' } },
  { name: 'debug and compileDebug', options: { debug: 'true', compileDebug: 'true', rmWhitespace: 'true' } },
];

/**
 * One payload in the three shapes a request can carry it: flat form fields `settings[view options][…]`
 * (plus Express's own `settings[views]`), a query string (qs nests it on Express 4), and JSON text
 * with an own `"__proto__"` key (which JSON.parse keeps as data, and a careless merge would not).
 */
export function ejsPayload(options: Record<string, unknown>): { flat: Record<string, string | string[]>; json: string; query: string } {
  const flat: Record<string, string | string[]> = { 'settings[views]': '/', 'settings[view cache]': 'true' };
  for (const [key, value] of Object.entries(options)) flat[`settings[view options][${key}]`] = value as string | string[];
  const settings = JSON.stringify({ settings: { views: '/', 'view cache': true, 'view options': options } });
  const json = `${settings.slice(0, -1)},"__proto__":{"outputFunctionName":"x;globalThis.__verigatePwned='__proto__';s","client":true}}`;
  const query = Object.entries(flat)
    .flatMap(([key, value]) => [value].flat().map((v) => `${encodeURIComponent(key)}=${encodeURIComponent(v)}`))
    .concat([`__proto__[outputFunctionName]=${encodeURIComponent("x;globalThis.__verigatePwned='qs-proto';s")}`, 'constructor[prototype][client]=true'])
    .join('&');
  return { flat, json, query };
}

/** Throws if any payload ran, or polluted a prototype EJS reads its options from. */
export function assertNothingRan(): void {
  const marker = (globalThis as { __verigatePwned?: unknown }).__verigatePwned;
  if (marker !== undefined) throw new Error(`injected code ran: ${String(marker)}`);
  for (const key of ['outputFunctionName', 'client', 'escapeFunction', 'localsName', 'destructuredLocals', 'settings']) {
    if (key in Object.prototype) throw new Error(`Object.prototype.${key} was polluted`);
  }
}

/** What must never reach a client: a stack frame, an error class name or a file of ours. */
export const LEAK_PATTERN = /\bat \S+ \(|\bat (?:async )?[\w.<>]+ \(?[\w/.:-]+:\d+|(?:Type|Reference|Syntax|Range)Error\b|node_modules|\/work\/|\.ts:\d+|DriverException|stack/i;

/** The text of the page's first `<h1>`, to compare a page with its baseline. */
export function headingOf(html: string): string | undefined {
  return /<h1[^>]*>([\s\S]*?)<\/h1>/.exec(html)?.[1].trim();
}
