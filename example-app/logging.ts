import { DefaultLogger, type LogContext, type LoggerOptions } from '@mikro-orm/core';
import type { RequestHandler } from 'express';
import morgan from 'morgan';
import { morganReferrer, morganUrl, type Logger } from '../plugin/index.ts';

export type LogLevel = 'silent' | 'error' | 'warn' | 'info' | 'debug';
export const LOG_LEVELS: readonly LogLevel[] = ['silent', 'error', 'warn', 'info', 'debug'];

/** Where every line goes: stdout by default, a test's buffer in tests. */
export type LogWriter = (line: string) => void;

export interface AppLogging {
  /** verigate's logger: one JSON line per event (pino's shape), at or above the level. */
  logger: Logger;
  /** The access log (morgan, `combined`, tokens masked), or null when the level is below info. */
  accessLog: RequestHandler | null;
  /** MikroORM options: at debug, every SQL statement with its parameters. */
  orm: { debug: boolean; loggerFactory?: (options: LoggerOptions) => DefaultLogger };
}

// The emailed link carries its token in the query string: every URL morgan prints passes through
// verigate's masks. morgan's tokens are process-wide, so this is set once, here.
morgan.token('url', morganUrl);
morgan.token('referrer', morganReferrer);

/** MikroORM's logger with each statement's bound parameters added, the most a query log can show. */
class QueryLogger extends DefaultLogger {
  override logQuery(context: { query: string } & LogContext): void {
    const params = Array.isArray(context.params) && context.params.length
      ? ` -- params ${JSON.stringify(context.params, (_key, value) => (typeof value === 'bigint' ? value.toString() : value))}`
      : '';
    super.logQuery({ ...context, query: `${context.query}${params}` });
  }
}

export function createLogging(level: LogLevel, write: LogWriter): AppLogging {
  const rank = LOG_LEVELS.indexOf(level);
  const at = (wanted: LogLevel) => rank >= LOG_LEVELS.indexOf(wanted);
  const emit = (name: LogLevel, message: string, meta?: Record<string, unknown>) => {
    if (at(name)) write(`${JSON.stringify({ level: name, time: new Date().toISOString(), msg: message, ...meta })}\n`);
  };
  return {
    logger: {
      info: (message, meta) => emit('info', message, meta),
      warn: (message, meta) => emit('warn', message, meta),
      error: (message, meta) => emit('error', message, meta),
    },
    accessLog: at('info') ? morgan('combined', { stream: { write } }) : null,
    orm: at('debug') ? { debug: true, loggerFactory: (options) => new QueryLogger({ ...options, writer: (line) => write(`${line}\n`) }) } : { debug: false },
  };
}
