import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { VerigateConfigError } from '../../../src/config/config-error.ts';
import { MIN_SECRET_LENGTH, resolveOptions } from '../../../src/config/resolve-options.ts';
import type { ResolvedConfig } from '../../../src/config/resolved-config.ts';
import { resolveWebOptions, WEB_KEYS, type VerigateOptions, type WebConfig } from '../../../plugin/web-options.ts';

const SECRET = 'S3cr3t-value-that-is-long-enough-0123456789abcdef';

function fakeEm(): unknown {
  return { fork() {}, getConnection() {}, getTransactionContext() {}, getPlatform() {}, transactional() {} };
}

function baseOptions(): Record<string, unknown> {
  return {
    baseUrl: 'https://app.example.com/verify',
    secret: SECRET,
    em: fakeEm(),
    mail: { from: 'Acme <no-reply@acme.test>', transport: 'smtp://user:pass@smtp.acme.test:587' },
  };
}

/**
 * Resolves the valid base options with `overrides` applied (a value of `undefined` removes the
 * key), as `emailVerification` does: the web part first, then the core with the web keys allowed.
 */
function resolveWith(overrides: Record<string, unknown> = {}): { config: ResolvedConfig; web: WebConfig; secret: string } {
  const options: Record<string, unknown> = { ...baseOptions(), ...overrides };
  for (const [key, value] of Object.entries(overrides)) if (value === undefined) delete options[key];
  const web = resolveWebOptions(options as unknown as VerigateOptions);
  return { ...resolveOptions(options as unknown as VerigateOptions, WEB_KEYS), web };
}

function configErrorOf(fn: () => unknown): VerigateConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(VerigateConfigError);
    const configError = error as VerigateConfigError;
    expect(configError.name).toBe('VerigateConfigError');
    expect(typeof configError.hint).toBe('string');
    expect(configError.hint.trim().length).toBeGreaterThan(0);
    expect(configError.message).toContain(configError.hint);
    return configError;
  }
  throw new Error('expected a VerigateConfigError, but nothing was thrown');
}

function expectCode(overrides: Record<string, unknown>, code: string): VerigateConfigError {
  const error = configErrorOf(() => resolveWith(overrides));
  expect(error.code).toBe(code);
  return error;
}

