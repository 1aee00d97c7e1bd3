import type { Request, Response } from 'express';
import type { AuditTrail } from '../../src/audit/audit-trail.ts';
import { normaliseUserId } from '../../src/users/user-id.ts';
import { SERVICE_ERRORS, type ServiceErrorCode } from './service-errors.ts';

export const USER_ROUTE = '/users/:id/verification';

/** What the audit row of one service call says; filled in as the call goes. */
export interface ServiceCall {
  /** The `:id` of the path, kept because an error handler may not see the route's params. */
  rawId?: string;
  keyId?: string;
  /** Why a key was refused (`WRONG_SECRET`, `REVOKED`…): for the audit log, never for the caller. */
  why?: string;
}

/**
 * The one place a service call is answered: its audit event (logger always, the table when on),
 * written before the answer leaves, so a caller that sees the answer can find the row.
 */
export function createReplier(audit: AuditTrail, now: () => number = Date.now) {
  // Per router, not per module: two verigate instances in one process share nothing.
  const calls = new WeakMap<Request, ServiceCall>();
  const anonymousSeen = new Map<string, number>();

  /**
   * Calls without a real key can come from anyone at any rate: each is logged, but a table row is
   * written once a minute per client and reason, so a flood cannot fill the table.
   */
  function rowWorthy(req: Request, call: ServiceCall, reason: string): boolean {
    if (call.keyId) return true;
    const id = `${req.ip}\u0000${reason}\u0000${call.why ?? ''}`;
    const t = now();
    if (t - (anonymousSeen.get(id) ?? -Infinity) < 60_000) return false;
    if (anonymousSeen.size >= 10_000) anonymousSeen.clear();
    anonymousSeen.set(id, t);
    return true;
  }

  function callOf(req: Request): ServiceCall {
    let call = calls.get(req);
    if (!call) calls.set(req, (call = {}));
    return call;
  }

  async function reply(req: Request, res: Response, status: number, body: unknown, reason: string, headers: Record<string, string> = {}): Promise<void> {
    const call = callOf(req);
    const rawId = call.rawId ?? req.params?.id;
    const id = typeof rawId === 'string' ? normaliseUserId(rawId) : null;
    await audit.record({
      event: 'service.call', ip: req.ip, keyId: call.keyId, userKey: id?.ok ? id.key : null,
      outcome: status < 400 ? 'ok' : status < 500 ? 'refused' : 'error', reason,
      detail: { method: req.method, route: USER_ROUTE, status, ...(call.why ? { why: call.why } : {}) },
    }, { logOnly: !rowWorthy(req, call, reason) });
    res.set({ 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff', ...headers });
    res.status(status).json(body);
  }

  function fail(req: Request, res: Response, code: ServiceErrorCode, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}): Promise<void> {
    const { http, message } = SERVICE_ERRORS[code];
    return reply(req, res, http, { error: { code, message, ...extra } }, code, headers);
  }

  return { reply, fail, callOf };
}

export type Replier = ReturnType<typeof createReplier>;
