/**
 * Where verigate reports what an operator should know. Never receives a raw token or a full link.
 * Called as `(message, fields)`, as `console` and winston take it; wrap pino in `pinoLogger()`.
 */
export interface Logger {
  info(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
  error(message: string, meta?: Record<string, unknown>): void;
}

/** Default: warnings and errors to stderr, info dropped. */
export const defaultLogger: Logger = {
  info: () => {},
  warn: (message, meta) => console.warn(`[verigate] ${message}`, meta ?? ''),
  error: (message, meta) => console.error(`[verigate] ${message}`, meta ?? ''),
};
