import type { Request } from 'express';

/** JSON only when the client asks for it; browsers (and clients that say nothing) get HTML. */
export function wantsJson(req: Request): boolean {
  return req.accepts(['html', 'json']) === 'json';
}
