import { checkKeys, duration, fail, isObject, positiveInt } from '../config/checks.ts';
import { parseEmailAddress } from '../email/email-address.ts';

/** Deliverability feedback; see the README, "Bounces and complaints". */
export interface BounceOptions {
  /**
   * Soft bounces (mailbox full, greylisting, a server down) within `softWindow` after which an
   * address is treated like a hard bounce: suppressed, its verifications withdrawn. Default `3`.
   */
  softThreshold?: number;
  /** How far back soft bounces count toward `softThreshold`. Default `'7d'`. */
  softWindow?: number | string;
  /**
   * VERP, opt-in: the base of the envelope sender (the SMTP `MAIL FROM`, where DSNs go), e.g.
   * `'bounces@example.com'`; each mail is then sent from `bounces+<outboxId>@example.com`, so a
   * bounce arriving there names the mail it is about (`outboxIdFromVerp`). The `From:` header stays
   * `mail.from`. Your mail server must deliver `bounces+…@` to `bounces@` (Postfix:
   * `recipient_delimiter = +`). Default: off (the envelope sender is `mail.from`'s address).
   */
  verp?: string;
}

export interface ResolvedBounces {
  readonly softThreshold: number;
  readonly softWindowMs: number;
  /** The VERP base address, when on. */
  readonly verp?: string;
}

const BOUNCE_KEYS = ['softThreshold', 'softWindow', 'verp'] as const;
const CODE = 'VERIGATE_INVALID_BOUNCES';

function resolveVerp(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  const parsed = typeof value === 'string' ? parseEmailAddress(value) : null;
  // The base becomes part of every envelope: a plain address, nothing a mail server would read as a route or a tag.
  if (!parsed?.ok || (value as string).trim() !== value || /[+=<>]/.test(value as string) || !/^[\x21-\x7e]+$/.test(value as string)) {
    fail(CODE, 'bounces.verp must be a plain ASCII address without a + tag, like bounces@example.com.',
      `Got ${JSON.stringify(value)}. Mail is then sent with the envelope sender bounces+<outbox id>@example.com.`);
  }
  return value as string;
}

/** Validates `bounces` once, at construction. */
export function resolveBounceOptions(value: unknown): ResolvedBounces {
  const options = value ?? {};
  if (!isObject(options)) fail(CODE, 'bounces must be an object.', `Known: ${BOUNCE_KEYS.join(', ')}.`);
  checkKeys('bounces.', options, BOUNCE_KEYS);
  const softThreshold = positiveInt('bounces.softThreshold', options.softThreshold, 3);
  if (softThreshold > 100) fail(CODE, 'bounces.softThreshold must be at most 100.', 'A handful of soft bounces within a week already says the mailbox does not take mail; the default is 3.');
  const verp = resolveVerp(options.verp);
  return Object.freeze({
    softThreshold,
    softWindowMs: duration('bounces.softWindow', options.softWindow, '7d'),
    ...(verp ? { verp } : {}),
  });
}
