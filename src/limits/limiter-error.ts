/**
 * The limiter could not get an answer from its store (Redis down, slow, or closed). Requests are
 * then refused, never let through: `isInfrastructureError` recognises it (by `name`), so the HTTP
 * layer answers a fast 503. `code` is `ETIMEDOUT` when verigate's own deadline ran out.
 */
export class LimiterUnavailableError extends Error {
  override readonly name = 'ServiceUnavailableError';
  readonly code: 'ETIMEDOUT' | 'VERIGATE_LIMITER_UNAVAILABLE';

  constructor(message: string, code: LimiterUnavailableError['code'], cause?: unknown) {
    super(`rate limiter unavailable: ${message}`, cause === undefined ? undefined : { cause });
    this.code = code;
  }
}

/**
 * Settles like `promise`, or rejects with `LimiterUnavailableError` after `ms`. The deadline is our
 * own: a host's client may queue commands offline or retry for far longer than a request can wait.
 */
export function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new LimiterUnavailableError(`${what} took longer than ${ms} ms`, 'ETIMEDOUT')), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/** Wraps any store failure so callers see one infrastructure error type, with the original as `cause`. */
export function unavailable(error: unknown): LimiterUnavailableError {
  if (error instanceof LimiterUnavailableError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new LimiterUnavailableError(message, 'VERIGATE_LIMITER_UNAVAILABLE', error);
}
