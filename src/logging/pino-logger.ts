import type { Logger } from '../ports/logger.ts';

/** A pino logger (or anything that logs `(object, message)` like it, e.g. bunyan). */
export interface PinoLike {
  info(object: object, message?: string): void;
  warn(object: object, message?: string): void;
  error(object: object, message?: string): void;
}

/**
 * verigate logs `(message, fields)`, as console and winston take it; pino takes the fields first
 * and would drop them. `logger: pinoLogger(pino())` puts them where pino wants them, so every audit
 * event becomes one JSON line with its `event` field: `{"level":30,"event":"verigate.verification.sent",…}`.
 */
export function pinoLogger(pino: PinoLike): Logger {
  return {
    info: (message, fields) => pino.info({ ...fields }, message),
    warn: (message, fields) => pino.warn({ ...fields }, message),
    error: (message, fields) => pino.error({ ...fields }, message),
  };
}
