import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RequestHandler } from 'express';

export interface Stylesheet {
  /** `/assets/app.<hash>.css`: a new name whenever the file changes, so browsers may keep it for a year. */
  url: string;
  /** Serves it (any `app.*.css` name, so a page from an older deploy still gets styled). */
  handler: RequestHandler;
}

/**
 * The app's one stylesheet, as a file rather than a `<style>` block: the pages'
 * Content-Security-Policy then needs no 'unsafe-inline'. Read once at start-up.
 */
export function loadStylesheet(): Stylesheet {
  const body = readFileSync(join(import.meta.dirname, 'assets', 'app.css'));
  const hash = createHash('sha256').update(body).digest('hex').slice(0, 12);
  const url = `/assets/app.${hash}.css`;
  return {
    url,
    handler: (req, res) => {
      res.set({
        'Content-Type': 'text/css; charset=utf-8',
        'Cache-Control': req.path === url ? 'public, max-age=31536000, immutable' : 'public, max-age=300',
        'X-Content-Type-Options': 'nosniff',
      });
      res.send(body);
    },
  };
}
