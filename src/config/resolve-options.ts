import { systemClock } from '../ports/clock.ts';
import { defaultLogger } from '../ports/logger.ts';
import { bool, checkKeys, duration, fail, isObject, positiveInt } from './checks.ts';
import type { CoreOptions, Environment } from './options.ts';
import { environmentFromNodeEnv } from './environment.ts';
import { resolveDatabase } from './resolve-database.ts';
import { isMikroOrmEntityManager } from '../db/mikro-orm.ts';
import { createAddressPolicy } from '../email/address-policy.ts';
import { resolveLimitOptions } from '../limits/limit-options.ts';
import { resolveAuditOptions } from '../audit/audit-options.ts';
import type { ResolvedConfig } from './resolved-config.ts';
import { resolveEventOptions, resolveInboundOptions } from '../events/event-options.ts';
import { resolveBounceOptions } from '../bounces/bounce-options.ts';

export const CORE_KEYS = ['baseUrl', 'secret', 'em', 'database', 'migrate', 'databaseTimeout', 'mail', 'tokenTtl', 'undoTtl',
  'environment', 'appName', 'addresses', 'users', 'redis', 'limits', 'redisPrefix', 'redisTimeout', 'sessionLifetime', 'sessionIndex', 'hooks', 'logger', 'clock', 'worker', 'retention', 'audit',
  'events', 'inboundEvents', 'bounces'] as const;
const MAIL_KEYS = ['from', 'transport'] as const;
const HOOK_KEYS = ['onVerificationSent', 'onVerified', 'onEmailChanged', 'onEmailChangeReverted', 'onEmailDead', 'onAddressSuppressed'] as const;
const USER_STORE_KEYS = ['setEmail', 'verifyPassword', 'isEmailTaken', 'findByEmail', 'findById'] as const;
const WORKER_KEYS = ['autoStart', 'pollInterval', 'maxAttempts', 'retryBase', 'batchSize', 'sendTimeout', 'lease', 'listen'] as const;

export const MIN_SECRET_LENGTH = 32;

function environmentOf(value: unknown): { environment: Environment; fromNodeEnv: boolean } {
  if (value === undefined) {
    return { environment: environmentFromNodeEnv(process.env.NODE_ENV), fromNodeEnv: true };
  }
  if (value !== 'production' && value !== 'development' && value !== 'test') {
    fail('VERIGATE_INVALID_ENVIRONMENT', `environment must be 'production', 'development' or 'test'.`, `Got ${JSON.stringify(value)}.`);
  }
  return { environment: value, fromNodeEnv: false };
}

/** Why verigate thinks it is in production, in words that name what to change. */
function productionBecause(fromNodeEnv: boolean): string {
  if (!fromNodeEnv) return `environment: 'production' was passed`;
  const env = process.env.NODE_ENV;
  return env === undefined
    ? 'NODE_ENV is not set, and verigate treats that as production (the safe default)'
    : `NODE_ENV is ${JSON.stringify(env)}; only exactly 'development' or 'test' count as non-production`;
}

