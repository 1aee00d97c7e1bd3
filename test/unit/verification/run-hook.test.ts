import { describe, expect, it } from '@jest/globals';
import { runHook } from '../../../src/verification/run-hook.ts';

function recordingLogger() {
  const errors: Array<[string, Record<string, unknown> | undefined]> = [];
  return { errors, logger: { info() {}, warn() {}, error: (message: string, meta?: Record<string, unknown>) => { errors.push([message, meta]); } } };
}

describe('runHook', () => {
  it('calls the hook with the event and waits for it', async () => {
    const { logger, errors } = recordingLogger();
    const seen: unknown[] = [];
    await runHook(logger, 'onVerified', async (event: unknown) => { await new Promise((r) => setImmediate(r)); seen.push(event); }, { userId: 1 });
    expect(seen).toEqual([{ userId: 1 }]);
    expect(errors).toEqual([]);
  });

  it('does nothing without a hook', async () => {
    const { logger, errors } = recordingLogger();
    await expect(runHook(logger, 'onVerified', undefined, {})).resolves.toBeUndefined();
    expect(errors).toEqual([]);
  });

  it.each([
    ['throws', () => { throw new Error('host bug'); }],
    ['rejects', async () => { throw new Error('host bug'); }],
  ])('reports a hook that %s, naming it, and does not propagate', async (_how, hook) => {
    const { logger, errors } = recordingLogger();
    await expect(runHook(logger, 'onEmailChanged', hook, {})).resolves.toBeUndefined();
    expect(errors).toHaveLength(1);
    expect(errors[0][0]).toBe('hook onEmailChanged threw; the operation itself succeeded');
    expect(JSON.stringify(errors[0][1])).toContain('host bug');
  });
});
