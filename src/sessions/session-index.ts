import { createHmac } from 'node:crypto';
import { open, seal } from '../crypto/seal.ts';
import type { DbAccess } from '../db/db-access.ts';

/**
 * Which session ids belong to a user, so that verigate can end them through the host's session
 * store. Entries expire after `ttlMs` (sessions outlive few weeks); ending a session that already
 * expired in the store is harmless.
 */
export interface SessionIndex {
  add(userKey: string, sessionId: string): Promise<void>;
  /** The user's indexed session ids, oldest first. */
  list(userKey: string): Promise<string[]>;
  remove(userKey: string, sessionIds: readonly string[]): Promise<void>;
  /**
   * Present when the index is verigate's table: a statement that consumes a link can then take the
   * user's sessions out of the index itself (see `consumeToken`'s `endSessions`), saving a round trip.
   */
  readonly inStatement?: SessionsInStatement;
}

/** How a consuming statement ends sessions: which one to keep, and how to read what it took out. */
export interface SessionsInStatement {
  /** The lookup form of the session to keep (the confirming browser's), or null. */
  keepHash(sessionId: string | undefined): string | null;
  /** The session ids behind the sealed values the statement returned. */
  open(sealed: readonly string[]): string[];
}

export interface SessionIndexKeys {
  /** HMAC key: the lookup form of a session id. */
  hashKey: Buffer;
  /** AES-GCM key: session ids are credentials, sealed at rest. */
  sealKey: Buffer;
}

export function sessionHash(keys: SessionIndexKeys, sessionId: string): string {
  return createHmac('sha256', keys.hashKey).update(`session:${sessionId}`).digest('hex');
}

/** The index in verigate's own table, for hosts without Redis. */
export function databaseSessionIndex(db: DbAccess, keys: SessionIndexKeys, ttlMs: number): SessionIndex {
  return {
    async add(userKey, sessionId) {
      await db.run((ctx) => ctx.query(`insert into verigate_session (user_id, sid_hash, sid_sealed, created_at) values ($1, $2, $3, now())
        on conflict (user_id, sid_hash) do nothing`, [userKey, sessionHash(keys, sessionId), seal(keys.sealKey, sessionId)]));
    },
    async list(userKey) {
      const rows = await db.run((ctx) => ctx.query<{ sid_sealed: string }>(`select sid_sealed from verigate_session
        where user_id = $1 and created_at > now() - $2::bigint * interval '1 millisecond' order by created_at`, [userKey, Math.round(ttlMs)]));
      return rows.map((row) => open<string>(keys.sealKey, row.sid_sealed));
    },
    async remove(userKey, sessionIds) {
      if (sessionIds.length === 0) return;
      await db.run((ctx) => ctx.query('delete from verigate_session where user_id = $1 and sid_hash = any($2::text[])',
        [userKey, sessionIds.map((sid) => sessionHash(keys, sid))]));
    },
    inStatement: {
      keepHash: (sessionId) => (sessionId ? sessionHash(keys, sessionId) : null),
      open: (sealed) => sealed.map((value) => open<string>(keys.sealKey, value)),
    },
  };
}

/** The commands of an ioredis client (or Cluster) the Redis index uses. */
export interface RedisHashCommands {
  hset(key: string, field: string, value: string): Promise<unknown>;
  pexpire(key: string, ms: number): Promise<unknown>;
  hgetall(key: string): Promise<Record<string, string>>;
  hdel(key: string, ...fields: string[]): Promise<unknown>;
}

/**
 * The index in Redis: one hash per user (field: keyed hash of the session id, value: the sealed
 * id), with a TTL refreshed on every add. One key per user, so it works unchanged on a Redis Cluster;
 * the user part is a hash tag so any future multi-key use stays in one slot.
 */
export function redisSessionIndex(redis: RedisHashCommands, prefix: string, keys: SessionIndexKeys, ttlMs: number): SessionIndex {
  const keyOf = (userKey: string) => `${prefix}sessions:{${createHmac('sha256', keys.hashKey).update(`user:${userKey}`).digest('hex').slice(0, 32)}}`;
  return {
    async add(userKey, sessionId) {
      const key = keyOf(userKey);
      await redis.hset(key, sessionHash(keys, sessionId), seal(keys.sealKey, sessionId));
      await redis.pexpire(key, Math.round(ttlMs));
    },
    async list(userKey) {
      return Object.values(await redis.hgetall(keyOf(userKey))).map((sealed) => open<string>(keys.sealKey, sealed));
    },
    async remove(userKey, sessionIds) {
      if (sessionIds.length === 0) return;
      await redis.hdel(keyOf(userKey), ...sessionIds.map((sid) => sessionHash(keys, sid)));
    },
  };
}