function parseBaseUrl(value: unknown, environment: Environment, fromNodeEnv: boolean): URL {
  if (typeof value !== 'string' || value === '') {
    fail('VERIGATE_BASE_URL_REQUIRED', 'baseUrl is required: links in emails are built from it, never from request headers.',
      `Pass the public URL where you mount the router, e.g. baseUrl: 'https://app.example.com/verify'.`);
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    fail('VERIGATE_INVALID_BASE_URL', `baseUrl ${JSON.stringify(value)} is not an absolute URL.`, `Use e.g. 'https://app.example.com/verify'.`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    fail('VERIGATE_INVALID_BASE_URL', `baseUrl must use https (got ${url.protocol}).`, `Use e.g. 'https://app.example.com/verify'.`);
  }
  if (url.protocol === 'http:' && environment === 'production') {
    fail('VERIGATE_INSECURE_BASE_URL', `baseUrl must use https in production (got ${url.origin}); ${productionBecause(fromNodeEnv)}.`,
      fromNodeEnv
        ? `For local work start the app with NODE_ENV=development (e.g. NODE_ENV=development node app.js); in production serve it over https and use an https baseUrl.`
        : `Serve the app over https, or pass environment: 'development' for local work.`);
  }
  // A bare trailing '?' or '#' leaves url.search/hash empty but would still break every link.
  if (value.includes('?') || value.includes('#') || url.username || url.password) {
    fail('VERIGATE_INVALID_BASE_URL', 'baseUrl must not carry a query, fragment or credentials.', `Use just origin and mount path, e.g. 'https://app.example.com/verify'.`);
  }
  return url;
}

function resolveStorage(options: CoreOptions): Pick<ResolvedConfig, 'em' | 'database'> {
  const hasEm = options.em !== undefined;
  const hasDatabase = options.database !== undefined;
  if (hasEm === hasDatabase) {
    fail('VERIGATE_STORAGE_REQUIRED', hasEm ? 'Give either em or database, not both.' : 'verigate needs a PostgreSQL database: pass database or em.',
      `Without MikroORM: database: process.env.DATABASE_URL. With your MikroORM: em: orm.em.`);
  }
  if (hasDatabase) return { database: resolveDatabase(options.database!) };
  const em = options.em as unknown;
  if (!isMikroOrmEntityManager(em)) {
    fail('VERIGATE_EM_REQUIRED', 'em must be a MikroORM SQL EntityManager (orm.em).',
      `Pass em: orm.em from MikroORM.init() with the PostgreSQL or PGlite driver, or use database: 'postgresql://…' instead.`);
  }
  return { em: options.em };
}

function resolveFunctions<T>(code: string, name: string, value: unknown, known: readonly string[], required: readonly string[] = []): T | undefined {
  if (value === undefined) return undefined;
  if (!isObject(value)) fail(code, `${name} must be an object of functions.`, `Known: ${known.join(', ')}.`);
  checkKeys(`${name}.`, value, known);
  for (const [key, fn] of Object.entries(value)) {
    if (fn !== undefined && typeof fn !== 'function') fail(code, `${name}.${key} must be a function.`, `Got ${typeof fn}.`);
  }
  for (const key of required) {
    if (typeof value[key] !== 'function') fail(code, `${name}.${key} is required.`, `e.g. ${name}: { ${key}: async (…) => … }; see the README.`);
  }
  return Object.freeze({ ...value }) as T;
}

function resolveMail(value: unknown, environment: Environment): ResolvedConfig['mail'] {
  if (!isObject(value)) fail('VERIGATE_MAIL_REQUIRED', 'mail is required.', `Pass mail: { from: 'App <no-reply@example.com>', transport: 'smtp://…' or a nodemailer transporter }.`);
  checkKeys('mail.', value, MAIL_KEYS);
  if (typeof value.from !== 'string' || !value.from.includes('@') || /[\r\n]/.test(value.from)) {
    fail('VERIGATE_INVALID_MAIL_FROM', 'mail.from must be a sender address on one line.', `e.g. 'Acme <no-reply@acme.example>'.`);
  }
  const transport = value.transport;
  if (!(typeof transport === 'string' && /^smtps?:\/\//.test(transport)) && !(isObject(transport) && typeof transport.sendMail === 'function')) {
    fail('VERIGATE_INVALID_MAIL_TRANSPORT', 'mail.transport must be an smtp:// or smtps:// URL or an object with sendMail() (a nodemailer transporter).',
      `e.g. transport: process.env.SMTP_URL, nodemailer.createTransport({...}) or devMailbox().transport.`);
  }
  if (isObject(transport) && transport.devMailbox === true && environment === 'production') {
    fail('VERIGATE_DEV_MAILBOX_IN_PRODUCTION', 'mail.transport is a dev mailbox, whose page shows every live link, but the environment is production.',
      `Use a real SMTP transport in production (mail: { transport: process.env.SMTP_URL }), or set NODE_ENV=development for local work.`);
  }
  return Object.freeze({ from: value.from, transport: transport as ResolvedConfig['mail']['transport'] });
}

function resolveRedis(value: unknown): ResolvedConfig['redis'] {
  if (value === undefined) return undefined;
  const client = value as Record<string, unknown>;
  const isClient = isObject(value) && typeof client.hset === 'function' && typeof client.hgetall === 'function';
  const isAddress = (typeof value === 'string' && /^rediss?:\/\//.test(value)) || Array.isArray(value) || (isObject(value) && Array.isArray(client.cluster));
  if (!isClient && !isAddress) {
    fail('VERIGATE_INVALID_REDIS', 'redis must be an ioredis client or Cluster, a redis:// URL, a list of cluster node URLs or { cluster: [...] }.',
      `e.g. redis: process.env.REDIS_URL, or the same ioredis client your connect-redis store uses.`);
  }
  return value as ResolvedConfig['redis'];
}

function resolvePrefix(value: unknown): string {
  const prefix = value ?? 'verigate:';
  if (typeof prefix !== 'string' || !/^[\w:.-]{1,64}$/.test(prefix)) {
    fail('VERIGATE_INVALID_REDIS_PREFIX', 'redisPrefix must be 1 to 64 letters, digits or _ : . -', `Got ${JSON.stringify(value)}; e.g. 'verigate:'.`);
  }
  return prefix;
}

function resolveSessionIndex(value: unknown, hasRedis: boolean): 'database' | 'redis' {
  const index = value ?? 'database';
  if (index !== 'database' && index !== 'redis') {
    fail('VERIGATE_INVALID_SESSION_INDEX', `sessionIndex must be 'database' or 'redis'.`, `Got ${JSON.stringify(value)}; leave it out for 'database'.`);
  }
  if (index === 'redis' && !hasRedis) {
    fail('VERIGATE_INVALID_SESSION_INDEX', `sessionIndex: 'redis' needs the redis option.`, `Pass redis (your ioredis client or a redis:// URL), or leave sessionIndex out to keep the index in PostgreSQL.`);
  }
  return index;
}

/**
 * Validates the core's options once, at start-up, and returns a frozen config plus the secret
 * (kept apart so the config can be logged). `extraKeys` are options another layer (the Express
 * adapter) resolves itself. Throws `VerigateConfigError` with a code and a hint on any mistake.
 */
export function resolveOptions(options: CoreOptions, extraKeys: readonly string[] = []): { config: ResolvedConfig; secret: string } {
  if (!isObject(options)) fail('VERIGATE_OPTIONS_REQUIRED', 'emailVerification(options) needs an options object.', 'See the options table in the README.');
  checkKeys('', options, [...CORE_KEYS, ...extraKeys]);
  const { environment, fromNodeEnv } = environmentOf(options.environment);
  const url = parseBaseUrl(options.baseUrl, environment, fromNodeEnv);

  if (typeof options.secret !== 'string' || options.secret.length < MIN_SECRET_LENGTH) {
    fail('VERIGATE_WEAK_SECRET', `secret must be a string of at least ${MIN_SECRET_LENGTH} characters.`,
      `Generate one with: node -p "require('crypto').randomBytes(32).toString('base64url')" and load it from the environment.`);
  }
  const worker = options.worker ?? {};
  if (!isObject(worker)) fail('VERIGATE_INVALID_WORKER', 'worker must be an object.', `Known worker options: ${WORKER_KEYS.join(', ')}.`);
  checkKeys('worker.', worker, WORKER_KEYS);

  const config: ResolvedConfig = {
    baseUrl: url.href.replace(/\/+$/, ''),
    basePath: url.pathname.replace(/\/+$/, ''),
    environment,
    ...resolveStorage(options),
    migrate: bool('migrate', options.migrate, true),
    databaseTimeoutMs: duration('databaseTimeout', options.databaseTimeout, '1500ms'),
    mail: resolveMail(options.mail, environment),
    tokenTtlMs: duration('tokenTtl', options.tokenTtl, '24h'),
    undoTtlMs: duration('undoTtl', options.undoTtl, '7d'),
    appName: typeof options.appName === 'string' && options.appName ? options.appName : url.hostname,
    addressPolicy: createAddressPolicy(options.addresses ?? {}),
    users: resolveFunctions('VERIGATE_INVALID_USERS', 'users', options.users, USER_STORE_KEYS),
    redis: resolveRedis(options.redis),
    limits: resolveLimitOptions(options.limits),
    redisPrefix: resolvePrefix(options.redisPrefix),
    redisTimeoutMs: duration('redisTimeout', options.redisTimeout, '1s'),
    sessionLifetimeMs: duration('sessionLifetime', options.sessionLifetime, '30d'),
    sessionIndex: resolveSessionIndex(options.sessionIndex, options.redis !== undefined),
    hooks: resolveFunctions('VERIGATE_INVALID_HOOKS', 'hooks', options.hooks, HOOK_KEYS) ?? Object.freeze({}),
    logger: options.logger ?? defaultLogger,
    clock: options.clock ?? systemClock,
    retentionMs: duration('retention', options.retention, '7d'),
    audit: resolveAuditOptions(options.audit),
    bounces: resolveBounceOptions(options.bounces),
    worker: Object.freeze({
      autoStart: bool('worker.autoStart', worker.autoStart, true, 'VERIGATE_INVALID_WORKER'),
      pollIntervalMs: duration('worker.pollInterval', worker.pollInterval, '2s'),
      maxAttempts: positiveInt('worker.maxAttempts', worker.maxAttempts, 8),
      retryBaseMs: duration('worker.retryBase', worker.retryBase, '30s'),
      batchSize: positiveInt('worker.batchSize', worker.batchSize, 10),
      sendTimeoutMs: duration('worker.sendTimeout', worker.sendTimeout, '15s'),
      leaseMs: duration('worker.lease', worker.lease, '2m'),
      listen: bool('worker.listen', worker.listen, true, 'VERIGATE_INVALID_WORKER'),
    }),
  };
  if (config.worker.leaseMs < 2 * config.worker.sendTimeoutMs) {
    fail('VERIGATE_LEASE_TOO_SHORT', 'worker.lease must be at least twice worker.sendTimeout.',
      'A lease that can run out mid-send lets another worker send the same email again.');
  }
  const eventContext = { environment, hasRedis: config.redis !== undefined, redisPrefix: config.redisPrefix, sendTimeoutMs: config.worker.sendTimeoutMs };
  const events = resolveEventOptions(options.events, eventContext);
  const inboundEvents = resolveInboundOptions(options.inboundEvents, eventContext);
  return { config: Object.freeze({ ...config, ...(events ? { events } : {}), ...(inboundEvents ? { inboundEvents } : {}) }), secret: options.secret };
}
