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

/**
 * A browser-facing URL of the router, from `baseUrl`'s path (as the gate and the emailed links
 * use), so all three agree even behind a proxy that strips a path prefix.
 */
export function routerPath(config: ResolvedConfig, path: string): string {
  return `${config.basePath}${path}`;
}
