import type { Request } from 'express';
import type { SessionIndex } from '../src/sessions/session-index.ts';
import { describeError } from '../src/logging/redact.ts';
import type { Logger } from '../src/ports/logger.ts';
import { sessionBag } from './session-bag.ts';

/** The part of an express-session store verigate uses to end sessions: every store has it. */
export interface SessionStoreLike {
  destroy(sid: string, callback?: (error?: unknown) => void): void;
}

interface SessionRequest {
  sessionID?: string;
  sessionStore?: SessionStoreLike;
  session?: Record<string, unknown> & {
    regenerate(callback: (error?: unknown) => void): void;
    save(callback: (error?: unknown) => void): void;
    destroy(callback: (error?: unknown) => void): void;
  };
}

const call = (fn: (cb: (error?: unknown) => void) => void) =>
  new Promise<void>((resolve, reject) => fn((error) => (error ? reject(error) : resolve())));

/**
 * Ends sessions through whatever express-session store the host uses. Session ids are indexed per
 * user the first time verigate sees a signed-in session (one write per session, then a string
 * comparison), so the gate's hot path stays free of round trips.
 */
export function createSessionControl(index: SessionIndex, logger: Logger, explicitStore?: SessionStoreLike) {
  let seenStore: SessionStoreLike | undefined = explicitStore;

  function storeOf(req?: Request): SessionStoreLike | undefined {
    const store = (req as unknown as SessionRequest | undefined)?.sessionStore;
    if (store && !seenStore) seenStore = store;
    return store ?? seenStore;
  }

  async function track(req: Request, userKey: string): Promise<void> {
    const r = req as unknown as SessionRequest;
    const bag = sessionBag(req, true);
    if (!bag || !r.sessionID || bag.indexedFor === userKey) return;
    storeOf(req);
    await index.add(userKey, r.sessionID);
    bag.indexedFor = userKey;
  }

  /**
   * Destroys the user's indexed sessions except `keep`; returns how many were ended. `taken`: the
   * sealed ids a consuming statement already took out of the index (see `index.inStatement`), so
   * the index is neither read nor written here.
   */
  async function endSessions(userKey: string, keep?: string, req?: Request, taken?: readonly string[]): Promise<number> {
    const store = storeOf(req);
    const sids = taken && index.inStatement ? index.inStatement.open(taken) : await index.list(userKey);
    const doomed = sids.filter((sid) => sid !== keep);
    if (!store) {
      if (doomed.length) logger.error('cannot end sessions: no express-session store seen yet; pass sessionStore to emailVerification()', { count: doomed.length });
      return 0;
    }
    let ended = 0;
    for (const sid of doomed) {
      try {
        await call((cb) => store.destroy(sid, cb));
        ended++;
      } catch (error) {
        logger.warn('a session store refused to destroy a session', { error: describeError(error) });
      }
    }
    if (!taken) await index.remove(userKey, doomed);
    return ended;
  }

  /**
   * Gives this browser a new session id with the same data (the old id, which another party may
   * know, dies with the old session), then indexes the new one.
   */
  async function rotate(req: Request, userKey: string): Promise<void> {
    const r = req as unknown as SessionRequest;
    if (!r.session || typeof r.session.regenerate !== 'function') return;
    const data = Object.fromEntries(Object.entries(r.session).filter(([key]) => key !== 'cookie'));
    const oldId = r.sessionID;
    await call((cb) => r.session!.regenerate(cb));
    Object.assign(r.session, data);
    const bag = sessionBag(req);
    if (bag) delete bag.indexedFor;
    await call((cb) => r.session!.save(cb));
    if (oldId) await index.remove(userKey, [oldId]);
    await track(req, userKey);
  }

  /** Signs this browser out by destroying its session. */
  async function destroyCurrent(req: Request): Promise<void> {
    const r = req as unknown as SessionRequest;
    if (r.session && typeof r.session.destroy === 'function') await call((cb) => r.session!.destroy(cb));
  }

  /** For a consuming statement that ends sessions itself: the lookup form of this browser's session. Absent with the Redis index. */
  const inStatement = index.inStatement && {
    keepHash: (req: Request) => index.inStatement!.keepHash((req as unknown as SessionRequest).sessionID),
  };

  return { track, endSessions, rotate, destroyCurrent, storeOf, inStatement };
}

export type SessionControl = ReturnType<typeof createSessionControl>;
