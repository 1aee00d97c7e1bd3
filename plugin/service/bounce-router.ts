import express, { type ErrorRequestHandler, type Request, type Response, type Router } from 'express';
import type { BounceReport, BounceResult, BounceTarget } from '../../src/bounces/bounce-results.ts';
import { checkKeys, fail, isObject } from '../../src/config/checks.ts';
import { isInfrastructureError } from '../../src/http/infrastructure-error.ts';
import { throttledWarn } from '../../src/limits/throttled-log.ts';
import { describeError } from '../../src/logging/redact.ts';
import type { Logger } from '../../src/ports/logger.ts';
import { DEFAULT_TOLERANCE_SECONDS, SIGNATURE_HEADER, verifyWebhookSignature } from '../../src/events/webhook-signature.ts';
import { asyncHandler } from '../async-handler.ts';
import { RETRY_AFTER_SECONDS } from '../error-handler.ts';

/** `vg.bounceRouter(options)`. */
export interface BounceRouterOptions {
  /**
   * The secret the sender signs with (`Verigate-Signature: t=…,v1=…`, HMAC-SHA-256 over
   * `` `${t}.${rawBody}` ``, as verigate signs its own webhooks); a list accepts each, for a
   * rotation. At least 32 characters. Required.
   */
  secret: string | readonly string[];
  /** How far the signed time may be from now, in seconds. Default `300`. */
  toleranceSeconds?: number;
}

const KEYS = ['secret', 'toleranceSeconds'] as const;
const CODE = 'VERIGATE_INVALID_BOUNCE_ROUTER';
const BODY_LIMIT = '16kb';

function resolve(options: unknown): { secrets: readonly string[]; toleranceSeconds: number } {
  if (!isObject(options)) fail(CODE, 'bounceRouter(options) needs { secret }.', 'e.g. vg.bounceRouter({ secret: process.env.BOUNCE_WEBHOOK_SECRET }).');
  checkKeys('bounceRouter.', options, KEYS);
  const secrets = typeof options.secret === 'string' ? [options.secret] : options.secret;
  if (!Array.isArray(secrets) || secrets.length === 0 || secrets.some((s) => typeof s !== 'string' || s.length < 32)) {
    fail(CODE, 'bounceRouter secret must be a string of at least 32 characters (or a list of them while rotating).',
      `Generate one with: node -p "require('crypto').randomBytes(32).toString('base64url')" and give the sender the same.`);
  }
  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  if (!Number.isInteger(tolerance) || (tolerance as number) < 1 || (tolerance as number) > 3600) {
    fail(CODE, 'bounceRouter toleranceSeconds must be a whole number from 1 to 3600.', `Got ${JSON.stringify(options.toleranceSeconds)}; the default is 300.`);
  }
  return { secrets: Object.freeze([...secrets as string[]]), toleranceSeconds: tolerance as number };
}

function reply(res: Response, status: number, body: object): void {
  res.set('Cache-Control', 'no-store').status(status).json(body);
}

/** What the sender is told; the address itself is never echoed. */
function answer(res: Response, result: BounceResult): void {
  switch (result.status) {
    case 'SUPPRESSED': return reply(res, 202, { status: 'SUPPRESSED', newlySuppressed: result.newlySuppressed, withdrawn: result.withdrawn });
    case 'COUNTED': return reply(res, 202, { status: 'COUNTED', softBounces: result.softBounces, threshold: result.threshold });
    case 'DUPLICATE': return reply(res, 202, { status: 'DUPLICATE' });
    case 'UNKNOWN_MESSAGE': return reply(res, 404, { error: { code: 'UNKNOWN_MESSAGE', message: 'No mail with this id is known (never sent by verigate, or purged after retention).' } });
    case 'INVALID_REPORT': return reply(res, 400, { error: { code: 'INVALID_REPORT', problem: result.problem,
      message: 'Send { "type": "hard" | "soft" | "complaint", and "address" or "messageId" (one of them), "reason"? , "id"? }.' } });
  }
}

