import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';

const root = fileURLToPath(new URL('../../../', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

// `import x from 'm'`, `export … from 'm'`, bare `import 'm'`, `import('m')` and `require('m')`.
const IMPORT = /(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|(?:^|[;\s])import\s*\(?\s*['"]([^'"]+)['"]|require\(\s*['"]([^'"]+)['"]\s*\)/gm;
const specifierOf = (m: RegExpMatchArray) => m[1] ?? m[2] ?? m[3];

describe('architecture', () => {
  const files = sources(join(root, 'src'));

  it('finds the core sources', () => {
    expect(files.length).toBeGreaterThan(20);
  });

  it.each(['express', 'passport', 'ejs', 'express-session'])('src/ never imports %s', (pkg) => {
    const offenders = files.filter((file) => [...readFileSync(file, 'utf8').matchAll(IMPORT)]
      .some((m) => { const spec = specifierOf(m); return spec === pkg || spec.startsWith(`${pkg}/`); }));
    expect(offenders.map((f) => relative(root, f))).toEqual([]);
  });

  it('src/ never imports from plugin/ or example-app/', () => {
    const offenders = files.filter((file) => [...readFileSync(file, 'utf8').matchAll(IMPORT)]
      .some((m) => /(^|\/)(plugin|example-app)\//.test(specifierOf(m))));
    expect(offenders).toEqual([]);
  });
});

describe('the import matcher itself', () => {
  it.each([
    [`import express from 'express';`, 'express'],
    [`import 'express';`, 'express'],
    [`import "express/lib/router";`, 'express/lib/router'],
    [`const m = await import('express');`, 'express'],
    [`export { Router } from 'express';`, 'express'],
    [`const e = require('express');`, 'express'],
    [`import type { Request } from 'express';`, 'express'],
  ])('finds the module in %s', (source, expected) => {
    const found = [...source.matchAll(IMPORT)].map(specifierOf);
    expect(found).toContain(expected);
  });
});
