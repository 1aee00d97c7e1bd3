import type { Request } from 'express';
import { normaliseUserId, type UserId } from '../../src/users/user-id.ts';
import type { HandlerDeps } from './deps.ts';

/** The stored form of the id, and whether this browser is signed in as that user. */
function whose(req: Request, deps: HandlerDeps, userId: UserId): { key: string; mine: boolean } | null {
  const id = normaliseUserId(userId);
  if (!id.ok) return null;
  const current = deps.web.getUser(req);
  return { key: id.key, mine: current !== null && current !== 'invalid' && current.key === id.key };
}

/**
 * After an address is proven (a verification or a confirmed change): sessions that existed before
 * it, such as an attacker's who signed up with someone else's address first, end; the browser
 * that proved it, if signed in as that user, keeps its data under a new session id.
 */
export async function afterAddressProven(req: Request, deps: HandlerDeps, userId: UserId, taken?: readonly string[]): Promise<void> {
  const owner = whose(req, deps, userId);
  if (!owner) return;
  if (owner.mine) await deps.sessions.rotate(req, owner.key);
  await deps.sessions.endSessions(owner.key, owner.mine ? (req as unknown as { sessionID?: string }).sessionID : undefined, req, taken);
}

/** After an undo: whoever changed the address may be signed in anywhere, so every session of the user ends, this one too. */
export async function afterChangeUndone(req: Request, deps: HandlerDeps, userId: UserId): Promise<void> {
  const owner = whose(req, deps, userId);
  if (!owner) return;
  await deps.sessions.endSessions(owner.key, undefined, req);
  if (owner.mine) await deps.sessions.destroyCurrent(req);
}
