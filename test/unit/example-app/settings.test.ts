import { describe, expect, it } from '@jest/globals';
import { readSettings, SettingsError, type Env } from '../../../example-app/settings.ts';

const SECRET = 'x'.repeat(40);
/** Everything a real deployment sets; readSettings only reads it (nothing connects). */
const REAL: Env = {
  DATABASE_URL: 'postgresql://db.internal/app', REDIS_URL: 'redis://cache.internal:6379', SMTP_URL: 'smtp://mail.internal:587',
  VERIGATE_SECRET: SECRET, SESSION_SECRET: SECRET, BASE_URL: 'https://app.example.com',
};
const withNodeEnv = (nodeEnv: string | undefined, env: Env = {}): Env => (nodeEnv === undefined ? { ...env } : { ...env, NODE_ENV: nodeEnv });

// Production-like values: anything but exactly 'development' or 'test', unset included.
const PRODUCTION_LIKE = ['production', 'Production', 'staging', 'PRODUCTION', 'dev', '', undefined];

describe('example app settings: only exactly development and test are not production', () => {
  it.each(PRODUCTION_LIKE)('NODE_ENV=%p with real services is production (secure cookies, no dev mailbox)', (nodeEnv) => {
    const settings = readSettings(withNodeEnv(nodeEnv, REAL));
    expect(settings.environment).toBe('production');
    expect(settings.production).toBe(true);
    expect(settings.mode).toEqual({ database: 'postgresql', sessions: 'redis', mail: 'smtp' });
  });

  it.each(PRODUCTION_LIKE)('NODE_ENV=%p without services refuses to start, naming NODE_ENV', (nodeEnv) => {
    const attempt = () => readSettings(withNodeEnv(nodeEnv));
    expect(attempt).toThrow(SettingsError);
    expect(attempt).toThrow(/requires DATABASE_URL, REDIS_URL and SMTP_URL/);
    expect(attempt).toThrow(/PUBLIC \/dev\/mail/);
    expect(attempt).toThrow(nodeEnv === undefined ? /NODE_ENV is not set, which counts as production/ : /NODE_ENV/);
  });

  it.each(['Production', 'staging'])('NODE_ENV=%s quotes the value it saw', (nodeEnv) => {
    expect(() => readSettings(withNodeEnv(nodeEnv))).toThrow(`NODE_ENV is "${nodeEnv}", which counts as production`);
  });

  it.each(PRODUCTION_LIKE)('NODE_ENV=%p needs its secrets and an https BASE_URL', (nodeEnv) => {
    expect(() => readSettings(withNodeEnv(nodeEnv, { ...REAL, SESSION_SECRET: undefined }))).toThrow(/SESSION_SECRET is required in production/);
    expect(() => readSettings(withNodeEnv(nodeEnv, { ...REAL, BASE_URL: 'http://app.example.com' }))).toThrow(/BASE_URL must be an https origin in production/);
    expect(() => readSettings(withNodeEnv(nodeEnv, { ...REAL, BASE_URL: undefined }))).toThrow(/BASE_URL must be an https origin/);
  });

  it.each(['development', 'test'] as const)('NODE_ENV=%s may run on the embedded stand-ins', (nodeEnv) => {
    const settings = readSettings({ NODE_ENV: nodeEnv, VERIGATE_SECRET: SECRET, SESSION_SECRET: SECRET });
    expect(settings.environment).toBe(nodeEnv);
    expect(settings.production).toBe(false);
    expect(settings.mode).toEqual({ database: 'pglite', sessions: 'memory', mail: 'dev-mailbox' });
    expect(settings.baseUrl).toBe('http://localhost:3000');
  });
});
