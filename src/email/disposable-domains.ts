/*
 * The maintained list comes from disposable-email-domains-js (pinned), an automated npm mirror of
 * the community-curated github.com/disposable-email-domains/disposable-email-domains blocklist:
 * CC0, no dependencies, about 8,900 lower-case ASCII/punycode domains, republished as upstream
 * changes, and loadable from ESM on Node 24 without a build step. The larger lists (mailchecker,
 * disposable-email-domains, disposable-domains) also list long-lived privacy relays such as
 * duck.com, Firefox Relay, SimpleLogin and 33mail, carry Unicode entries that never match a
 * punycode domain, or pull in runtime dependencies; refusing a person's permanent forwarding
 * address would lock out exactly the users who guard their inbox.
 */
import { disposableEmailBlocklist } from 'disposable-email-domains-js';

export interface DomainRules {
  /**
   * Domains to accept even though the maintained list names them (or a parent of them), e.g. a
   * relay your users rely on. ASCII lower-case (punycode); subdomains are included.
   * @default []
   */
  allow?: readonly string[];
  /**
   * Domains to refuse on top of the maintained list. ASCII lower-case (punycode); subdomains are
   * included.
   * @default []
   */
  deny?: readonly string[];
  /**
   * Consult the maintained list of disposable domains. With `false` only `deny` refuses.
   * @default true
   */
  useList?: boolean;
}

export type DomainVerdict =
  | { kind: 'ok' }
  /** On the maintained list; `match` is the listed entry (the domain itself or a parent). */
  | { kind: 'disposable'; match: string }
  /** On the host's `deny` list; `match` is the entry. */
  | { kind: 'denied'; match: string };

const OK: DomainVerdict = Object.freeze({ kind: 'ok' });

// Read on first use, not at import: about 9,000 entries that a host with `disposable: false`
// never needs. A cache of constant data, not state: nothing is ever added or removed.
let maintained: ReadonlySet<string> | undefined;

function maintainedList(): ReadonlySet<string> {
  // Entries are lower-case today; a mixed-case one in a future release would otherwise never match.
  maintained ??= new Set(disposableEmailBlocklist().map((domain) => domain.toLowerCase()));
  return maintained;
}

/** `a.b.example.com`, `b.example.com`, `example.com`, `com`: the domain, then each parent. */
function* selfAndParents(domain: string): Generator<string> {
  let rest = domain;
  for (;;) {
    yield rest;
    const dot = rest.indexOf('.');
    if (dot < 0) return;
    rest = rest.slice(dot + 1);
  }
}

/**
 * Builds the check the address policy runs on each canonical domain (ASCII, lower-case). Between
 * the host's lists the most specific entry wins (deny `example.com` with allow `mail.example.com`
 * accepts only the latter; at equal depth deny wins). An `allow` entry anywhere above or at the
 * domain overrides the maintained list; `deny` always refuses.
 */
export function createDomainRules({ allow = [], deny = [], useList = true }: DomainRules = {}): (domain: string) => DomainVerdict {
  const allowed = new Set(allow);
  const denied = new Set(deny);
  return (domain) => {
    for (const candidate of selfAndParents(domain)) {
      if (denied.has(candidate)) return { kind: 'denied', match: candidate };
      if (allowed.has(candidate)) return OK;
    }
    if (!useList) return OK;
    const list = maintainedList();
    for (const candidate of selfAndParents(domain)) {
      if (list.has(candidate)) return { kind: 'disposable', match: candidate };
    }
    return OK;
  };
}

/**
 * Whether a domain (ASCII, lower-case, as in a canonical address) is disposable: on the maintained
 * list and not allowed, or denied by the host; parents count, so `x.mailinator.com` is disposable.
 */
export function isDisposableDomain(domain: string, rules: DomainRules = {}): boolean {
  return createDomainRules(rules)(domain).kind !== 'ok';
}
