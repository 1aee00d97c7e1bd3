import { defineEntity, p } from '@mikro-orm/core';

/**
 * A single-use secret sent by email. Only `tokenHash` (a keyed hash) is stored, never the token.
 * Consumption is one conditional UPDATE (see verification-service.ts), never read-then-write.
 */
export const VerigateToken = defineEntity({
  name: 'VerigateToken',
  tableName: 'verigate_token',
  properties: {
    id: p.uuid().primary(),
    /** `verify`, `email_change` or `change_revoke`. */
    purpose: p.string().length(32),
    userId: p.string().length(255),
    /** How the host gave the id (`string`, `number`, `bigint`), so hooks get it back in that type. */
    userIdType: p.string().length(8).default('string'),
    /** Canonical address the token is bound to. */
    email: p.string().length(254),
    /** Canonical new address, for an email change. */
    newEmail: p.string().length(254).nullable(),
    tokenHash: p.string().length(64).unique('verigate_token_token_hash_key'),
    codeHash: p.string().length(64).nullable(),
    codeAttempts: p.integer().default(0),
    createdAt: p.datetime(),
    expiresAt: p.datetime().index('verigate_token_expires_at_idx'),
    usedAt: p.datetime().nullable(),
    supersededAt: p.datetime().nullable(),
  },
});
