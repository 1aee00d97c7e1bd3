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