describe('resolveOptions: valid options', () => {
  it('resolves minimal options to a frozen config with frozen nested objects', () => {
    const { config, web } = resolveWith();
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.worker)).toBe(true);
    expect(Object.isFrozen(config.mail)).toBe(true);
    expect(Object.isFrozen(config.hooks)).toBe(true);
    expect(Object.isFrozen(web)).toBe(true);
    expect(Object.isFrozen(web.views)).toBe(true);
    expect(() => {
      (web as { loginPath: string }).loginPath = '/hacked';
    }).toThrow(TypeError);
    expect(web.loginPath).toBe('/login');
    expect(() => {
      (config as { tokenTtlMs: number }).tokenTtlMs = 1;
    }).toThrow(TypeError);
  });

  it('applies the documented defaults', () => {
    const { config, web } = resolveWith();
    expect(config.tokenTtlMs).toBe(24 * 60 * 60 * 1000);
    expect(config.undoTtlMs).toBe(7 * 24 * 60 * 60 * 1000);
    expect(config.databaseTimeoutMs).toBe(1500);
    expect(config.migrate).toBe(true);
    expect(config.users).toBeUndefined();
    expect(web.loginPath).toBe('/login');
    expect(web.afterVerifyPath).toBe('/');
    expect(web.layout).toBe('layout');
    expect(web.views).toEqual([]);
    expect(web.csrf).toBe('auto');
    expect(config.appName).toBe('app.example.com');
    expect(config.baseUrl).toBe('https://app.example.com/verify');
    expect(config.basePath).toBe('/verify');
    expect(config.worker).toEqual({
      autoStart: true,
      pollIntervalMs: 2_000,
      maxAttempts: 8,
      retryBaseMs: 30_000,
      batchSize: 10,
      sendTimeoutMs: 15_000,
      leaseMs: 120_000,
      listen: true,
    });
    expect(config.mail).toEqual({ from: 'Acme <no-reply@acme.test>', transport: 'smtp://user:pass@smtp.acme.test:587' });
    expect(typeof web.getUser).toBe('function');
    expect(typeof config.clock.now).toBe('function');
    expect(typeof config.logger.warn).toBe('function');
  });

  it('strips trailing slashes from baseUrl and basePath', () => {
    const { config } = resolveWith({ baseUrl: 'https://app.example.com/verify/' });
    expect(config.baseUrl).toBe('https://app.example.com/verify');
    expect(config.basePath).toBe('/verify');
    const root = resolveWith({ baseUrl: 'https://app.example.com/' }).config;
    expect(root.baseUrl).toBe('https://app.example.com');
    expect(root.basePath).toBe('');
  });

  it('honours explicit options', () => {
    const transport = { sendMail: async () => undefined };
    const onVerified = () => undefined;
    const { config, web } = resolveWith({
      tokenTtl: '30m',
      appName: 'Acme',
      views: '/srv/views',
      layout: false,
      loginPath: '/sign-in',
      afterVerifyPath: '/dashboard',
      hooks: { onVerified },
      mail: { from: 'no-reply@acme.test', transport },
      worker: { autoStart: false, pollInterval: 500, maxAttempts: 3, retryBase: '1m', batchSize: 5, sendTimeout: '5s', lease: '1h' },
    });
    expect(config.tokenTtlMs).toBe(30 * 60_000);
    expect(config.appName).toBe('Acme');
    expect(web.views).toEqual(['/srv/views']);
    expect(web.layout).toBe(false);
    expect(web.loginPath).toBe('/sign-in');
    expect(web.afterVerifyPath).toBe('/dashboard');
    expect(config.hooks.onVerified).toBe(onVerified);
    expect(config.mail.transport).toBe(transport);
    expect(config.worker).toEqual({
      autoStart: false, pollIntervalMs: 500, maxAttempts: 3, retryBaseMs: 60_000, batchSize: 5, sendTimeoutMs: 5_000, leaseMs: 3_600_000, listen: true,
    });
  });

  it('default getUser reads req.user.id and req.user.email, and null without a user', () => {
    const { web } = resolveWith();
    expect(web.getUser({ user: { id: 42, email: 'a@b.test' } } as never)).toEqual({ id: 42, key: '42', email: 'a@b.test' });
    expect(web.getUser({} as never)).toBeNull();
  });

  it('keeps the secret out of the config and returns it separately', () => {
    const { config, secret } = resolveWith();
    expect(secret).toBe(SECRET);
    const { em, ...rest } = config;
    expect(em).toBeDefined();
    const json = JSON.stringify(rest);
    expect(json).not.toContain(SECRET);
    expect(json).toContain('app.example.com');
    expect(Object.values(config)).not.toContain(SECRET);
  });

  it('accepts a secret of exactly the minimum length', () => {
    const secret = 'x'.repeat(MIN_SECRET_LENGTH);
    expect(resolveWith({ secret }).secret).toBe(secret);
  });

  it('accepts smtps:// URLs and objects with sendMail as transports', () => {
    expect(resolveWith({ mail: { from: 'a@b.test', transport: 'smtps://smtp.b.test' } }).config.mail.transport).toBe('smtps://smtp.b.test');
    const transport = { sendMail: () => Promise.resolve() };
    expect(resolveWith({ mail: { from: 'a@b.test', transport } }).config.mail.transport).toBe(transport);
  });
});

