import { systemClock } from '../ports/clock.ts';
import { defaultLogger } from '../ports/logger.ts';
import { VerigateConfigError } from './config-error.ts';
import { closestKey } from './closest-key.ts';
import { parseDuration } from './duration.ts';
import type { Environment, VerigateOptions } from './options.ts';
import type { ResolvedConfig } from './resolved-config.ts';

const TOP_KEYS = ['baseUrl', 'secret', 'em', 'mail', 'tokenTtl', 'environment', 'appName', 'views', 'layout',
  'loginPath', 'afterVerifyPath', 'getUser', 'hooks', 'logger', 'clock', 'worker', 'retention'] as const;
const MAIL_KEYS = ['from', 'transport'] as const;
const HOOK_KEYS = ['onVerificationSent', 'onVerified'] as const;
const WORKER_KEYS = ['autoStart', 'pollInterval', 'maxAttempts', 'retryBase', 'batchSize', 'sendTimeout', 'lease'] as const;

export const MIN_SECRET_LENGTH = 32;

function fail(code: string, message: string, hint: string): never {
  throw new VerigateConfigError(code, message, hint);
}

function checkKeys(where: string, value: object, known: readonly string[]): void {
  for (const key of Object.keys(value)) {
    if (known.includes(key)) continue;
    const guess = closestKey(key, known);
    fail('VERIGATE_UNKNOWN_OPTION', `Unknown option ${where}${key}.`,
      guess ? `Did you mean ${where}${guess}?` : `Known options here: ${known.join(', ')}.`);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function duration(name: string, value: unknown, fallback: string): number {
  const ms = parseDuration(value ?? fallback);
  if (ms === null) fail('VERIGATE_INVALID_DURATION', `${name} must be a positive number of milliseconds or a string like '30s', '15m', '24h'.`, `Got ${JSON.stringify(value)}.`);
  return ms;
}

function positiveInt(name: string, value: unknown, fallback: number): number {
  const n = value ?? fallback;
  if (!Number.isInteger(n) || (n as number) < 1) fail('VERIGATE_INVALID_NUMBER', `${name} must be a whole number of 1 or more.`, `Got ${JSON.stringify(value)}.`);
  return n as number;
}

function localPath(name: string, value: unknown, fallback: string): string {
  const path = value ?? fallback;
  if (typeof path !== 'string' || !path.startsWith('/') || path.startsWith('//') || path.includes('\\')) {
    fail('VERIGATE_INVALID_PATH', `${name} must be a path on this site starting with a single '/'.`, `Got ${JSON.stringify(value)}; e.g. '/login'.`);
  }
  return path;
}

function environmentOf(value: unknown): Environment {
  if (value === undefined) {
    const env = process.env.NODE_ENV;
    return env === 'development' || env === 'test' ? env : 'production';
  }
  if (value !== 'production' && value !== 'development' && value !== 'test') {
    fail('VERIGATE_INVALID_ENVIRONMENT', `environment must be 'production', 'development' or 'test'.`, `Got ${JSON.stringify(value)}.`);
  }
  return value;
}

function parseBaseUrl(value: unknown, environment: Environment): URL {
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
    fail('VERIGATE_INSECURE_BASE_URL', `baseUrl must use https in production (got ${url.origin}).`,
      `Serve the app over https, or set environment: 'development' (or NODE_ENV=development) for local work.`);
  }
  // A bare trailing '?' or '#' leaves url.search/hash empty but would still break every link.
  if (value.includes('?') || value.includes('#') || url.username || url.password) {
    fail('VERIGATE_INVALID_BASE_URL', 'baseUrl must not carry a query, fragment or credentials.', `Use just origin and mount path, e.g. 'https://app.example.com/verify'.`);
  }
  return url;
}

/**
 * Whatever the host's user looks like (numeric ids, extra fields), the rest of verigate sees
 * `{ id: string, email: string }` or null, converted in this one place.
 */
function normaliseGetUser(getUser: (req: any) => unknown): ResolvedConfig['getUser'] {
  return (req) => {
    const user = getUser(req) as { id?: unknown; email?: unknown } | null | undefined;
    if (!user || user.id === undefined || user.id === null) return null;
    return { id: String(user.id), email: typeof user.email === 'string' ? user.email : '' };
  };
}

/**
 * Validates options once, at start-up, and returns a frozen config plus the secret (kept apart so
 * the config can be logged). Throws `VerigateConfigError` with a code and a hint on any mistake.
 */
export function resolveOptions(options: VerigateOptions): { config: ResolvedConfig; secret: string } {
  if (!isObject(options)) fail('VERIGATE_OPTIONS_REQUIRED', 'emailVerification(options) needs an options object.', 'See the options table in the README.');
  checkKeys('', options, TOP_KEYS);
  const environment = environmentOf(options.environment);
  const url = parseBaseUrl(options.baseUrl, environment);

  if (typeof options.secret !== 'string' || options.secret.length < MIN_SECRET_LENGTH) {
    fail('VERIGATE_WEAK_SECRET', `secret must be a string of at least ${MIN_SECRET_LENGTH} characters.`,
      `Generate one with: node -p "require('crypto').randomBytes(32).toString('base64url')" and load it from the environment.`);
  }
  const em = options.em as unknown;
  if (!isObject(em) || typeof em.fork !== 'function' || typeof em.execute !== 'function') {
    fail('VERIGATE_EM_REQUIRED', 'em must be a MikroORM SQL EntityManager (PostgreSQL or PGlite driver).',
      'Pass orm.em from MikroORM.init({ entities: [...yourEntities, ...verigateEntities], ... }).');
  }
  if (!options.em.getMetadata().getByClassName('VerigateToken', false)) {
    fail('VERIGATE_ENTITIES_MISSING', `verigate's entities are not registered with your MikroORM instance.`,
      `import { verigateEntities } from 'verigate' and add ...verigateEntities to the entities of MikroORM.init().`);
  }

  const mail = options.mail as unknown;
  if (!isObject(mail)) fail('VERIGATE_MAIL_REQUIRED', 'mail is required.', `Pass mail: { from: 'App <no-reply@example.com>', transport: 'smtp://…' or a nodemailer transporter }.`);
  checkKeys('mail.', mail, MAIL_KEYS);
  if (typeof mail.from !== 'string' || !mail.from.includes('@') || /[\r\n]/.test(mail.from)) {
    fail('VERIGATE_INVALID_MAIL_FROM', 'mail.from must be a sender address on one line.', `e.g. 'Acme <no-reply@acme.example>'.`);
  }
  const transport = mail.transport;
  if (!(typeof transport === 'string' && /^smtps?:\/\//.test(transport)) && !(isObject(transport) && typeof transport.sendMail === 'function')) {
    fail('VERIGATE_INVALID_MAIL_TRANSPORT', 'mail.transport must be an smtp:// or smtps:// URL or an object with sendMail() (a nodemailer transporter).',
      `e.g. transport: process.env.SMTP_URL or nodemailer.createTransport({...}).`);
  }

  const hooks = options.hooks ?? {};
  if (!isObject(hooks)) fail('VERIGATE_INVALID_HOOKS', 'hooks must be an object of functions.', `Known hooks: ${HOOK_KEYS.join(', ')}.`);
  checkKeys('hooks.', hooks, HOOK_KEYS);
  for (const [name, fn] of Object.entries(hooks)) {
    if (fn !== undefined && typeof fn !== 'function') fail('VERIGATE_INVALID_HOOKS', `hooks.${name} must be a function.`, `Got ${typeof fn}.`);
  }
  if (options.getUser !== undefined && typeof options.getUser !== 'function') {
    fail('VERIGATE_INVALID_GET_USER', 'getUser must be a function (req) => ({ id, email }) | null.', 'Leave it out to use req.user from Passport.');
  }

  const worker = options.worker ?? {};
  if (!isObject(worker)) fail('VERIGATE_INVALID_WORKER', 'worker must be an object.', `Known worker options: ${WORKER_KEYS.join(', ')}.`);
  checkKeys('worker.', worker, WORKER_KEYS);

  const views = options.views === undefined ? [] : Array.isArray(options.views) ? options.views : [options.views];
  if (!views.every((v) => typeof v === 'string' && v.length > 0)) {
    fail('VERIGATE_INVALID_VIEWS', 'views must be a folder path or a list of folder paths.', `e.g. views: [path.join(import.meta.dirname, 'views/verigate')].`);
  }
  const layout = options.layout ?? 'layout';
  if (layout !== false && (typeof layout !== 'string' || layout === '')) fail('VERIGATE_INVALID_LAYOUT', 'layout must be a view name or false.', `Got ${JSON.stringify(layout)}.`);

  const config: ResolvedConfig = {
    baseUrl: url.href.replace(/\/+$/, ''),
    basePath: url.pathname.replace(/\/+$/, ''),
    environment,
    em: options.em,
    mail: Object.freeze({ from: mail.from, transport: transport as ResolvedConfig['mail']['transport'] }),
    tokenTtlMs: duration('tokenTtl', options.tokenTtl, '24h'),
    appName: typeof options.appName === 'string' && options.appName ? options.appName : url.hostname,
    views: Object.freeze([...views]),
    layout,
    loginPath: localPath('loginPath', options.loginPath, '/login'),
    afterVerifyPath: localPath('afterVerifyPath', options.afterVerifyPath, '/'),
    getUser: normaliseGetUser(options.getUser ?? ((req) => req.user)),
    hooks: Object.freeze({ ...hooks }),
    logger: options.logger ?? defaultLogger,
    clock: options.clock ?? systemClock,
    retentionMs: duration('retention', options.retention, '7d'),
    worker: Object.freeze({
      autoStart: (worker.autoStart ?? true) as boolean,
      pollIntervalMs: duration('worker.pollInterval', worker.pollInterval, '2s'),
      maxAttempts: positiveInt('worker.maxAttempts', worker.maxAttempts, 8),
      retryBaseMs: duration('worker.retryBase', worker.retryBase, '30s'),
      batchSize: positiveInt('worker.batchSize', worker.batchSize, 10),
      sendTimeoutMs: duration('worker.sendTimeout', worker.sendTimeout, '15s'),
      leaseMs: duration('worker.lease', worker.lease, '2m'),
    }),
  };
  if (config.worker.leaseMs < 2 * config.worker.sendTimeoutMs) {
    fail('VERIGATE_LEASE_TOO_SHORT', 'worker.lease must be at least twice worker.sendTimeout.',
      'A lease that can run out mid-send lets another worker send the same email again.');
  }
  if (typeof config.worker.autoStart !== 'boolean') fail('VERIGATE_INVALID_WORKER', 'worker.autoStart must be true or false.', `Got ${JSON.stringify(worker.autoStart)}.`);
  return { config: Object.freeze(config), secret: options.secret };
}
