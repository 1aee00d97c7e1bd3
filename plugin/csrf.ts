import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request, Response } from 'express';
import type { Logger } from '../src/ports/logger.ts';
import { requireSessionBag } from './session-bag.ts';
import type { CsrfOption } from './web-options.ts';

/** What a form embeds: a hidden field `name` holding `value`. */
export interface FormToken {
  field: string;
  value: string;
}

export interface CsrfGuard {
  /** The token this request's forms must carry, from whichever side protects them. */
  formToken(req: Request, res: Response): FormToken;
  /**
   * For forms protected by their own secret (a link's token): only the host's token, when the host
   * protects this request, so its middleware lets the POST through. No session is created.
   */
  hostFormToken(req: Request, res: Response): FormToken | null;
  /** Whether a session-bound POST may proceed. */
  accepts(req: Request): boolean;
}

const OWN_FIELD = '_csrf';

interface WithHostCsrf {
  csrfToken?: () => string;
}

function hostTokenFunction(req: Request): (() => string) | undefined {
  const fn = (req as unknown as WithHostCsrf).csrfToken;
  return typeof fn === 'function' ? fn.bind(req) : undefined;
}

function ownToken(req: Request): string {
  const bag = requireSessionBag(req);
  bag.csrf ??= randomBytes(32).toString('base64url');
  return bag.csrf;
}

/** Accepts verigate's own token from the form field (`_csrf` unless the host named its own) or the `X-CSRF-Token` header (fetch/JSON clients). */
function ownTokenMatches(req: Request, field: string): boolean {
  const expected = requireSessionBag(req).csrf;
  const body = req.body as Record<string, unknown> | undefined;
  const given = (typeof body?.[field] === 'string' ? body[field] : undefined) ?? req.get('x-csrf-token');
  if (!expected || typeof given !== 'string') return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Browsers say where a request came from; a page cannot forge these headers. Refused: any Fetch
 * Metadata value but `same-origin` and `none` (cross-site, same-site from a sibling subdomain, and
 * values no browser sends, such as a repeated header), or an Origin other than the app's.
 * `Origin: null` is what browsers send from verigate's own pages (they are `no-referrer`), so it
 * passes only when Fetch Metadata vouches `same-origin`. Clients sending neither (curl, old
 * browsers) pass: the token still has to match.
 */
export function isSameOriginRequest(req: Request, appOrigin: string): boolean {
  const site = req.get('sec-fetch-site');
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return false;
  const origin = req.get('origin');
  if (origin === undefined) return true;
  if (origin === 'null') return site === 'same-origin';
  return origin === appOrigin;
}

/**
 * Defers to the host's CSRF middleware where one protects the request, else uses verigate's own
 * synchronizer token. Mount order does not matter: a host middleware mounted before the router
 * has already checked the POST (and exposes `req.csrfToken`); one mounted after never sees
 * verigate's routes, and verigate's own token applies.
 */
export function createCsrfGuard(option: CsrfOption, appOrigin: string, logger: Logger): CsrfGuard {
  // `{ field }` is 'auto' with the host's field name; `{ token, field }` hands the whole token to the host.
  const custom = typeof option === 'object' && option.token ? option.token : undefined;
  const mode = typeof option === 'object' ? (custom ? 'custom' : 'auto') : option;
  const field = (typeof option === 'object' ? option.field : undefined) ?? OWN_FIELD;
  let warned = false;
  const hostMissing = (req: Request) => {
    if (!warned) {
      warned = true;
      logger.error(`csrf: 'host' is set but req.csrfToken() is missing on ${req.method} ${req.path}. Mount your CSRF middleware before verigate's router, or use csrf: 'auto'.`);
    }
  };

  return {
    formToken(req, res) {
      if (custom) return { field, value: custom(req, res) };
      const host = mode === 'own' ? undefined : hostTokenFunction(req);
      if (host) return { field, value: host() };
      if (mode === 'host') hostMissing(req);
      return { field, value: ownToken(req) };
    },
    hostFormToken(req, res) {
      if (custom) return { field, value: custom(req, res) };
      const host = mode === 'own' ? undefined : hostTokenFunction(req);
      return host ? { field, value: host() } : null;
    },
    accepts(req) {
      if (!isSameOriginRequest(req, appOrigin)) return false;
      // A host middleware that exposes req.csrfToken on this request has already refused a bad token.
      if (custom) return true;
      if (mode !== 'own' && hostTokenFunction(req)) return true;
      if (mode === 'host') {
        hostMissing(req);
        return false;
      }
      return ownTokenMatches(req, field);
    },
  };
}
