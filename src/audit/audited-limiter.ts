import type { LimitRule } from '../limits/limit-options.ts';
import type { LimitCheck, Limiter } from '../limits/limiter.ts';
import type { AuditEntry } from './audit-event.ts';
import type { AuditTrail } from './audit-trail.ts';

/** What each rule's key is, so a refusal can say whom it stopped. */
const KEY_ROLE: Record<LimitRule, 'userKey' | 'email' | 'ip' | 'keyId'> = {
  sendsPerUser: 'userKey', passwordAttemptsPerUser: 'userKey', sendsPerRecipient: 'email',
  sendsPerIp: 'ip', attemptsPerIp: 'ip', codeAttemptsPerIp: 'ip', serviceCallsPerKey: 'keyId',
};

const REPEAT_MS = 60_000;
const MAX_REMEMBERED = 10_000;

/**
 * Every 429 of every path goes through the limiter, so this is where `verification.limited` is
 * reported: once per refused rule and key per minute (per process), since a flood of refused
 * requests is exactly when writing a row per request would hurt.
 */
export function auditedLimiter(limiter: Limiter, audit: AuditTrail, now: () => number = Date.now): Limiter {
  const lastReported = new Map<string, number>();

  function shouldReport(rule: LimitRule, key: string): boolean {
    const id = `${rule}\u0000${key}`;
    const t = now();
    if (t - (lastReported.get(id) ?? -Infinity) < REPEAT_MS) return false;
    if (lastReported.size >= MAX_REMEMBERED) lastReported.clear();
    lastReported.set(id, t);
    return true;
  }

  return {
    ...limiter,
    async consume(checks: readonly LimitCheck[]) {
      const result = await limiter.consume(checks);
      if (result.ok) return result;
      const refused = checks.find((check) => check.rule === result.rule);
      if (refused && shouldReport(result.rule, refused.key)) {
        const entry: AuditEntry = { event: 'verification.limited', outcome: 'limited', reason: result.rule, detail: { retryAfterSeconds: result.retryAfterSeconds } };
        for (const { rule, key } of checks) entry[KEY_ROLE[rule]] = key;
        await audit.record(entry);
      }
      return result;
    },
  };
}
