import type { Request } from 'express';
import type { ResolvedConfig } from '../../src/config/resolved-config.ts';
import type { VerificationService } from '../../src/verification/verification-service.ts';
import type { Responder } from '../respond.ts';
import { sessionBag } from '../session-bag.ts';

export interface HandlerDeps {
  config: ResolvedConfig;
  verification: VerificationService;
  respond: Responder;
}

/** Where "Continue" goes: the page the gate stopped the user at, if we kept one, else the configured path. */
export function continueUrl(req: Request, config: ResolvedConfig): string {
  return sessionBag(req)?.returnTo ?? config.afterVerifyPath;
}

/** The router's own URL as the host mounted it (`req.baseUrl`), e.g. `/verify`. */
export function routerPath(req: Request, path: string): string {
  return `${req.baseUrl}${path}`;
}
