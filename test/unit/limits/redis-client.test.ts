import { describe, expect, it, jest } from '@jest/globals';
import { VerigateConfigError } from '../../../src/config/config-error.ts';
import { LimiterUnavailableError, withDeadline } from '../../../src/limits/limiter-error.ts';
import { createRedisClient, reconnectDelayMs, type RedisClient } from '../../../src/limits/redis-client.ts';
import { throttledWarn } from '../../../src/limits/throttled-log.ts';
import { isInfrastructureError } from '../../../src/http/infrastructure-error.ts';

describe('createRedisClient', () => {
  it('uses a host client as is and never closes it', async () => {
    const quit = jest.fn(async () => 'OK');
    const host = { status: 'ready', sendCommand: () => {}, quit, disconnect: jest.fn() } as unknown as RedisClient;
    const connection = createRedisClient(host);
    expect(connection.client).toBe(host);
    expect(connection.owned).toBe(false);
    await connection.close();
    expect(quit).not.toHaveBeenCalled();
  });

  it.each([
    ['an http URL', 'http://127.0.0.1:6379'],
    ['no URL at all', 'localhost:6379'],
    ['a bad cluster list', 'redis://a:7000,nonsense'],
    ['an empty cluster', { cluster: [] }],
    ['a cluster node without a port', { cluster: [{ host: 'a' }] }],
    ['a number', 6379],
  ])('refuses %s with a config error', (_name, input) => {
    expect(() => createRedisClient(input as never)).toThrow(VerigateConfigError);
  });
});

describe('reconnectDelayMs', () => {
  it('backs off, but never beyond 2 seconds, so a restarted Redis is found again soon', () => {
    expect(reconnectDelayMs(1)).toBeLessThanOrEqual(100);
    expect(reconnectDelayMs(4)).toBeGreaterThan(reconnectDelayMs(1));
    for (const attempt of [10, 100, 10_000]) {
      expect(reconnectDelayMs(attempt)).toBeLessThanOrEqual(2000);
      expect(reconnectDelayMs(attempt)).toBeGreaterThanOrEqual(1600);
    }
  });
});

describe('throttledWarn', () => {
  it('reports the first warning, then at most one per interval with a count of those left out', () => {
    let now = 0;
    const warn = jest.fn();
    const log = throttledWarn({ info: () => {}, warn, error: () => {} }, 10_000, () => now);
    log('down', { error: 'a' });
    for (let i = 0; i < 50; i++) { now += 100; log('down', { error: 'b' }); }
    expect(warn).toHaveBeenCalledTimes(1);
    now = 10_000;
    log('down', { error: 'c' });
    expect(warn).toHaveBeenLastCalledWith('down', { error: 'c', suppressed: 50 });
  });
});

describe('withDeadline', () => {
  it('rejects with an infrastructure error when the deadline passes first', async () => {
    const started = Date.now();
    const error = await withDeadline(new Promise(() => {}), 50, 'consume').catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(error).toBeInstanceOf(LimiterUnavailableError);
    expect((error as LimiterUnavailableError).code).toBe('ETIMEDOUT');
    expect(isInfrastructureError(error)).toBe(true);
  });

  it('passes the result through when in time', async () => {
    await expect(withDeadline(Promise.resolve(7), 50, 'x')).resolves.toBe(7);
  });
});
