import type { Request, Response } from 'express';
import type { VerigateCore } from '../../src/core.ts';
import type { ServiceSendResult, StateResult } from '../../src/service-api/service-api.ts';
import { asyncHandler } from '../async-handler.ts';
import type { Replier } from './service-call.ts';

type Refusal = Exclude<StateResult | ServiceSendResult, { status: 'OK' | 'SENT' }>;

/** Every refusal of the core maps to one typed error here. */
function refuse(replier: Replier, req: Request, res: Response, result: Refusal): Promise<void> {
  switch (result.status) {
    case 'RATE_LIMITED':
      return replier.fail(req, res, 'RATE_LIMITED', { retryAfter: result.retryAfterSeconds }, { 'Retry-After': String(result.retryAfterSeconds) });
    case 'INVALID_EMAIL':
      return replier.fail(req, res, 'INVALID_EMAIL', result.problem ? { problem: result.problem } : {});
    default:
      return replier.fail(req, res, result.status);
  }
}

/** GET /users/:id/verification (scope `read`): the state of the user's current address. */
export function stateHandler(core: VerigateCore, replier: Replier) {
  return asyncHandler(async (req, res) => {
    const email = req.query.email;
    // A repeated or nested parameter is a caller's bug: refused, never guessed at.
    if (email !== undefined && typeof email !== 'string') return replier.fail(req, res, 'INVALID_REQUEST');
    const result = await core.serviceApi.state(req.params.id as string, email);
    if (result.status !== 'OK') return refuse(replier, req, res, result);
    const { state } = result;
    return replier.reply(req, res, 200, {
      userId: state.userId,
      email: state.email,
      verified: state.verified,
      verifiedAt: state.verifiedAt?.toISOString() ?? null,
      pendingChange: state.pendingChange ? { email: state.pendingChange.email, expiresAt: state.pendingChange.expiresAt.toISOString() } : null,
    }, 'OK');
  });
}

/** POST /users/:id/verification (scope `send`), body `{ email }` (optional with `users.findById`): queues a verification mail. */
export function sendHandler(core: VerigateCore, replier: Replier) {
  return asyncHandler(async (req, res) => {
    const body: unknown = req.body ?? {};
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return replier.fail(req, res, 'INVALID_REQUEST');
    const email = (body as Record<string, unknown>).email;
    if (email !== undefined && typeof email !== 'string') return replier.fail(req, res, 'INVALID_REQUEST');
    const call = { ip: req.ip, keyId: replier.callOf(req).keyId };
    const result = await core.serviceApi.send(req.params.id as string, email, call);
    if (result.status !== 'SENT') return refuse(replier, req, res, result);
    return replier.reply(req, res, 202, { status: 'SENT', userId: result.userId, expiresAt: result.expiresAt.toISOString() }, 'SENT');
  });
}