describe('resolveOptions: baseUrl', () => {
  it('requires baseUrl', () => {
    expectCode({ baseUrl: undefined }, 'VERIGATE_BASE_URL_REQUIRED');
    expectCode({ baseUrl: '' }, 'VERIGATE_BASE_URL_REQUIRED');
    expectCode({ baseUrl: 42 }, 'VERIGATE_BASE_URL_REQUIRED');
  });

  it('refuses http in production', () => {
    const error = expectCode({ baseUrl: 'http://app.example.com/verify', environment: 'production' }, 'VERIGATE_INSECURE_BASE_URL');
    expect(error.hint).toMatch(/https|development/);
  });

  it.each(['development', 'test'] as const)('accepts http with environment %s', (environment) => {
    const { config } = resolveWith({ baseUrl: 'http://localhost:3000/verify', environment });
    expect(config.environment).toBe(environment);
    expect(config.baseUrl).toBe('http://localhost:3000/verify');
    expect(config.appName).toBe('localhost');
  });

  it.each([
    'https://app.example.com/verify?next=1',
    'https://app.example.com/verify#top',
    'https://user:pass@app.example.com/verify',
  ])('refuses a baseUrl with query, fragment or credentials: %s', (baseUrl) => {
    expectCode({ baseUrl }, 'VERIGATE_INVALID_BASE_URL');
  });

  it.each(['not a url', '/verify', 'app.example.com/verify', 'ftp://app.example.com/verify', 'javascript:alert(1)'])(
    'refuses a baseUrl that is not an absolute http(s) URL: %s',
    (baseUrl) => {
      expectCode({ baseUrl, environment: 'development' }, 'VERIGATE_INVALID_BASE_URL');
    },
  );

  // Links are built as `${baseUrl}/confirm?token=…`; a kept empty `?` or `#` would break every link
  // (with `#` the token would even move into the fragment). Such a baseUrl must be refused.
  it.each(['https://app.example.com/verify?', 'https://app.example.com/verify#'])(
    'refuses a baseUrl ending in an empty query or fragment marker: %s',
    (baseUrl) => {
      expectCode({ baseUrl }, 'VERIGATE_INVALID_BASE_URL');
    },
  );
});

describe('resolveOptions: secret, em and entities', () => {
  it('refuses a short or missing secret without echoing it', () => {
    const error = expectCode({ secret: 'hunter2-too-short' }, 'VERIGATE_WEAK_SECRET');
    expect(error.message).not.toContain('hunter2');
    expect(error.hint).not.toContain('hunter2');
    expectCode({ secret: 'x'.repeat(MIN_SECRET_LENGTH - 1) }, 'VERIGATE_WEAK_SECRET');
    expectCode({ secret: undefined }, 'VERIGATE_WEAK_SECRET');
    expectCode({ secret: 12345678901234567890123456789012345 }, 'VERIGATE_WEAK_SECRET');
  });

  it('requires storage: an entity manager or a database, not both and not neither', () => {
    const none = expectCode({ em: undefined }, 'VERIGATE_STORAGE_REQUIRED');
    expect(none.hint).toContain('database: process.env.DATABASE_URL');
    expectCode({ database: 'postgresql://db/app' }, 'VERIGATE_STORAGE_REQUIRED');
    expectCode({ em: {} }, 'VERIGATE_EM_REQUIRED');
    expectCode({ em: { fork() {} } }, 'VERIGATE_EM_REQUIRED');
    expectCode({ em: 'postgres://db' }, 'VERIGATE_EM_REQUIRED');
  });

  it('requires an options object', () => {
    for (const options of [undefined, null, 'x', []]) {
      const error = configErrorOf(() => resolveOptions(options as unknown as VerigateOptions));
      expect(error.code).toBe('VERIGATE_OPTIONS_REQUIRED');
    }
  });
});

describe('resolveOptions: unknown options', () => {
  it.each([
    ['baseURL', 'baseUrl'],
    ['tokenTTL', 'tokenTtl'],
    ['secert', 'secret'],
    ['loginpath', 'loginPath'],
  ])('refuses top-level %s and suggests %s', (wrong, right) => {
    const error = expectCode({ [wrong]: 'x' }, 'VERIGATE_UNKNOWN_OPTION');
    expect(error.message).toContain(wrong);
    expect(error.hint).toContain(right);
  });

  it('refuses an unknown key it cannot guess and lists known keys', () => {
    const error = expectCode({ zzzzzzzzzzzz: true }, 'VERIGATE_UNKNOWN_OPTION');
    expect(error.hint).toContain('baseUrl');
  });

  it('refuses a misspelt mail key', () => {
    const error = expectCode({ mail: { form: 'a@b.test', transport: 'smtp://x' } }, 'VERIGATE_UNKNOWN_OPTION');
    expect(error.message).toContain('mail.form');
    expect(error.hint).toContain('mail.from');
  });

  it('refuses a misspelt worker key', () => {
    const error = expectCode({ worker: { pollIntervall: '1s' } }, 'VERIGATE_UNKNOWN_OPTION');
    expect(error.hint).toContain('worker.pollInterval');
  });

  it('refuses a misspelt hook', () => {
    const error = expectCode({ hooks: { onVerifed: () => undefined } }, 'VERIGATE_UNKNOWN_OPTION');
    expect(error.hint).toContain('hooks.onVerified');
  });

  it('does not echo the value of an unknown option', () => {
    const error = expectCode({ secretKey: 'do-not-print-me-0123456789abcdefghij' }, 'VERIGATE_UNKNOWN_OPTION');
    expect(error.message).not.toContain('do-not-print-me');
  });
});

