import type { Request } from 'express';
import { fail, isObject } from '../src/config/checks.ts';
import type { Translator } from '../src/i18n/catalogue.ts';
import type { MessageKey } from '../src/i18n/messages-en.ts';

/**
 * A bot challenge for anonymous sending forms (verigate's "send me a new link"; your sign-up form
 * may reuse it through `vg.challenge`). Bring any verifier: `altchaChallenge()` is a ready
 * self-hosted proof of work; Turnstile, hCaptcha and reCAPTCHA fit with a few lines (see README).
 */
export interface ChallengeOption {
  /** Checks the solution the form sent (field `field`, or header `X-Challenge` for JSON clients); resolve true to let the request through. */
  verify(solution: string | undefined, context: { ip?: string }): Promise<boolean> | boolean;
  /**
   * The widget's HTML, placed inside the form by the `partials/challenge` view. `assetsPath` is where
   * verigate serves its scripts; `locale` and `text(key)` (plain text: escape it) give the visitor's words.
   */
  widget?(context: { assetsPath: string; locale: string; text: (key: MessageKey) => string }): Promise<string> | string;
  /** Form field carrying the solution. Default `'challenge'`. */
  field?: string;
}

export interface ChallengeGuard {
  /** For rendering: `{ html }` in the language of `req` (default: `defaultLocale`), or null when no challenge is configured. */
  widget(req?: Request): Promise<{ html: string } | null>;
  /** True when no challenge is configured or the request carries a valid solution. Never throws: a verifier error counts as a failed challenge. */
  passes(req: Request): Promise<boolean>;
}

export function resolveChallenge(value: unknown): ChallengeOption | undefined {
  if (value === undefined) return undefined;
  if (!isObject(value) || typeof value.verify !== 'function' || (value.widget !== undefined && typeof value.widget !== 'function')
    || (value.field !== undefined && (typeof value.field !== 'string' || !/^[\w.-]{1,64}$/.test(value.field)))) {
    fail('VERIGATE_INVALID_CHALLENGE', 'challenge must be { verify(solution, { ip }), widget?(), field? }.',
      `e.g. challenge: altchaChallenge({ hmacKey: process.env.ALTCHA_KEY }), or an adapter for Turnstile (see the README).`);
  }
  return value as unknown as ChallengeOption;
}

export function createChallengeGuard(option: ChallengeOption | undefined, assetsPath: string, wordsFor: (req?: Request) => Translator): ChallengeGuard {
  const field = option?.field ?? 'challenge';
  return {
    async widget(req) {
      if (!option?.widget) return null;
      const words = wordsFor(req);
      return { html: await option.widget({ assetsPath, locale: words.locale, text: (key) => words.text(key) }) };
    },
    async passes(req) {
      if (!option) return true;
      const body = req.body as Record<string, unknown> | undefined;
      const given = typeof body?.[field] === 'string' ? (body[field] as string) : req.get('x-challenge');
      try {
        return (await option.verify(given && given.length <= 8192 ? given : undefined, { ip: req.ip })) === true;
      } catch {
        return false;
      }
    },
  };
}
