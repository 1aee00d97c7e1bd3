import { deriveKeys } from '../../src/crypto/keys.ts';
import { createToken, hashToken } from '../../src/tokens/token.ts';
import type { ScratchDatabase } from './services.ts';

/**
 * Fresh, open verification tokens written straight into `verigate_token`, as `sendVerification`
 * would leave them (one open link per user), but thousands per statement: the confirm scenarios
 * consume one per request. The hash is verigate's own keyed HMAC, so verigate, the bare route and
 * `vg.confirm()` all accept them.
 */
export interface TokenSupply {
  /** HMAC key verigate derives from `secret`, for the bare route's hashing. */
  hashKey: Buffer;
  /** Issues `n` tokens (each for its own user) and returns them. */
  issue(n: number): Promise<string[]>;
  /** The most tokens one `issue` call has written (for the report). */
  readonly largestIssue: number;
  /** Deletes every token and verified pair the bench issued (not filler rows), then vacuums. */
  clear(): Promise<void>;
}

const BATCH = 20_000;

export function tokenSupply(db: Pick<ScratchDatabase, 'query'>, secret: string): TokenSupply {
  const hashKey = deriveKeys(secret).tokenHash;
  let largestIssue = 0;
  return {
    hashKey,
    get largestIssue() { return largestIssue; },
    async issue(n) {
      largestIssue = Math.max(largestIssue, n);
      const tokens = Array.from({ length: n }, () => createToken());
      for (let start = 0; start < n; start += BATCH) {
        const hashes = tokens.slice(start, start + BATCH).map((token) => hashToken(hashKey, token));
        await db.query(`insert into verigate_token (id, purpose, user_id, user_id_type, email, token_hash, code_attempts, created_at, expires_at)
          select gen_random_uuid(), 'verify', 'live-' || substr(h, 1, 24), 'string', 'live-' || substr(h, 1, 12) || '@bench.test', h, 0, now(), now() + interval '1 day'
          from unnest($1::text[]) as t(h)`, [hashes]);
      }
      // As autovacuum would on a live table: without statistics the planner may walk an index of
      // every open token instead of the unique token_hash index, for verigate and the bare route alike.
      await db.query('analyze verigate_token');
      return tokens;
    },
    async clear() {
      await db.query(`delete from verigate_token where user_id like 'live-%'`);
      await db.query(`delete from verigate_verified_email where user_id like 'live-%'`);
      await db.query('vacuum verigate_token, verigate_verified_email');
    },
  };
}

/** A confirm request body for each token, as a JSON client sends it. */
export const confirmBodies = (tokens: string[]) => tokens.map((token) => JSON.stringify({ token }));