describe('resolveOptions: mail', () => {
  it('requires mail', () => {
    expectCode({ mail: undefined }, 'VERIGATE_MAIL_REQUIRED');
    expectCode({ mail: 'smtp://x' }, 'VERIGATE_MAIL_REQUIRED');
  });

  it.each([
    'Acme <no-reply@acme.test>\r\nBcc: victim@example.com',
    'no-reply@acme.test\n',
    'no-reply@acme.test\rX: y',
    'no-reply',
    '',
  ])('refuses mail.from %j', (from) => {
    expectCode({ mail: { from, transport: 'smtp://x' } }, 'VERIGATE_INVALID_MAIL_FROM');
  });

  it('refuses a missing mail.from', () => {
    expectCode({ mail: { transport: 'smtp://x' } }, 'VERIGATE_INVALID_MAIL_FROM');
  });

  it.each([['http://x'], [{}], [''], [42], [{ sendMail: 'yes' }], [null]])('refuses mail.transport %j', (transport) => {
    expectCode({ mail: { from: 'a@b.test', transport } }, 'VERIGATE_INVALID_MAIL_TRANSPORT');
  });
});

describe('resolveOptions: durations, numbers, paths, hooks', () => {
  it.each([['soon'], [-5], [0], ['0s'], [Number.NaN], [Number.POSITIVE_INFINITY], ['10 years'], [true]])(
    'refuses tokenTtl %p',
    (tokenTtl) => {
      expectCode({ tokenTtl }, 'VERIGATE_INVALID_DURATION');
    },
  );

  it.each([
    [{ pollInterval: 'soon' }],
    [{ retryBase: -5 }],
    [{ sendTimeout: 0 }],
    [{ lease: 'forever' }],
  ])('refuses worker duration %j', (worker) => {
    expectCode({ worker }, 'VERIGATE_INVALID_DURATION');
  });

  it.each([[{ maxAttempts: 0 }], [{ maxAttempts: 1.5 }], [{ batchSize: -1 }], [{ batchSize: '10' }]])(
    'refuses worker count %j',
    (worker) => {
      expectCode({ worker }, 'VERIGATE_INVALID_NUMBER');
    },
  );

  it('refuses a non-boolean worker.autoStart and a non-object worker', () => {
    expectCode({ worker: { autoStart: 'yes' } }, 'VERIGATE_INVALID_WORKER');
    expectCode({ worker: 'on' }, 'VERIGATE_INVALID_WORKER');
  });

  it.each(['//evil.com', 'login', '/\\evil.com', 'https://evil.com/login', ''])('refuses loginPath %j', (loginPath) => {
    expectCode({ loginPath }, 'VERIGATE_INVALID_PATH');
  });

  it.each(['//evil.com', 'dashboard', '/\\evil.com'])('refuses afterVerifyPath %j', (afterVerifyPath) => {
    expectCode({ afterVerifyPath }, 'VERIGATE_INVALID_PATH');
  });

  it('refuses a hook that is not a function, and hooks that are not an object', () => {
    const error = expectCode({ hooks: { onVerified: 'notify' } }, 'VERIGATE_INVALID_HOOKS');
    expect(error.message).toContain('onVerified');
    expectCode({ hooks: [() => undefined] }, 'VERIGATE_INVALID_HOOKS');
    expect(resolveWith({ hooks: { onEmailChanged: () => undefined, onEmailChangeReverted: () => undefined } }).config.hooks.onEmailChanged).toBeDefined();
  });

  it('refuses a getUser that is not a function', () => {
    expectCode({ getUser: 'user' }, 'VERIGATE_INVALID_GET_USER');
  });

  it('refuses bad views and layout', () => {
    expectCode({ views: [''] }, 'VERIGATE_INVALID_VIEWS');
    expectCode({ views: 42 }, 'VERIGATE_INVALID_VIEWS');
    expectCode({ layout: '' }, 'VERIGATE_INVALID_LAYOUT');
    expectCode({ layout: true }, 'VERIGATE_INVALID_LAYOUT');
  });

  it('refuses an unknown environment', () => {
    expectCode({ environment: 'prod' }, 'VERIGATE_INVALID_ENVIRONMENT');
  });
});

