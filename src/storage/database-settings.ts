/**
 * verigate's own connection to PostgreSQL, for hosts without MikroORM: a URL, or the usual pieces.
 * verigate starts its own MikroORM instance with these and applies its migrations at start.
 */
export interface DatabaseSettings {
  /** `postgresql://user:password@host:5432/db`. Either this or `host`/`database`. */
  url?: string;
  host?: string;
  /** Default 5432. */
  port?: number;
  user?: string;
  password?: string;
  database?: string;
  /** TLS: `true` or `pg`'s `ssl` object. Default off (or whatever the URL's `sslmode` says). */
  ssl?: boolean | Record<string, unknown>;
  /** Most connections verigate opens. Default `10`. */
  poolMax?: number;
  /** Longest wait to connect or to get a pooled connection. Default `'2s'`. */
  connectTimeout?: number | string;
  /** Server-side `statement_timeout` for verigate's statements. Default `'5s'`. */
  statementTimeout?: number | string;
}

/** Settings after validation: durations in milliseconds. */
export interface ResolvedDatabaseSettings {
  readonly url?: string;
  readonly host?: string;
  readonly port?: number;
  readonly user?: string;
  readonly password?: string;
  readonly database?: string;
  readonly ssl?: boolean | Record<string, unknown>;
  readonly poolMax: number;
  readonly connectTimeoutMs: number;
  readonly statementTimeoutMs: number;
}