/**
 * `POST /` — a signed bounce or complaint report in verigate's generic JSON, for a service that
 * receives your ESP's events (or parses DSNs) and forwards them:
 * `{ "type": "hard" | "soft" | "complaint", "address": "…" | "messageId": "…", "reason"?: "…", "id"?: "…" }`.
 * The signature is checked on the raw bytes before anything is parsed: 401 for a missing, forged
 * or expired one (nothing changes), 400 for a body that is not such a report, 404 for an unknown
 * message id, 202 once recorded, 503 while the database is unavailable.
 */
export function createBounceRouter(options: BounceRouterOptions, deps: { report(target: BounceTarget, report: BounceReport): Promise<BounceResult>; logger: Logger }): Router {
  const { secrets, toleranceSeconds } = resolve(options);
  const warn = throttledWarn(deps.logger, 60_000);
  const router = express.Router();

  router.post('/', express.raw({ type: () => true, limit: BODY_LIMIT }), asyncHandler(async (req: Request, res: Response) => {
    const body: unknown = req.body;
    const sent = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
    if (!Buffer.isBuffer(body) && sent) {
      // A JSON parser ran first: the exact bytes the signature covers are gone.
      deps.logger.error('bounceRouter: the body was parsed before the router saw it; mount the router before express.json() (or on a path it skips)');
      return reply(res, 500, { error: { code: 'INTERNAL_ERROR', message: 'The receiver is misconfigured.' } });
    }
    const raw = Buffer.isBuffer(body) ? body : Buffer.alloc(0);
    const check = verifyWebhookSignature(raw, req.get(SIGNATURE_HEADER), secrets, { toleranceSeconds });
    if (check.status !== 'OK') {
      warn('bounce report refused: signature', { reason: check.status });
      return reply(res, 401, { error: { code: 'UNAUTHENTICATED', reason: check.status, message: `Sign the raw body: ${SIGNATURE_HEADER}: t=<unix seconds>,v1=<hex HMAC-SHA-256 of "t.body">.` } });
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw.toString('utf8'));
    } catch {
      return reply(res, 400, { error: { code: 'INVALID_REQUEST', message: 'The body is not JSON.' } });
    }
    if (!isObject(parsed)) return answer(res, { status: 'INVALID_REPORT', problem: 'TARGET' });
    const target = { address: parsed.address, messageId: parsed.messageId } as BounceTarget;
    answer(res, await deps.report(target, { kind: parsed.type, reason: parsed.reason, eventId: parsed.id } as BounceReport));
  }));
  router.all('/', (req, res) => { res.set('Allow', 'POST'); reply(res, 405, { error: { code: 'METHOD_NOT_ALLOWED', message: 'POST a signed report.' } }); });
  router.use(((err, req, res, next) => {
    if (res.headersSent) return next(err);
    if (err?.type === 'entity.too.large') return reply(res, 413, { error: { code: 'PAYLOAD_TOO_LARGE', message: `At most ${BODY_LIMIT}.` } });
    const status = typeof err?.status === 'number' ? err.status : undefined;
    if (status !== undefined && status >= 400 && status < 500) return reply(res, 400, { error: { code: 'INVALID_REQUEST', message: 'The request could not be read.' } });
    if (isInfrastructureError(err)) {
      deps.logger.warn('dependency unavailable; bounce report answered 503', { error: describeError(err) });
      res.set('Retry-After', String(RETRY_AFTER_SECONDS));
      return reply(res, 503, { error: { code: 'SERVICE_UNAVAILABLE', retryAfter: RETRY_AFTER_SECONDS, message: 'Retry later.' } });
    }
    deps.logger.error('unexpected error in the bounce router', { error: describeError(err) });
    return reply(res, 500, { error: { code: 'INTERNAL_ERROR', message: 'An unexpected error occurred.' } });
  }) as ErrorRequestHandler);
  return router;
}
