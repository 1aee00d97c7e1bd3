import type { Logger } from '../ports/logger.ts';
import { describeError } from '../logging/redact.ts';

/** A `pg.Pool` (verigate's own, or behind the host's MikroORM PostgreSQL driver). */
export interface PgPoolForListen {
  connect(): Promise<PgListenClient>;
}

interface PgListenClient {
  query(text: string): Promise<unknown>;
  on(event: 'notification', listener: (message: { channel: string }) => void): unknown;
  on(event: 'error' | 'end', listener: (error?: Error) => void): unknown;
  removeAllListeners(event?: string): unknown;
  release(error?: Error | boolean): void;
}

/** PGlite's own LISTEN API. */
export interface PgliteForListen {
  listen(channel: string, callback: (payload: string) => void): Promise<() => Promise<void>>;
}

export interface Listening {
  close(): Promise<void>;
}

const RETRY_MS = [500, 1000, 2000, 5000];

/**
 * LISTEN on a dedicated pooled connection, re-established after any failure (with a wake-up, since
 * notifications may have been missed meanwhile). Polling remains the fallback either way.
 */
export function listenOnPool(pool: PgPoolForListen, channel: string, onNotify: () => void, logger: Logger): Listening {
  let client: PgListenClient | undefined;
  let closed = false;
  let attempt = 0;
  let timer: NodeJS.Timeout | undefined;

  const connect = async () => {
    if (closed) return;
    try {
      const next = await pool.connect();
      next.on('notification', (message) => { if (message.channel === channel) onNotify(); });
      next.on('error', () => reconnect(next));
      next.on('end', () => reconnect(next));
      await next.query(`listen ${channel}`);
      if (closed) return void next.release(true);
      client = next;
      attempt = 0;
      onNotify();
    } catch (error) {
      logger.info('outbox notifications unavailable for now; polling meanwhile', { error: describeError(error) });
      schedule();
    }
  };
  const schedule = () => {
    if (closed) return;
    timer = setTimeout(connect, RETRY_MS[Math.min(attempt++, RETRY_MS.length - 1)]);
    timer.unref();
  };
  const reconnect = (broken: PgListenClient) => {
    if (client !== broken) return;
    client = undefined;
    broken.removeAllListeners();
    broken.release(true);
    schedule();
  };
  void connect();
  return {
    async close() {
      closed = true;
      clearTimeout(timer);
      const current = client;
      client = undefined;
      if (current) {
        current.removeAllListeners();
        // Destroyed rather than returned: a LISTENing connection must not be handed to anyone else.
        current.release(true);
      }
    },
  };
}

export async function listenOnPglite(pglite: PgliteForListen, channel: string, onNotify: () => void): Promise<Listening> {
  const unlisten = await pglite.listen(channel, () => onNotify());
  return { close: () => unlisten() };
}
