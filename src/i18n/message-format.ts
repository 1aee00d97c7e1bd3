/**
 * A small ICU-like message syntax, enough for verigate's pages and mails:
 * - `{name}` a value; `{name, strong}` emphasised; `{name, link}` a clickable http(s) URL;
 * - `{name, number}`, `{name, date}`, `{name, datetime}` through `Intl` in the message's locale;
 * - `{name, duration}` a length of time in milliseconds ("24 hours", "7 Tage"), `{name, relative}`
 *   the same from now ("in 24 hours", "in 7 Tagen");
 * - `{name, plural, one {# try} other {# tries}}` (also `=0 {…}`), `#` being the formatted number.
 * Apostrophes are plain text (unlike ICU), so "don't" needs no quoting; braces are always syntax.
 */

export type Part =
  | string
  | { kind: 'value'; name: string; style: ValueStyle }
  | { kind: 'plural'; name: string; branches: Record<string, Part[]> }
  | { kind: 'count' };

export type ValueStyle = 'plain' | 'strong' | 'link' | 'number' | 'date' | 'datetime' | 'duration' | 'relative';

const STYLES: readonly ValueStyle[] = ['strong', 'link', 'number', 'date', 'datetime', 'duration', 'relative'];
const PLURAL_SELECTORS = /^(zero|one|two|few|many|other|=\d+)$/;

export class MessageSyntaxError extends Error {
  override readonly name = 'MessageSyntaxError';
}

/** Parses a message into parts, or throws `MessageSyntaxError` saying where and what is wrong. */
export function parseMessage(source: string): Part[] {
  let pos = 0;
  const fail = (what: string): never => {
    throw new MessageSyntaxError(`${what} at character ${pos + 1} of ${JSON.stringify(source)}`);
  };
  const skipSpace = () => {
    while (pos < source.length && /\s/.test(source[pos])) pos++;
  };
  const word = (pattern: RegExp): string => {
    skipSpace();
    const match = pattern.exec(source.slice(pos));
    if (!match) fail('expected a name');
    pos += match![0].length;
    skipSpace();
    return match![0];
  };

  function parts(inPlural: boolean, closing: boolean): Part[] {
    const out: Part[] = [];
    let text = '';
    const flush = () => {
      if (text) out.push(text);
      text = '';
    };
    while (pos < source.length) {
      const ch = source[pos];
      if (ch === '}') {
        if (!closing) fail('unmatched }');
        flush();
        return out;
      }
      if (ch === '#' && inPlural) {
        flush();
        out.push({ kind: 'count' });
        pos++;
        continue;
      }
      if (ch !== '{') {
        text += ch;
        pos++;
        continue;
      }
      flush();
      pos++;
      out.push(placeholder());
    }
    if (closing) fail('missing }');
    flush();
    return out;
  }

  function placeholder(): Part {
    const name = word(/^[A-Za-z_][A-Za-z0-9_]*/);
    if (source[pos] === '}') {
      pos++;
      return { kind: 'value', name, style: 'plain' };
    }
    if (source[pos] !== ',') fail('expected , or }');
    pos++;
    const style = word(/^[a-z]+/);
    if (style === 'plural') return plural(name);
    if (!STYLES.includes(style as ValueStyle)) fail(`unknown format "${style}" (known: ${[...STYLES, 'plural'].join(', ')})`);
    if (source[pos] !== '}') fail('expected }');
    pos++;
    return { kind: 'value', name, style: style as ValueStyle };
  }

  function plural(name: string): Part {
    if (source[pos] !== ',') fail('expected , after plural');
    pos++;
    const branches: Record<string, Part[]> = {};
    skipSpace();
    while (source[pos] !== '}') {
      if (pos >= source.length) fail('missing }');
      const selector = word(/^(=\d+|[a-z]+)/);
      if (!PLURAL_SELECTORS.test(selector)) fail(`unknown plural category "${selector}"`);
      if (source[pos] !== '{') fail('expected {');
      pos++;
      branches[selector] = parts(true, true);
      pos++;
      skipSpace();
    }
    pos++;
    if (!branches.other) fail('a plural needs an "other" branch');
    return { kind: 'plural', name, branches };
  }

  return parts(false, false);
}

/** Every value name a message reads, e.g. `['email', 'appName']`. */
export function valueNames(message: readonly Part[]): Set<string> {
  const names = new Set<string>();
  const visit = (list: readonly Part[]) => {
    for (const part of list) {
      if (typeof part === 'string' || part.kind === 'count') continue;
      names.add(part.name);
      if (part.kind === 'plural') Object.values(part.branches).forEach(visit);
    }
  };
  visit(message);
  return names;
}