describe('resolveOptions: environment from NODE_ENV', () => {
  let saved: string | undefined;
  beforeEach(() => {
    saved = process.env.NODE_ENV;
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = saved;
  });

  it.each(['development', 'test'] as const)('maps NODE_ENV=%s to itself', (env) => {
    process.env.NODE_ENV = env;
    const { config } = resolveWith({ baseUrl: 'http://localhost:3000/verify' });
    expect(config.environment).toBe(env);
  });

  it.each([undefined, 'production', 'staging', '', 'Production'])('maps NODE_ENV=%p to production, and the error names the variable', (env) => {
    if (env === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = env;
    expect(resolveWith().config.environment).toBe('production');
    const error = expectCode({ baseUrl: 'http://localhost:3000/verify' }, 'VERIGATE_INSECURE_BASE_URL');
    expect(error.message).toContain('NODE_ENV');
    expect(error.message).toContain(env === undefined ? 'not set' : JSON.stringify(env));
    expect(error.hint).toContain('NODE_ENV=development');
  });

  it('lets an explicit environment win over NODE_ENV', () => {
    process.env.NODE_ENV = 'development';
    expectCode({ baseUrl: 'http://localhost:3000/verify', environment: 'production' }, 'VERIGATE_INSECURE_BASE_URL');
    delete process.env.NODE_ENV;
    expect(resolveWith({ baseUrl: 'http://localhost:3000/verify', environment: 'test' }).config.environment).toBe('test');
  });
});

describe('resolveOptions: worker lease and retention', () => {
  it('refuses a lease shorter than twice the send timeout', () => {
    expect(() => resolveWith({ worker: { sendTimeout: '1m', lease: '90s' } }))
      .toThrow(expect.objectContaining({ code: 'VERIGATE_LEASE_TOO_SHORT' }));
  });

  it('defaults retention to 7 days and accepts durations', () => {
    expect(resolveWith().config.retentionMs).toBe(7 * 86_400_000);
    expect(resolveWith({ retention: '30d' }).config.retentionMs).toBe(30 * 86_400_000);
    expect(() => resolveWith({ retention: 'forever' })).toThrow(expect.objectContaining({ code: 'VERIGATE_INVALID_DURATION' }));
  });
});

describe('resolveOptions: sessionIndex', () => {
  it("defaults to 'database', even when Redis is given, and takes 'redis' with Redis", () => {
    expect(resolveWith().config.sessionIndex).toBe('database');
    expect(resolveWith({ redis: 'redis://127.0.0.1:6379' }).config.sessionIndex).toBe('database');
    expect(resolveWith({ redis: 'redis://127.0.0.1:6379', sessionIndex: 'redis' }).config.sessionIndex).toBe('redis');
  });

  it("refuses an unknown value, and 'redis' without the redis option, with a hint", () => {
    expect(() => resolveWith({ sessionIndex: 'memory' })).toThrow(expect.objectContaining({ code: 'VERIGATE_INVALID_SESSION_INDEX' }));
    expect(() => resolveWith({ sessionIndex: 'redis' })).toThrow(expect.objectContaining({ code: 'VERIGATE_INVALID_SESSION_INDEX', hint: expect.stringContaining('Pass redis') }));
  });
});

describe('resolveWebOptions: getUser is normalised once', () => {
  it('keeps the id as given beside its stored form, and reads a missing or blank email as null', () => {
    const { web } = resolveWith({ getUser: (req: { u: unknown }) => req.u });
    const user = (u: unknown) => web.getUser({ u } as never);
    expect(user({ id: 42, email: 'a@example.com', name: 'extra' })).toEqual({ id: 42, key: '42', email: 'a@example.com' });
    expect(user({ id: 7 })).toEqual({ id: 7, key: '7', email: null });
    expect(user({ id: 'u-1', email: null })).toEqual({ id: 'u-1', key: 'u-1', email: null });
    expect(user({ id: 8, email: '  ' })).toEqual({ id: 8, key: '8', email: null });
    expect(user({ id: 9007199254740993n, email: 'b@example.com' })).toEqual({ id: 9007199254740993n, key: '9007199254740993', email: 'b@example.com' });
    expect(user(null)).toBeNull();
    expect(user(false)).toBeNull();
    expect(user({ email: 'no-id@example.com' })).toBeNull();
  });

  it('reports an id it cannot store instead of guessing', () => {
    const { web } = resolveWith({ getUser: (req: { u: unknown }) => req.u });
    for (const id of [{}, [1], 1.5, Number.NaN, '', 'a\nb', true]) expect(web.getUser({ u: { id, email: 'a@example.com' } } as never)).toBe('invalid');
  });

  it('reads req.user (Passport) by default', () => {
    const { web } = resolveWith();
    expect(web.getUser({ user: { id: 3, email: 'p@example.com' } } as never)).toEqual({ id: 3, key: '3', email: 'p@example.com' });
    expect(web.getUser({} as never)).toBeNull();
  });
});

describe('resolveOptions: storage, users and csrf', () => {
  it('accepts database as a URL or settings with documented defaults, and never echoes the password', () => {
    const { config } = resolveWith({ em: undefined, database: 'postgresql://app:pw@127.0.0.1:5432/app' });
    expect(config.em).toBeUndefined();
    expect(config.database).toMatchObject({ url: 'postgresql://app:pw@127.0.0.1:5432/app', poolMax: 10, connectTimeoutMs: 2000, statementTimeoutMs: 5000 });
    const settings = resolveWith({ em: undefined, database: { host: 'db', database: 'app', password: 's3cr3t-pw', poolMax: 3, statementTimeout: '2s' } }).config.database;
    expect(settings).toMatchObject({ host: 'db', database: 'app', poolMax: 3, statementTimeoutMs: 2000 });
    const bad = expectCode({ em: undefined, database: { host: 'db', database: 'app', password: 's3cr3t-pw', port: 'x' } }, 'VERIGATE_INVALID_DATABASE');
    expect(bad.message).not.toContain('s3cr3t-pw');
    expectCode({ em: undefined, database: 'mysql://db/app' }, 'VERIGATE_INVALID_DATABASE');
    expectCode({ em: undefined, database: { host: 'db' } }, 'VERIGATE_INVALID_DATABASE');
    const typo = expectCode({ em: undefined, database: { url: 'postgresql://db/app', poolmax: 2 } }, 'VERIGATE_UNKNOWN_OPTION');
    expect(typo.hint).toContain('database.poolMax');
  });

  it('accepts only functions in users, and catches misspelt ones', () => {
    expect(resolveWith({ users: {} }).config.users).toEqual({});
    expectCode({ users: { setEmail: 'update users' } }, 'VERIGATE_INVALID_USERS');
    const typo = expectCode({ users: { setEmail: () => true, verifyPasword: () => true } }, 'VERIGATE_UNKNOWN_OPTION');
    expect(typo.hint).toContain('users.verifyPassword');
    const setEmail = () => true;
    expect(resolveWith({ users: { setEmail } }).config.users?.setEmail).toBe(setEmail);
  });

  it('accepts the csrf modes and refuses anything else', () => {
    for (const mode of ['auto', 'own', 'host'] as const) expect(resolveWith({ csrf: mode }).web.csrf).toBe(mode);
    const token = () => 't';
    expect(resolveWith({ csrf: { token } }).web.csrf).toEqual({ token, field: '_csrf' });
    expect(resolveWith({ csrf: { token, field: 'authenticity_token' } }).web.csrf).toEqual({ token, field: 'authenticity_token' });
    expectCode({ csrf: 'off' }, 'VERIGATE_INVALID_CSRF');
    expectCode({ csrf: { token, field: 'a b' } }, 'VERIGATE_INVALID_CSRF');
    expectCode({ csrf: { tokn: token } }, 'VERIGATE_INVALID_CSRF');
  });

  it('refuses a dev mailbox transport in production', () => {
    const transport = { devMailbox: true, sendMail: async () => undefined };
    const error = expectCode({ mail: { from: 'a@b.test', transport }, environment: 'production' }, 'VERIGATE_DEV_MAILBOX_IN_PRODUCTION');
    expect(error.hint).toContain('SMTP');
    expect(resolveWith({ mail: { from: 'a@b.test', transport }, environment: 'test', baseUrl: 'http://localhost/verify' }).config.mail.transport).toBe(transport);
  });
});
