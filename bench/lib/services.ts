import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { Redis } from 'ioredis';
import { assertLoopback, settings } from './settings.ts';

/** A PostgreSQL database of the bench's own, dropped afterwards (also on Ctrl-C). */
export interface ScratchDatabase {
  name: string;
  url: string;
  /** Runs one statement on this database with a short-lived client. */
  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  drop(): Promise<void>;
}

const live = new Set<() => Promise<void>>();

async function onAdmin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: settings.databaseUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export async function createScratchDatabase(tag: string): Promise<ScratchDatabase> {
  assertLoopback(settings.databaseUrl, 'BENCH_DATABASE_URL');
  const name = `verigate_bench_${tag}_${randomBytes(3).toString('hex')}`;
  await onAdmin((c) => c.query(`create database ${name}`));
  const url = new URL(settings.databaseUrl);
  url.pathname = `/${name}`;
  let dropped = false;
  const drop = async () => {
    if (dropped) return;
    dropped = true;
    live.delete(drop);
    await onAdmin((c) => c.query(`drop database if exists ${name} with (force)`));
  };
  live.add(drop);
  return {
    name,
    url: url.href,
    async query<T>(text: string, params: unknown[] = []) {
      const client = new pg.Client({ connectionString: url.href });
      await client.connect();
      try {
        return (await client.query(text, params)).rows as T[];
      } finally {
        await client.end();
      }
    },
    drop,
  };
}

/** A Redis key prefix of the bench's own; `cleanRedisPrefix` removes its keys (SCAN, never FLUSHALL). */
export function redisPrefix(tag: string): string {
  return `verigate-bench:${tag}:${randomBytes(3).toString('hex')}:`;
}

export async function cleanRedisPrefix(prefix: string): Promise<number> {
  if (!prefix.startsWith('verigate-bench:')) throw new Error(`refusing to clean a foreign prefix ${prefix}`);
  const redis = new Redis(settings.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  let removed = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) removed += await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return removed;
}

/** Drops every scratch database still alive (normal end, an error, or Ctrl-C). */
export async function dropAllScratch(): Promise<void> {
  for (const drop of [...live]) await drop().catch((error) => console.error(`could not drop a scratch database: ${error.message}`));
}

export async function serverVersions(): Promise<{ postgres: string; redis: string }> {
  const postgres = await onAdmin(async (c) => (await c.query('show server_version')).rows[0].server_version as string);
  const redis = new Redis(settings.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  try {
    const info = await redis.info('server');
    return { postgres, redis: /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown' };
  } finally {
    redis.disconnect();
  }
}
