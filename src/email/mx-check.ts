import type { MxRecord } from 'node:dns';
import { Resolver } from 'node:dns/promises';
import { fail } from '../config/checks.ts';

/** The part of `node:dns/promises` the check uses; pass a stub in tests, or a Resolver with your own servers. */
export interface MxResolver {
  resolveMx(hostname: string): Promise<MxRecord[]>;
  resolve4(hostname: string): Promise<string[]>;
  resolve6(hostname: string): Promise<string[]>;
}

export interface MxCheckOptions {
  /**
   * Where to ask.
   * @default a `node:dns/promises` Resolver on the system's DNS servers, one try of `timeoutMs`
   */
  resolver?: MxResolver;
  /**
   * Time budget for the whole check (MX, then A/AAAA), in milliseconds. When it runs out the
   * domain counts as deliverable.
   * @default 2000
   */
  timeoutMs?: number;
}

type Lookup<T> = { ok: true; value: T } | { ok: false; code: unknown };
const TIMED_OUT = Symbol('timed out');
// The only answers that say the domain cannot take mail: it does not exist, or it has no records.
const NO_SUCH: ReadonlySet<unknown> = new Set(['ENOTFOUND', 'ENODATA']);

/** DNS answered, and the answer is "nothing here"; a timeout or a failure is not such an answer. */
function hasNoRecords(lookup: Lookup<readonly unknown[]> | typeof TIMED_OUT): boolean {
  return lookup !== TIMED_OUT && (lookup.ok ? lookup.value.length === 0 : NO_SUCH.has(lookup.code));
}

/**
 * A ready `checkDomain` hook: resolves `false` (UNDELIVERABLE) only when DNS answers that the
 * domain does not exist (NXDOMAIN), has no MX and no A/AAAA to fall back on (RFC 5321 §5.1), or
 * publishes a null MX (RFC 7505). A timeout or a resolver failure (SERVFAIL, refused, network
 * down) resolves `true`: a slow or broken DNS must never lock a person out of their account.
 */
export function mxCheck({ resolver, timeoutMs = 2000 }: MxCheckOptions = {}): (domain: string) => Promise<boolean> {
  if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    fail('VERIGATE_INVALID_ADDRESSES', 'mxCheck timeoutMs must be a positive number of milliseconds.', `Got ${JSON.stringify(timeoutMs)}; e.g. mxCheck({ timeoutMs: 2000 }).`);
  }
  const dns: MxResolver = resolver ?? new Resolver({ timeout: Math.ceil(timeoutMs), tries: 1 });

  return async (domain) => {
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<typeof TIMED_OUT>((resolve) => { timer = setTimeout(resolve, timeoutMs, TIMED_OUT); });
    // Settled into values so that a lookup finishing after the deadline is not an unhandled rejection.
    const within = <T>(lookup: () => Promise<T>): Promise<Lookup<T> | typeof TIMED_OUT> => Promise.race([
      Promise.resolve().then(lookup).then((value): Lookup<T> => ({ ok: true, value }), (error: unknown): Lookup<T> => ({ ok: false, code: (error as { code?: unknown })?.code })),
      expired,
    ]);
    try {
      const mx = await within(() => dns.resolveMx(domain));
      if (mx === TIMED_OUT) return true;
      if (mx.ok && mx.value.length > 0) return mx.value.some((record) => record.exchange !== '' && record.exchange !== '.');
      if (!hasNoRecords(mx)) return true;
      if (!mx.ok && mx.code === 'ENOTFOUND') return false;
      // No MX: the domain's own address records act as an implicit MX.
      const addresses = await Promise.all([within(() => dns.resolve4(domain)), within(() => dns.resolve6(domain))]);
      return !addresses.every(hasNoRecords);
    } finally {
      clearTimeout(timer);
    }
  };
}
