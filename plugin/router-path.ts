import type { ResolvedConfig } from '../src/config/resolved-config.ts';

/**
 * A browser-facing URL of the router, from `baseUrl`'s path (as the gate and the emailed links
 * use), so all three agree even behind a proxy that strips a path prefix.
 */
export function routerPath(config: ResolvedConfig, path: string): string {
  return `${config.basePath}${path}`;
}
