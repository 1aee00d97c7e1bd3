import { describeError } from '../logging/redact.ts';
import type { Logger } from '../ports/logger.ts';

/** Hooks are side effects of something already committed: a failing hook is reported, not propagated. */
export async function runHook<T>(logger: Logger, name: string, hook: ((event: T) => unknown) | undefined, event: T): Promise<void> {
  if (!hook) return;
  try {
    await hook(event);
  } catch (error) {
    logger.error(`hook ${name} threw; the operation itself succeeded`, { error: describeError(error) });
  }
}
