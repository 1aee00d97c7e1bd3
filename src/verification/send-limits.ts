import type { Limiter, LimitCheck, LimitResult } from '../limits/limiter.ts';

/** Who is asking for a send or trying a secret, as far as the caller knows. */
export interface LimitContext {
  /** The client IP (the host's `trust proxy` applied), when the request came over HTTP. */
  ip?: string;
  /** The recipient (and IP) were already counted for this send, by an earlier step of the same request. */
  recipientCounted?: boolean;
}

/**
 * Every path that sends mail counts against the user, the recipient address (its limit key:
 * tags and Gmail dots folded) and, over HTTP, the client IP. One call, so a refusal costs nothing.
 */
export function sendChecks(userKey: string | null, recipientKey: string, context: LimitContext = {}): LimitCheck[] {
  const checks: LimitCheck[] = [];
  if (!context.recipientCounted) checks.push({ rule: 'sendsPerRecipient', key: recipientKey });
  if (userKey !== null) checks.push({ rule: 'sendsPerUser', key: userKey });
  if (context.ip && !context.recipientCounted) checks.push({ rule: 'sendsPerIp', key: context.ip });
  return checks;
}

export type Refusal = { status: 'RATE_LIMITED'; retryAfterSeconds: number };

/** `null` when allowed, else the typed refusal. */
export async function refusalOf(limiter: Limiter, checks: readonly LimitCheck[]): Promise<Refusal | null> {
  const result: LimitResult = await limiter.consume(checks);
  return result.ok ? null : { status: 'RATE_LIMITED', retryAfterSeconds: result.retryAfterSeconds };
}
