import { createHmac, timingSafeEqual } from 'node:crypto';

/** The request header carrying the signature: `t=<unix seconds>,v1=<hex HMAC-SHA-256>` (one `v1` per secret during a rotation). */
export const SIGNATURE_HEADER = 'Verigate-Signature';

/** Default replay window of `verifyWebhookSignature`: five minutes either side of the receiver's clock. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

const HEX_SHA256 = /^[0-9a-f]{64}$/;

function hmac(secret: string, timestamp: number, body: string | Uint8Array): Buffer {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest();
}

/** The header value for `body` sent at `timestamp` (unix seconds), signed with every given secret. */
export function signWebhook(body: string, secrets: readonly string[], timestamp: number): string {
  return [`t=${timestamp}`, ...secrets.map((secret) => `v1=${hmac(secret, timestamp, body).toString('hex')}`)].join(',');
}

export type WebhookVerification =
  | { status: 'OK'; timestamp: number }
  /** No valid `v1` for this body and timestamp: forged, altered, signed with another secret, or its timestamp changed. */
  | { status: 'BAD_SIGNATURE' }
  /** Correctly signed, but outside the replay window: a replay of an old request (or a badly wrong clock). */
  | { status: 'EXPIRED'; timestamp: number }
  /** No header, or not of the form `t=<seconds>,v1=<64 hex>`. */
  | { status: 'MALFORMED' };

export interface VerifyWebhookOptions {
  /** How far the signed timestamp may be from now, in seconds, either way. Default `300`. */
  toleranceSeconds?: number;
  /** The receiver's current time in unix seconds; for tests. Default: the system clock. */
  now?: number;
}

function parseHeader(header: unknown): { timestamp: number; signatures: Buffer[] } | null {
  const value = Array.isArray(header) ? header[0] : header;
  if (typeof value !== 'string' || value.length > 2048) return null;
  let timestamp: number | undefined;
  const signatures: Buffer[] = [];
  for (const part of value.split(',')) {
    const eq = part.indexOf('=');
    const [key, v] = [part.slice(0, eq).trim(), part.slice(eq + 1).trim()];
    if (key === 't' && /^\d{1,12}$/.test(v)) timestamp = Number(v);
    // Other schemes (a future v2) are skipped, so receivers keep working while senders add them.
    else if (key === 'v1' && HEX_SHA256.test(v)) signatures.push(Buffer.from(v, 'hex'));
  }
  return timestamp === undefined || signatures.length === 0 ? null : { timestamp, signatures };
}

/**
 * Checks a verigate webhook request: `body` is the **raw** request body (the exact bytes, e.g.
 * from `express.raw({ type: 'application/json' })`, not a re-serialised object), `header` the
 * `Verigate-Signature` header, `secret` the shared secret (or several while rotating it).
 * Comparisons are constant-time. A request passes only if one `v1` matches and its timestamp is
 * within `toleranceSeconds` of now; within that window, dedupe on the event's `id`.
 */
export function verifyWebhookSignature(body: string | Uint8Array, header: string | string[] | null | undefined,
  secret: string | readonly string[], options: VerifyWebhookOptions = {}): WebhookVerification {
  const parsed = parseHeader(header);
  if (!parsed) return { status: 'MALFORMED' };
  const secrets = typeof secret === 'string' ? [secret] : secret;
  if (secrets.length === 0 || secrets.some((s) => typeof s !== 'string' || s === '')) throw new TypeError('verifyWebhookSignature: secret must be a non-empty string (or a list of them)');
  let matched = false;
  for (const s of secrets) {
    const expected = hmac(s, parsed.timestamp, body);
    // Every candidate is compared, so the time taken does not tell which one (or whether any) matched.
    for (const candidate of parsed.signatures) matched = timingSafeEqual(expected, candidate) || matched;
  }
  if (!matched) return { status: 'BAD_SIGNATURE' };
  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  const now = options.now ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - parsed.timestamp) > tolerance) return { status: 'EXPIRED', timestamp: parsed.timestamp };
  return { status: 'OK', timestamp: parsed.timestamp };
}
