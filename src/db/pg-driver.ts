import type { ResolvedDatabaseSettings } from '../storage/database-settings.ts';
import { listenOnPool, type PgPoolForListen } from './notify-listener.ts';
import { pgContext, type SqlDriver } from './sql-context.ts';

/**
 * verigate's own pool (node-postgres), for hosts without MikroORM. Every wait is bounded:
 * connecting and getting a pooled connection (`connectTimeout`), each statement on the server
 * (`statement_timeout`) and on the client (`query_timeout`, which also covers a server that
 * accepted the connection and then went silent).
 */
export async function openPgDriver(settings: ResolvedDatabaseSettings): Promise<SqlDriver> {
  const { default: pg } = await import('pg');
  const pool = new pg.Pool({
    connectionString: settings.url,
    host: settings.host,
    port: settings.port,
    user: settings.user,
    password: settings.password,
    database: settings.database,
    ...(settings.ssl !== undefined ? { ssl: settings.ssl } : {}),
    max: settings.poolMax,
    connectionTimeoutMillis: settings.connectTimeoutMs,
    statement_timeout: settings.statementTimeoutMs,
    query_timeout: settings.statementTimeoutMs + 1000,
    idleTimeoutMillis: 30_000,
    application_name: 'verigate',
  });
  // A server-side disconnect of an idle client is reported here; without a listener it would crash the process.
  pool.on('error', () => {});
  return {
    run: (work) => work(pgContext(pool, { prepare: true })),
    async transaction(work) {
      const client = await pool.connect();
      // A connection lost while checked out is also emitted as 'error' on the client (its statement fails
      // anyway); without a listener that event would crash the host's process.
      let broken: Error | undefined;
      const lost = (error: Error) => { broken = error; };
      client.on('error', lost);
      try {
        await client.query('begin');
        const result = await work(pgContext(client, { prepare: true }));
        await client.query('commit');
        return result;
      } catch (error) {
        try {
          await client.query('rollback');
        } catch (rollbackError) {
          broken = rollbackError as Error;
        }
        throw error;
      } finally {
        // A client whose rollback failed, or whose connection was lost, is in an unknown state: destroy it rather than reuse it.
        client.off('error', lost);
        client.release(broken);
      }
    },
    close: () => pool.end(),
    listen: async (channel, onNotify, logger) => listenOnPool(pool as unknown as PgPoolForListen, channel, onNotify, logger),
  };
}
