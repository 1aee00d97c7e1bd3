import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ejs from 'ejs';

/** verigate's own views: `views/` at the package root, from the sources or from `dist/`. */
function builtinViewsDir(): string {
  for (const relative of ['../views', '../../views']) {
    const dir = fileURLToPath(new URL(relative, import.meta.url));
    if (existsSync(join(dir, 'verify-pending.ejs'))) return dir;
  }
  throw new Error('verigate: cannot find its views folder; the package looks incomplete (reinstall it).');
}

/** A file of verigate's own `views/assets/` (scripts its pages load from the router, never inline). */
export function assetPath(name: string): string {
  return join(builtinViewsDir(), 'assets', name);
}

export interface ViewRenderer {
  /** Renders `name` (e.g. `'verify-pending'`), wrapped in the layout unless `layout: false`. */
  page(name: string, locals: Record<string, unknown>): Promise<string>;
  /** Renders without layout (emails, partials). */
  fragment(name: string, locals: Record<string, unknown>): Promise<string>;
}

/**
 * Looks each view up in the host's folders first, then verigate's, so a host overrides one page
 * by dropping a file of the same name into its folder. Lookups are cached per name.
 */
export function createViewRenderer(options: { hostDirs: readonly string[]; layout: string | false; cache: boolean }): ViewRenderer {
  const dirs = [...options.hostDirs, builtinViewsDir()];
  const resolved = new Map<string, string>();

  function locate(name: string): string {
    const hit = options.cache ? resolved.get(name) : undefined;
    if (hit) return hit;
    for (const dir of dirs) {
      const file = join(dir, `${name}.ejs`);
      if (existsSync(file)) {
        if (options.cache) resolved.set(name, file);
        return file;
      }
    }
    throw new Error(`verigate: view "${name}" not found in ${dirs.join(', ')}`);
  }

  async function fragment(name: string, locals: Record<string, unknown>): Promise<string> {
    return ejs.renderFile(locate(name), locals, { views: dirs, cache: options.cache, async: false });
  }

  return {
    fragment,
    async page(name, locals) {
      const body = await fragment(name, locals);
      if (options.layout === false) return body;
      return fragment(options.layout, { ...locals, body });
    },
  };
}
