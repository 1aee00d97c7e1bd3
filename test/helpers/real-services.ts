import { createTestDatabase, type TestDatabase } from './database.ts';
import { createTestRedis, type TestRedis } from './redis.ts';
import { startSmtpSink, type SmtpSink } from './smtp-sink.ts';

export interface RealServices {
  db: TestDatabase;
  redis: TestRedis;
  sink: SmtpSink;
  /** Stops the sink, removes this file's Redis keys and drops its database. */
  close(): Promise<void>;
}

/** The three real dependencies an HTTP-level test needs, each isolated to the calling test file. */
export async function startRealServices(): Promise<RealServices> {
  const [db, redis, sink] = await Promise.all([createTestDatabase(), createTestRedis(), startSmtpSink()]);
  return {
    db, redis, sink,
    async close() {
      await Promise.all([sink.stop(), redis.close()]);
      await db.close();
    },
  };
}
