import { closestKey } from '../config/closest-key.ts';
import { fail, isObject } from '../config/checks.ts';
import { parseDuration } from '../config/duration.ts';

/** The axes verigate limits. Each is counted separately, per key (user id, address or client IP). */
export const LIMIT_RULES = [
  'sendsPerUser', 'sendsPerRecipient', 'sendsPerIp', 'attemptsPerIp', 'passwordAttemptsPerUser', 'codeAttemptsPerIp', 'serviceCallsPerKey',
] as const;

export type LimitRule = (typeof LIMIT_RULES)[number];

/**
 * One window: `'3/1h'` means 3 per hour. Units: `s`, `m`, `h`, `d` (and `ms`, though a window must
 * be a whole number of seconds). The object form takes a duration in milliseconds or the same strings.
 */
export type LimitWindowOption = string | { points: number; duration: number | string };

/** One window, a list of windows (all must have room), or `false` to turn that rule off. */
export type LimitRuleOption = LimitWindowOption | readonly LimitWindowOption[] | false;

/**
 * The `limits` option. Every window is a fixed window that starts with the first hit; a refused
 * request costs nothing (see `Limiter.consume`). Omitted rules keep their defaults.
 */
export interface LimitOptions {
  /** Verification and address-change emails per user id. Default `['3/1h', '10/1d']`. */
  sendsPerUser?: LimitRuleOption;
  /** Emails per recipient address, whoever asks for them (protects inboxes from being flooded). Default `['3/1h', '10/1d']`. */
  sendsPerRecipient?: LimitRuleOption;
  /**
   * Send requests from one client IP. Default `['20/1h']`. Behind a proxy, set Express's
   * `trust proxy` so `req.ip` is the client's, or every user shares one bucket.
   */
  sendsPerIp?: LimitRuleOption;
  /**
   * Failed link confirmations (counted after the lookup; good links are free) and password checks
   * (counted before) per client IP. Default `['30/10m']`.
   */
  attemptsPerIp?: LimitRuleOption;
  /** Re-authentication (password) attempts per user. Default `['5/15m']`. */
  passwordAttemptsPerUser?: LimitRuleOption;
  /** Emailed-code attempts per client IP. Default `['10/10m']`. */
  codeAttemptsPerIp?: LimitRuleOption;
  /** Calls to the service API per API key (every route; sends also count per user and recipient). Default `['600/1m']`. */
  serviceCallsPerKey?: LimitRuleOption;
}

export interface ResolvedWindow {
  readonly points: number;
  readonly durationMs: number;
}

/** Every rule with its windows; an empty list means the rule is off. */
export type ResolvedLimits = Readonly<Record<LimitRule, readonly ResolvedWindow[]>>;

export const DEFAULT_LIMITS: Readonly<Record<LimitRule, readonly string[]>> = Object.freeze({
  sendsPerUser: Object.freeze(['3/1h', '10/1d']),
  sendsPerRecipient: Object.freeze(['3/1h', '10/1d']),
  sendsPerIp: Object.freeze(['20/1h']),
  attemptsPerIp: Object.freeze(['30/10m']),
  passwordAttemptsPerUser: Object.freeze(['5/15m']),
  codeAttemptsPerIp: Object.freeze(['10/10m']),
  serviceCallsPerKey: Object.freeze(['600/1m']),
});

const CODE = 'VERIGATE_INVALID_LIMITS';
const EXAMPLE = `e.g. limits: { sendsPerUser: ['3/1h', '10/1d'], attemptsPerIp: { points: 30, duration: '10m' } }`;

function parseWindow(rule: LimitRule, spec: unknown): ResolvedWindow {
  let points: unknown;
  let duration: unknown;
  if (typeof spec === 'string') {
    const match = /^\s*(\d+)\s*\/\s*(\S.*)$/.exec(spec);
    if (!match) fail(CODE, `limits.${rule}: ${JSON.stringify(spec)} is not a window like '3/1h'.`, `Write points/duration, ${EXAMPLE}.`);
    points = Number(match[1]);
    duration = match[2];
  } else if (isObject(spec)) {
    const unknown = Object.keys(spec).find((key) => key !== 'points' && key !== 'duration');
    if (unknown !== undefined) {
      const guess = closestKey(unknown, ['points', 'duration']);
      fail(CODE, `limits.${rule}: unknown window key ${unknown}.`, guess ? `Did you mean ${guess}?` : `A window is { points, duration }.`);
    }
    ({ points, duration } = spec);
  } else {
    fail(CODE, `limits.${rule} must be a window like '3/1h' or { points, duration }, a list of them, or false.`, `Got ${JSON.stringify(spec)}; ${EXAMPLE}.`);
  }
  if (!Number.isSafeInteger(points) || (points as number) < 1) {
    fail(CODE, `limits.${rule}: points must be a whole number of 1 or more.`, `Got ${JSON.stringify(points)}; ${EXAMPLE}.`);
  }
  const durationMs = parseDuration(duration);
  // The Redis store keeps windows in whole seconds (EX); refusing fractions keeps both stores alike.
  if (durationMs === null || durationMs < 1000 || durationMs % 1000 !== 0) {
    fail(CODE, `limits.${rule}: duration must be a whole number of seconds, at least 1s, such as '30s', '10m', '1h' or '1d'.`,
      `Got ${JSON.stringify(duration)}; ${EXAMPLE}.`);
  }
  return Object.freeze({ points: points as number, durationMs });
}

function parseRule(rule: LimitRule, value: unknown): readonly ResolvedWindow[] {
  if (value === false) return Object.freeze([]);
  const specs = Array.isArray(value) ? value : [value];
  if (specs.length === 0) fail(CODE, `limits.${rule} is an empty list.`, `To turn the rule off write limits.${rule}: false.`);
  const windows = specs.map((spec) => parseWindow(rule, spec));
  // Each window is one counter keyed by its duration, so two windows of one length would share it.
  const durations = new Set(windows.map((w) => w.durationMs));
  if (durations.size !== windows.length) {
    fail(CODE, `limits.${rule} lists two windows of the same duration.`, `Keep the stricter one, e.g. ['3/1h', '10/1d'].`);
  }
  return Object.freeze(windows);
}

/**
 * Validates the `limits` option once, at start-up. `undefined` gives every default; an object
 * overrides the rules it names. `false` turns limiting off entirely: for tests only, since
 * without limits anyone can flood an inbox or guess codes. Throws `VerigateConfigError`
 * (`VERIGATE_INVALID_LIMITS`) with a hint on any mistake.
 */
export function resolveLimitOptions(value: unknown): ResolvedLimits | false {
  if (value === false) return false;
  const options = value ?? {};
  if (!isObject(options)) {
    fail(CODE, 'limits must be an object of rules, or false (tests only).', `Got ${JSON.stringify(value)}; ${EXAMPLE}.`);
  }
  for (const key of Object.keys(options)) {
    if ((LIMIT_RULES as readonly string[]).includes(key)) continue;
    const guess = closestKey(key, LIMIT_RULES);
    fail(CODE, `Unknown option limits.${key}.`, guess ? `Did you mean limits.${guess}?` : `Known rules: ${LIMIT_RULES.join(', ')}.`);
  }
  const resolved = {} as Record<LimitRule, readonly ResolvedWindow[]>;
  for (const rule of LIMIT_RULES) {
    resolved[rule] = parseRule(rule, options[rule] === undefined ? DEFAULT_LIMITS[rule] : options[rule]);
  }
  return Object.freeze(resolved);
}
