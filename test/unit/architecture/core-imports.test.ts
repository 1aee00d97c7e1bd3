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

const IMPORT = /(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

describe('architecture', () => {
  const files = sources(join(root, 'src'));

  it('finds the core sources', () => {
    expect(files.length).toBeGreaterThan(20);
  });

  it.each(['express', 'passport', 'ejs', 'express-session'])('src/ never imports %s', (pkg) => {
    const offenders = files.filter((file) => [...readFileSync(file, 'utf8').matchAll(IMPORT)]
      .some((m) => { const spec = m[1] ?? m[2]; return spec === pkg || spec.startsWith(`${pkg}/`); }));
    expect(offenders.map((f) => relative(root, f))).toEqual([]);
  });

  it('src/ never imports from plugin/ or example-app/', () => {
    const offenders = files.filter((file) => [...readFileSync(file, 'utf8').matchAll(IMPORT)]
      .some((m) => /(^|\/)(plugin|example-app)\//.test(m[1] ?? m[2])));
    expect(offenders).toEqual([]);
  });
});
