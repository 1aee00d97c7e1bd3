import type { DatabaseSettings, ResolvedDatabaseSettings } from '../storage/database-settings.ts';
import { checkKeys, duration, fail, isObject, positiveInt } from './checks.ts';

const DATABASE_KEYS = ['url', 'host', 'port', 'user', 'password', 'database', 'ssl', 'poolMax', 'connectTimeout', 'statementTimeout'] as const;

function postgresUrl(value: unknown): string {
  if (typeof value !== 'string' || !/^postgres(ql)?:\/\//.test(value)) {
    fail('VERIGATE_INVALID_DATABASE', 'database must be a postgresql:// URL or an object of connection settings.',
      `e.g. database: process.env.DATABASE_URL ('postgresql://user:password@127.0.0.1:5432/app').`);
  }
  return value;
}

function optionalString(name: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '') fail('VERIGATE_INVALID_DATABASE', `database.${name} must be a non-empty string.`, `Got ${typeof value}.`);
  return value;
}

/** `database` as a URL or settings object; the password never appears in an error message. */
export function resolveDatabase(value: string | DatabaseSettings): ResolvedDatabaseSettings {
  const settings: Record<string, unknown> = isObject(value) ? value : { url: postgresUrl(value) };
  checkKeys('database.', settings, DATABASE_KEYS);
  if (settings.url !== undefined) postgresUrl(settings.url);
  else if (settings.database === undefined) {
    fail('VERIGATE_INVALID_DATABASE', 'database needs a url or at least database (the name).', `e.g. database: { host: '127.0.0.1', user: 'app', password: process.env.PGPASSWORD, database: 'app' }.`);
  }
  const port = settings.port;
  if (port !== undefined && (!Number.isInteger(port) || (port as number) < 1 || (port as number) > 65535)) {
    fail('VERIGATE_INVALID_DATABASE', 'database.port must be a port number.', `Got ${JSON.stringify(port)}.`);
  }
  const ssl = settings.ssl;
  if (ssl !== undefined && typeof ssl !== 'boolean' && !isObject(ssl)) fail('VERIGATE_INVALID_DATABASE', 'database.ssl must be true, false or an object of TLS options.', 'See the pg documentation for ssl.');
  return Object.freeze({
    url: settings.url as string | undefined,
    host: optionalString('host', settings.host),
    port: port as number | undefined,
    user: optionalString('user', settings.user),
    password: settings.password === undefined ? undefined : String(settings.password),
    database: optionalString('database', settings.database),
    ssl: ssl as boolean | Record<string, unknown> | undefined,
    poolMax: positiveInt('database.poolMax', settings.poolMax, 10),
    connectTimeoutMs: duration('database.connectTimeout', settings.connectTimeout, '2s'),
    statementTimeoutMs: duration('database.statementTimeout', settings.statementTimeout, '5s'),
  });
}
