import type { Request } from 'express';
import { parseEmailAddress } from '../src/email/email-address.ts';
import type { VerigateUser } from '../src/ports/user.ts';
import type { VerificationService } from '../src/verification/verification-service.ts';
import { sessionBag } from './session-bag.ts';

/**
 * Whether this request's user has verified their current address. The session remembers a
 * verified pair exactly as `getUser` returned it, so the hot path is two string comparisons:
 * no parsing, no database, no Redis. Any change to the stored address (even of case) misses the
 * cache and is checked against the database by its canonical form.
 */
export async function isVerifiedForRequest(req: Request, user: VerigateUser, verification: VerificationService): Promise<boolean> {
  const cached = sessionBag(req)?.verified;
  if (cached && cached.userId === user.id && cached.email === user.email) return true;

  const parsed = parseEmailAddress(user.email);
  if (!parsed.ok || !(await verification.isPairVerified(user.id, parsed.canonical))) return false;
  const bag = sessionBag(req, true);
  if (bag) bag.verified = { userId: user.id, email: user.email };
  return true;
}
