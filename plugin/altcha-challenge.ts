import { createChallenge, verifySolution } from 'altcha-lib/v1';
import { fail } from '../src/config/checks.ts';
import { parseDuration } from '../src/config/duration.ts';
import type { ChallengeOption } from './challenge.ts';

export interface AltchaChallengeOptions {
  /** Secret for signing challenges (at least 32 characters, not your verigate secret). Required. */
  hmacKey: string;
  /** Work factor: the browser tries up to this many hashes (about 0.1–0.5 s on a phone at the default). Default `100000`. */
  maxNumber?: number;
  /** How long a challenge may be solved and used. Default `'5m'`. */
  expires?: number | string;
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escapeAttribute = (value: string) => value.replace(/[&<>"']/g, (ch) => HTML_ESCAPES[ch]);

/**
 * A self-hosted proof of work (ALTCHA's protocol, `altcha-lib`): no third party sees your users.
 * The browser solves it with verigate's small script (served by the router, no inline code); a
 * solution works once, within `expires`, in this process (instances behind a load balancer each
 * keep their own record of used solutions, so a solution may be replayed once per instance at most).
 * Needs JavaScript in the browser: without it the form explains why it cannot be sent.
 */
export function altchaChallenge(options: AltchaChallengeOptions): ChallengeOption {
  if (typeof options?.hmacKey !== 'string' || options.hmacKey.length < 32) {
    fail('VERIGATE_INVALID_CHALLENGE', 'altchaChallenge needs hmacKey: a secret of at least 32 characters.', 'Generate one as you did for secret, and keep it apart from it.');
  }
  const maxNumber = options.maxNumber ?? 100_000;
  const expiresMs = parseDuration(options.expires ?? '5m');
  if (!Number.isInteger(maxNumber) || maxNumber < 1000 || expiresMs === null) {
    fail('VERIGATE_INVALID_CHALLENGE', 'altchaChallenge: maxNumber must be a whole number ≥ 1000 and expires a duration.', `e.g. { maxNumber: 100000, expires: '5m' }.`);
  }
  const used = new Map<string, number>();
  const forgetExpired = () => {
    const now = Date.now();
    for (const [signature, until] of used) if (until < now) used.delete(signature);
  };
  return {
    async widget({ assetsPath, text }) {
      const challenge = await createChallenge({ hmacKey: options.hmacKey, maxNumber, expires: new Date(Date.now() + expiresMs) });
      // The script's own words travel in attributes, so it holds none and speaks the page's language.
      return `<div class="challenge" data-verigate-pow="${escapeAttribute(JSON.stringify(challenge))}"`
        + ` data-pow-ready="${escapeAttribute(text('challenge.ready'))}" data-pow-failed="${escapeAttribute(text('challenge.failed'))}">`
        + `<input type="hidden" name="challenge" value="">`
        + `<p class="muted" data-pow-status>${escapeAttribute(text('challenge.checking'))}</p>`
        + `<noscript><p class="notice warn">${escapeAttribute(text('challenge.noscript'))}</p></noscript>`
        + `</div><script src="${escapeAttribute(assetsPath)}/verigate-pow.js" defer></script>`;
    },
    async verify(solution) {
      if (!solution) return false;
      let payload: { signature?: unknown };
      try {
        payload = JSON.parse(Buffer.from(solution, 'base64').toString('utf8')) as { signature?: unknown };
      } catch {
        return false;
      }
      if (typeof payload.signature !== 'string' || used.has(payload.signature)) return false;
      if (!(await verifySolution(solution, options.hmacKey, true))) return false;
      forgetExpired();
      used.set(payload.signature, Date.now() + expiresMs);
      return true;
    },
  };
}
