import type { Request } from 'express';

/** What verigate keeps in the host's session, under one key so it never collides with the host's data. */
export interface VerigateSessionBag {
  /** A verified (stored user id, email as getUser returned it) pair: lets the gate skip the database on the hot path. */
  verified?: { userId: string; email: string };
  /** Synchronizer token for session-bound POSTs (when the host has no CSRF middleware of its own). */
  csrf?: string;
  /** Where the user was going when the gate stopped them. */
  returnTo?: string;
  /** The user (stored id) this session is indexed for, so it is indexed once, not on every request. */
  indexedFor?: string;
  /** One-time notice for the next page (shown once, then dropped). */
  flash?: 'sent' | 'change-sent' | 'anonymous-sent';
}

const KEY = 'verigate';

interface WithSession {
  session?: Record<string, unknown>;
}

/** The bag, or `undefined` when the host mounted no session middleware. Creates it when `create` is set. */
export function sessionBag(req: Request, create = false): VerigateSessionBag | undefined {
  const session = (req as unknown as WithSession).session;
  if (!session) return undefined;
  if (!session[KEY] && create) session[KEY] = {};
  return session[KEY] as VerigateSessionBag | undefined;
}

export function requireSessionBag(req: Request): VerigateSessionBag {
  const bag = sessionBag(req, true);
  if (!bag) {
    throw new Error('verigate: req.session is missing. Mount express-session (or another session middleware) before the verigate router.');
  }
  return bag;
}

/** Reads and clears the one-time notice. */
export function takeFlash(req: Request): VerigateSessionBag['flash'] {
  const bag = sessionBag(req);
  const flash = bag?.flash;
  if (bag && flash) delete bag.flash;
  return flash;
}
