import { randomBytes } from 'node:crypto';
import type { Environment } from '../plugin/index.ts';
import { LOG_LEVELS, type LogLevel } from './logging.ts';

export type Env = Record<string, string | undefined>;

export interface ExampleMode {
  database: 'pglite' | 'postgresql';
  sessions: 'memory' | 'redis';
  mail: 'dev-mailbox' | 'smtp';
}

/** Everything the app reads from the environment, validated in one place. */
export interface Settings {
  environment: Environment;
  production: boolean;
  port: number;
  baseUrl: string;
  databaseUrl?: string;
  redisUrl?: string;
  redisPrefix: string;
  smtpUrl?: string;
  mailFrom: string;
  verigateSecret: string;
  sessionSecret: string;
  /** Express `trust proxy` value, when the app runs behind a TLS-terminating proxy. */
  trustProxy?: string | number;
  /** LOG_LEVEL: access log and verigate's events from `info`, every SQL statement at `debug`. Default `info` (`silent` under test). */
  logLevel: LogLevel;
  mode: ExampleMode;
}

export class SettingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SettingsError';
  }
}

const MIN_SECRET_LENGTH = 32;

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

function secretFrom(env: Env, name: string, production: boolean): string {
  const value = nonEmpty(env[name]);
  if (value) {
    if (value.length < MIN_SECRET_LENGTH) throw new SettingsError(`${name} must be at least ${MIN_SECRET_LENGTH} characters of random data.`);
    return value;
  }
  if (production) {
    throw new SettingsError(`${name} is required when NODE_ENV=production. Generate one with: node -e "console.log(require('crypto').randomBytes(32).toString('base64url'))"`);
  }
  // A random secret per start is fine for a demo, but signs everyone out and voids every emailed link on restart.
  process.stderr.write(`warning: ${name} is not set; using a random one for this run (sessions and links will not survive a restart).\n`);
  return randomBytes(32).toString('base64url');
}

function parsePort(value: string | undefined): number {
  if (value === undefined || value.trim() === '') return 3000;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new SettingsError(`PORT must be a whole number from 0 to 65535 (got ${JSON.stringify(value)}).`);
  return port;
}

function parseBaseUrl(value: string | undefined, port: number): string {
  const raw = value ?? `http://localhost:${port}`;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new SettingsError(`BASE_URL must be an absolute URL such as https://app.example.com (got ${JSON.stringify(raw)}).`);
  }
  if (url.pathname !== '/' || url.search || url.hash) throw new SettingsError(`BASE_URL must be an origin only, without a path (got ${JSON.stringify(raw)}).`);
  return url.origin;
}

function parseLogLevel(value: string | undefined, environment: Environment): LogLevel {
  const level = nonEmpty(value)?.toLowerCase() ?? (environment === 'test' ? 'silent' : 'info');
  if (!(LOG_LEVELS as readonly string[]).includes(level)) throw new SettingsError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')} (got ${JSON.stringify(value)}).`);
  return level as LogLevel;
}

function parseTrustProxy(value: string | undefined): string | number | undefined {
  const trimmed = nonEmpty(value);
  if (trimmed === undefined) return undefined;
  return /^\d+$/.test(trimmed) ? Number(trimmed) : trimmed;
}

/**
 * Without these the app falls back to demo stand-ins: an in-memory database, in-memory sessions and
 * a dev mailbox whose /dev/mail page is public and shows everyone's verification links. A production
 * start must never fall back silently, so it refuses instead.
 */
const PRODUCTION_SERVICES = {
  DATABASE_URL: 'an in-memory database that loses every account on restart',
  REDIS_URL: 'in-memory sessions that sign everyone out on restart',
  SMTP_URL: "a dev mailbox whose PUBLIC /dev/mail page shows everyone's verification links",
} as const;

function requireProductionServices(env: Env): void {
  const missing = (Object.keys(PRODUCTION_SERVICES) as (keyof typeof PRODUCTION_SERVICES)[]).filter((name) => !nonEmpty(env[name]));
  if (missing.length === 0) return;
  const consequences = missing.map((name) => `without ${name} it would use ${PRODUCTION_SERVICES[name]}`).join('; ');
  throw new SettingsError(
    `NODE_ENV=production requires DATABASE_URL, REDIS_URL and SMTP_URL; missing: ${missing.join(', ')}. ` +
    `Refusing to start: ${consequences}.`,
  );
}

export function readSettings(env: Env): Settings {
  const nodeEnv = env.NODE_ENV;
  const environment: Environment = nodeEnv === 'production' ? 'production' : nodeEnv === 'test' ? 'test' : 'development';
  const production = environment === 'production';
  if (production) requireProductionServices(env);
  const port = parsePort(env.PORT);
  const databaseUrl = nonEmpty(env.DATABASE_URL);
  const redisUrl = nonEmpty(env.REDIS_URL);
  const smtpUrl = nonEmpty(env.SMTP_URL);
  return {
    environment,
    production,
    port,
    baseUrl: parseBaseUrl(nonEmpty(env.BASE_URL), port),
    databaseUrl,
    redisUrl,
    redisPrefix: nonEmpty(env.REDIS_PREFIX) ?? 'example:sess:',
    smtpUrl,
    mailFrom: nonEmpty(env.MAIL_FROM) ?? 'Example App <no-reply@example.test>',
    verigateSecret: secretFrom(env, 'VERIGATE_SECRET', production),
    sessionSecret: secretFrom(env, 'SESSION_SECRET', production),
    trustProxy: parseTrustProxy(env.TRUST_PROXY),
    logLevel: parseLogLevel(env.LOG_LEVEL, environment),
    mode: {
      database: databaseUrl ? 'postgresql' : 'pglite',
      sessions: redisUrl ? 'redis' : 'memory',
      mail: smtpUrl ? 'smtp' : 'dev-mailbox',
    },
  };
}
