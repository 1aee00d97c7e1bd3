import { hkdfSync } from 'node:crypto';

/** Independent keys for independent jobs, so a leak of one use never weakens another. */
export interface VerigateKeys {
  /** HMAC key for token and code hashes stored in the database. */
  readonly tokenHash: Buffer;
  /** AES-256-GCM key for outbox payloads while they wait to be sent. */
  readonly outboxSeal: Buffer;
  /** HMAC key for lookup forms of identifiers kept outside the token table (session ids, limiter keys, IPs). */
  readonly lookupHash: Buffer;
  /** AES-256-GCM key for other credentials at rest (indexed session ids). */
  readonly dataSeal: Buffer;
  /** HMAC key for the stored hashes of service API keys. */
  readonly apiKeyHash: Buffer;
  /** HMAC key for client IPs in the audit log: one IP maps to one stable value, readable by nobody. */
  readonly auditHash: Buffer;
  /** HMAC key for values the web layer hands to a browser and takes back (the result page's outcome). */
  readonly pageSign: Buffer;
}

function derive(secret: string, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, 'verigate/v1', purpose, 32));
}

export function deriveKeys(secret: string): VerigateKeys {
  return Object.freeze({
    tokenHash: derive(secret, 'token-hash'),
    outboxSeal: derive(secret, 'outbox-seal'),
    lookupHash: derive(secret, 'lookup-hash'),
    dataSeal: derive(secret, 'data-seal'),
    apiKeyHash: derive(secret, 'api-key-hash'),
    auditHash: derive(secret, 'audit-hash'),
    pageSign: derive(secret, 'page-sign'),
  });
}
