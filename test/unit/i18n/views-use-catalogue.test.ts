import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { MESSAGE_KEYS } from '../../../src/i18n/catalogue.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));

function files(dir: string, suffix: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? files(path, suffix) : path.endsWith(suffix) ? [path] : [];
  });
}

const views = files(join(root, 'views'), '.ejs');
const EJS_TAG = /<%[\s\S]*?%>/g;
// Attributes a person reads; the rest (class, href, type, autocomplete…) are for machines.
const READABLE_ATTRIBUTES = /\s(?:title|placeholder|alt|aria-label|value|label)="([^"]*)"/g;

/**
 * What a person would read if the template were printed as it stands: text between tags and the
 * readable attributes, with every EJS tag (code and catalogue calls alike) removed. A word of two
 * letters or more left over is a string that bypassed the catalogue.
 */
function hardCodedWords(source: string, file: string): string[] {
  const withoutEjs = source.replace(EJS_TAG, ' ');
  if (file.endsWith('.text.ejs') || file.endsWith('.subject.ejs')) return withoutEjs.match(/\p{L}{2,}/gu) ?? [];
  const withoutStyles = withoutEjs.replace(/<style[\s\S]*?<\/style>/gi, ' ').replace(/<!doctype[^>]*>/i, ' ');
  const attributes = [...withoutStyles.matchAll(READABLE_ATTRIBUTES)].map((m) => m[1]);
  const text = withoutStyles.replace(/<[^>]*>/g, ' ');
  return [...attributes, text].join(' ').match(/\p{L}{2,}/gu) ?? [];
}

describe('views take their words from the catalogue', () => {
  it('finds the views', () => {
    expect(views.length).toBeGreaterThan(25);
  });

  it('no view holds a hard-coded word a person would read', () => {
    const offenders = views
      .map((file) => ({ file: relative(root, file), words: hardCodedWords(readFileSync(file, 'utf8'), file) }))
      .filter((found) => found.words.length > 0);
    expect(offenders).toEqual([]);
  });

  it('the heuristic itself catches text, readable attributes and plain-text mails', () => {
    expect(hardCodedWords('<p>Check your inbox</p>', 'x.ejs')).toEqual(['Check', 'your', 'inbox']);
    expect(hardCodedWords('<input placeholder="Your email">', 'x.ejs')).toEqual(['Your', 'email']);
    expect(hardCodedWords('<button><%- msg(\'a.b\') %></button> <%= appName %>', 'x.ejs')).toEqual([]);
    expect(hardCodedWords('Hello,\n<%- link %>', 'x.text.ejs')).toEqual(['Hello']);
    expect(hardCodedWords('<style>body { color: red }</style><a href="/x" class="button"></a>', 'x.ejs')).toEqual([]);
  });

  it('every message a view asks for exists', () => {
    const used = views.flatMap((file) => [...readFileSync(file, 'utf8').matchAll(/msg\(\s*'([^']+)'/g)].map((m) => m[1]));
    const conditional = views.flatMap((file) => [...readFileSync(file, 'utf8').matchAll(/\?\s*'([a-zA-Z]+\.[\w.]+)'\s*:\s*'([a-zA-Z]+\.[\w.]+)'/g)]
      .flatMap((m) => [m[1], m[2]]));
    expect(used.length).toBeGreaterThan(60);
    expect([...used, ...conditional].filter((key) => !(MESSAGE_KEYS as string[]).includes(key))).toEqual([]);
  });

  it('no handler or outcome table in plugin/ writes a title or message in English', () => {
    // The service API (plugin/service/) answers other services, not people: its messages are for the
    // developers who read its logs, in English like the log lines.
    const sources = files(join(root, 'plugin'), '.ts').filter((file) => !relative(join(root, 'plugin'), file).startsWith('service'));
    const offenders = sources.filter((file) => /\b(?:title|message):\s*['`"][A-Z][a-z]+ [a-z]/.test(readFileSync(file, 'utf8')));
    expect(offenders.map((file) => relative(root, file))).toEqual([]);
  });
});
