import { join } from 'node:path';
import ejs from 'ejs';
import type { Request, Response } from 'express';
import type { SessionUser } from './user-entity.ts';

export const VIEWS_DIR = join(import.meta.dirname, 'views');

/** Locals every page of the app's own chrome can rely on. */
export interface PageContext {
  appName: string;
  devMailbox: boolean;
  /** URL of the app's stylesheet (see stylesheet.ts). */
  appStylesheet: string;
}

export type RenderPage = (req: Request, res: Response, view: string, locals: Record<string, unknown>, status?: number) => Promise<void>;

// Pages carry no scripts and no inline style, and load nothing from elsewhere; the policy makes that a guarantee.
const PAGE_HEADERS = {
  'Content-Security-Policy': "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'same-origin',
  'Cache-Control': 'no-store',
};

/**
 * The signed-in user as app.ts put it in `res.locals` (the same value verigate's pages see).
 * `null` also when that middleware never ran, e.g. an error page for a body that failed to parse.
 */
function viewUser(res: Response): SessionUser | null {
  const user = res.locals.user as SessionUser | null | undefined;
  return user ?? null;
}

export function createPageRenderer(context: PageContext, options: { cache: boolean }): RenderPage {
  return async (_req, res, view, locals, status = 200) => {
    const html = await ejs.renderFile(join(VIEWS_DIR, `${view}.ejs`), { ...context, user: viewUser(res), ...locals }, { cache: options.cache, async: false });
    res.set(PAGE_HEADERS).status(status).type('html').send(html);
  };
}

/** JSON for clients that ask for it; browsers and clients that say nothing get HTML. */
export function wantsJson(req: Request): boolean {
  return req.accepts(['html', 'json']) === 'json';
}
