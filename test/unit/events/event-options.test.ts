import { inspect } from 'node:util';
import { describe, expect, it } from '@jest/globals';
import { VerigateConfigError } from '../../../src/config/config-error.ts';
import { resolveOptions } from '../../../src/config/resolve-options.ts';
import type { CoreOptions } from '../../../src/config/options.ts';

const SECRET = 'S3cr3t-value-that-is-long-enough-0123456789abcdef';
const HOOK_SECRET = 'whsec-options-0123456789-abcdefghijklmnopqrstu';
const fakeEm = { fork() {}, getConnection() {}, getTransactionContext() {}, getPlatform() {}, transactional() {} };

function resolve(extra: Record<string, unknown>) {
  return resolveOptions({
    baseUrl: 'https://app.example.com/verify', secret: SECRET, em: fakeEm,
    mail: { from: 'a@app.example.com', transport: 'smtp://127.0.0.1:25' }, ...extra,
  } as unknown as CoreOptions).config;
}

function codeOf(extra: Record<string, unknown>): { code: string; message: string } {
  try {
    resolve(extra);
  } catch (error) {
    expect(error).toBeInstanceOf(VerigateConfigError);
    return { code: (error as VerigateConfigError).code, message: (error as Error).message };
  }
  throw new Error('expected a VerigateConfigError');
}

const webhook = { url: 'https://crm.example.com/hooks', secret: HOOK_SECRET };
const redis = 'redis://127.0.0.1:6379';

describe('events options', () => {
  it('resolves sinks with documented defaults, keeping the webhook secret out of the config', () => {
    const config = resolve({ redis, events: { redisStream: true, webhook } });
    expect(config.events).toMatchObject({ sinks: ['redis', 'webhook'], redisStream: { key: 'verigate:events', maxLength: 100_000 }, timeoutMs: 5000 });
    expect(Object.isFrozen(config.events)).toBe(true);
    expect(JSON.stringify(config)).not.toContain(HOOK_SECRET);
    expect(inspect(config, { depth: 10 })).not.toContain(HOOK_SECRET);
    expect(config.events!.webhook!.sign('{}', 1)).toMatch(/^t=1,v1=[0-9a-f]{64}$/);
    expect(resolve({ events: { webhook }, worker: { sendTimeout: '2s', lease: '1m' } }).events!.timeoutMs).toBe(2000);
    expect(resolve({}).events).toBeUndefined();
  });

  it.each([
    [{ events: { webook: webhook } }, 'VERIGATE_UNKNOWN_OPTION', 'events.webhook'],
    [{ redis, events: { redisStream: { maxLenght: 10 } } }, 'VERIGATE_UNKNOWN_OPTION', 'events.redisStream.maxLength'],
    [{ events: { webhook: { ...webhook, secrett: 'x' } } }, 'VERIGATE_UNKNOWN_OPTION', 'events.webhook.secret'],
    [{ redis, inboundEvents: { stream: 's', claimAftr: '1m' } }, 'VERIGATE_UNKNOWN_OPTION', 'inboundEvents.claimAfter'],
    [{ redis, inboundEvent: { stream: 's' } }, 'VERIGATE_UNKNOWN_OPTION', 'inboundEvents'],
  ])('catches a misspelt key and names the right one: %j', (extra, code, suggestion) => {
    const error = codeOf(extra);
    expect(error.code).toBe(code);
    expect(error.message).toContain(`Did you mean ${suggestion}?`);
  });

  it.each([
    ['no sink', { events: {} }, 'VERIGATE_EVENTS_NO_SINK'],
    ['a stream without the redis option', { events: { redisStream: true } }, 'VERIGATE_EVENTS_NEED_REDIS'],
    ['a webhook without a secret', { events: { webhook: { url: webhook.url } } }, 'VERIGATE_WEAK_WEBHOOK_SECRET'],
    ['a short webhook secret', { events: { webhook: { ...webhook, secret: 'short' } } }, 'VERIGATE_WEAK_WEBHOOK_SECRET'],
    ['a short secret in a rotation list', { events: { webhook: { ...webhook, secret: [HOOK_SECRET, 'short'] } } }, 'VERIGATE_WEAK_WEBHOOK_SECRET'],
    ['a relative webhook URL', { events: { webhook: { ...webhook, url: '/hooks' } } }, 'VERIGATE_INVALID_WEBHOOK_URL'],
    ['a webhook URL with credentials', { events: { webhook: { ...webhook, url: 'https://u:p@crm.example.com/' } } }, 'VERIGATE_INVALID_WEBHOOK_URL'],
    ['a plain-http webhook in production', { environment: 'production', events: { webhook: { ...webhook, url: 'http://crm.example.com/' } } }, 'VERIGATE_INSECURE_WEBHOOK_URL'],
    ['a timeout above worker.sendTimeout', { events: { webhook, timeout: '20s' } }, 'VERIGATE_EVENTS_TIMEOUT_TOO_LONG'],
    ['a stream key with a space', { redis, events: { redisStream: { key: 'my events' } } }, 'VERIGATE_INVALID_EVENT_STREAM'],
    ['a zero maxLength', { redis, events: { redisStream: { maxLength: 0 } } }, 'VERIGATE_INVALID_NUMBER'],
    ['inbound events without redis', { inboundEvents: { stream: 'users' } }, 'VERIGATE_INBOUND_NEEDS_REDIS'],
    ['inbound events without a stream', { redis, inboundEvents: {} }, 'VERIGATE_INVALID_INBOUND'],
    ['a block over 60 s', { redis, inboundEvents: { stream: 'users', block: '2m' } }, 'VERIGATE_INVALID_INBOUND'],
    ['a bad claimAfter', { redis, inboundEvents: { stream: 'users', claimAfter: 'soon' } }, 'VERIGATE_INVALID_DURATION'],
  ])('refuses %s', (_, extra, code) => {
    expect(codeOf(extra).code).toBe(code);
  });

  it('accepts plain-http webhooks in development and test, and resolves inbound defaults', () => {
    expect(resolve({ environment: 'development', events: { webhook: { ...webhook, url: 'http://127.0.0.1:9000/' } } }).events?.sinks).toEqual(['webhook']);
    const inbound = resolve({ redis, inboundEvents: { stream: 'users:events' } }).inboundEvents;
    expect(inbound).toMatchObject({ stream: 'users:events', group: 'verigate', blockMs: 5000, claimAfterMs: 60_000, batchSize: 10, autoStart: true });
    expect(inbound!.consumer).toMatch(/:\d+$/);
  });
});
