import type { Request, Response } from 'express';
import type { AddressChangeService } from '../../src/addresses/address-change-service.ts';
import type { ResolvedConfig } from '../../src/config/resolved-config.ts';
import type { VerificationService } from '../../src/verification/verification-service.ts';
import type { CsrfGuard } from '../csrf.ts';
import type { Limiter } from '../../src/limits/limiter.ts';
import type { FailureLimit } from '../../src/limits/failure-limit.ts';
import type { AnonymousResend } from '../../src/verification/anonymous-resend.ts';
import type { LimitRule } from '../../src/limits/limit-options.ts';
import type { Responder } from '../respond.ts';
import type { ChallengeGuard } from '../challenge.ts';
import type { SessionControl } from '../session-control.ts';
import type { ResultLinks } from '../result-link.ts';
import { sessionBag } from '../session-bag.ts';
import type { RequestUser, WebConfig } from '../web-options.ts';
import type { WebI18n } from '../i18n.ts';

export interface HandlerDeps {
  config: ResolvedConfig;
  web: WebConfig;
  verification: VerificationService;
  addresses: AddressChangeService;
  respond: Responder;
  csrf: CsrfGuard;
  sessions: SessionControl;
  limiter: Limiter;
  linkAttempts: FailureLimit;
  anonymous: AnonymousResend;
  challenge: ChallengeGuard;
  /** Signs and checks the result page's outcome. */
  results: ResultLinks;
  i18n: WebI18n;
}

/**
 * Takes one point per listed rule for this client's IP (`req.ip`, so the host's `trust proxy`
 * applies). Answers 429 with `Retry-After` and returns false when limited.
 */
export async function withinIpLimit(req: Request, res: Response, deps: HandlerDeps, rules: readonly LimitRule[]): Promise<boolean> {
  const ip = clientIp(req);
  const result = await deps.limiter.consume(rules.map((rule) => ({ rule, key: ip })));
  if (result.ok) return true;
  await deps.respond.fail(req, res, 'RATE_LIMITED', { retryAfterSeconds: result.retryAfterSeconds });
  return false;
}

/** The client's IP as Express sees it, so the host's `trust proxy` applies. */
export const clientIp = (req: Request): string => req.ip ?? req.socket.remoteAddress ?? 'unknown';

/** Where "Continue" goes: the page the gate stopped the user at, if we kept one, else the configured path. */
export function continueUrl(req: Request, web: WebConfig): string {
  return sessionBag(req)?.returnTo ?? web.afterVerifyPath;
}

/** Form and JSON bodies alike; anything else (an array, a string, nothing) counts as empty. */
export function bodyOf(req: Request): Record<string, unknown> {
  const body: unknown = req.body;
  return body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
}

/**
 * The signed-in user, or `undefined` once the response is sent: anonymous visitors go to the
 * login page (401 for JSON), and an id verigate cannot store is reported, never stored. The
 * session is indexed for the user the first time it is seen.
 */
export async function signedInUser(req: Request, res: Response, deps: HandlerDeps, returnTo: string): Promise<RequestUser | undefined> {
  const user = deps.web.getUser(req);
  if (user === 'invalid') {
    deps.config.logger.error('getUser returned an id that is not a string, safe integer or bigint; fix getUser', { path: req.path });
    await deps.respond.fail(req, res, 'INVALID_USER');
    return undefined;
  }
  if (!user) {
    await deps.respond.signIn(req, res, returnTo);
    return undefined;
  }
  // Once per session (then a string comparison): so a verification, change or revocation can end it.
  await deps.sessions.track(req, user.key);
  return user;
}
