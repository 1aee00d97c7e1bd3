import { randomBytes } from 'node:crypto';
import { environmentFromNodeEnv, type Environment } from '../plugin/index.ts';
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

/**
 * Why the app runs as production, in words that name the variable: `NODE_ENV=Production` or an
 * unset NODE_ENV must not look like a mystery when the app then refuses to start.
 */
function productionBecause(env: Env): string {
  const value = env.NODE_ENV;
  if (value === undefined) return 'NODE_ENV is not set, which counts as production (the safe default; `npm start` sets NODE_ENV=development for you)';
  if (value === 'production') return 'NODE_ENV=production';
  return `NODE_ENV is ${JSON.stringify(value)}, which counts as production (only exactly "development" or "test" do not)`;
}

function secretFrom(env: Env, name: string, production: boolean): string {
  const value = nonEmpty(env[name]);
  if (value) {
    if (value.length < MIN_SECRET_LENGTH) throw new SettingsError(`${name} must be at least ${MIN_SECRET_LENGTH} characters of random data.`);
    return value;
  }
  if (production) {
    throw new SettingsError(`${name} is required in production (${productionBecause(env)}). Generate one with: node -e "console.log(require('crypto').randomBytes(32).toString('base64url'))"`);
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
    `Production requires DATABASE_URL, REDIS_URL and SMTP_URL (${productionBecause(env)}); missing: ${missing.join(', ')}. ` +
    `Refusing to start: ${consequences}. For local work set NODE_ENV=development.`,
  );
}

export function readSettings(env: Env): Settings {
  // verigate's own rule, not a copy: only exactly 'development' and 'test' are non-production, and an
  // unset NODE_ENV is production. `npm start` passes NODE_ENV=development explicitly (package.json).
  const environment: Environment = environmentFromNodeEnv(env.NODE_ENV);
  const production = environment === 'production';
  if (production) requireProductionServices(env);
  const port = parsePort(env.PORT);
  const databaseUrl = nonEmpty(env.DATABASE_URL);
  const redisUrl = nonEmpty(env.REDIS_URL);
  const smtpUrl = nonEmpty(env.SMTP_URL);
  const baseUrl = parseBaseUrl(nonEmpty(env.BASE_URL), port);
  // verigate would refuse an http baseUrl too, but could only say "environment: 'production' was passed".
  if (production && !baseUrl.startsWith('https:')) {
    throw new SettingsError(`BASE_URL must be an https origin in production (${productionBecause(env)}); got ${JSON.stringify(baseUrl)}. ` +
      'Set BASE_URL=https://your-domain, or NODE_ENV=development for local work.');
  }
  return {
    environment,
    production,
    port,
    baseUrl,
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
