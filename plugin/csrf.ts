import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';
import { requireSessionBag } from './session-bag.ts';

/** The session's synchronizer token, created on first use. Embedded in forms as `_csrf`. */
export function csrfToken(req: Request): string {
  const bag = requireSessionBag(req);
  bag.csrf ??= randomBytes(32).toString('base64url');
  return bag.csrf;
}

/** Accepts the token from the `_csrf` body field or the `X-CSRF-Token` header (for fetch/JSON clients). */
export function isValidCsrf(req: Request): boolean {
  const expected = requireSessionBag(req).csrf;
  const body = req.body as Record<string, unknown> | undefined;
  const given = (typeof body?._csrf === 'string' ? body._csrf : undefined) ?? req.get('x-csrf-token');
  if (!expected || typeof given !== 'string') return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}
