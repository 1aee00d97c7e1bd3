import type { Request } from 'express';
import { parseEmailAddress } from '../src/email/email-address.ts';
import type { VerificationService } from '../src/verification/verification-service.ts';
import { sessionBag } from './session-bag.ts';
import type { RequestUser } from './web-options.ts';

/**
 * Whether this request's user has verified their current address. The session remembers a
 * verified pair exactly as `getUser` returned it, so the hot path is two string comparisons:
 * no parsing, no database, no Redis. Any change to the stored address (even of case) misses the
 * cache and is checked against the database by its canonical form.
 */
export async function isVerifiedForRequest(req: Request, user: RequestUser, verification: VerificationService): Promise<boolean> {
  if (user.email === null) return false;
  const cached = sessionBag(req)?.verified;
  if (cached && cached.userId === user.key && cached.email === user.email) return true;

  const parsed = parseEmailAddress(user.email);
  if (!parsed.ok || !(await verification.isPairVerified(user.key, parsed.canonical))) return false;
  const bag = sessionBag(req, true);
  if (bag) bag.verified = { userId: user.key, email: user.email };
  return true;
}
