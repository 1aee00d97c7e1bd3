import type { Request, RequestHandler, Router } from 'express';
import type { PendingChange, StartChangeResult } from '../src/addresses/change-results.ts';
import type { StartChangeInput } from '../src/addresses/address-change-service.ts';
import type { ResolvedConfig } from '../src/config/resolved-config.ts';
import { createVerigateCore } from '../src/core.ts';
import type { HealthReport } from '../src/maintenance/health.ts';
import type { AddressCheck } from '../src/email/address-policy.ts';
import type { NoticeResult } from '../src/verification/account-notice.ts';
import type { PurgeResult } from '../src/maintenance/purge.ts';
import type { VerigateUser } from '../src/ports/user.ts';
import type { UserId } from '../src/users/user-id.ts';
import type { RevokeResult } from '../src/verification/revoke.ts';
import type { ConfirmResult, IssueResult } from '../src/verification/results.ts';
import { createCsrfGuard } from './csrf.ts';
import { createChallengeGuard, type ChallengeGuard } from './challenge.ts';
import { createSessionControl } from './session-control.ts';
import { createEmailRenderer } from './email-renderer.ts';
import { createRequireVerified } from './require-verified.ts';
import { createResponder } from './respond.ts';
import { loadAssets } from './assets.ts';
import { createResultLinks } from './result-link.ts';
import { createRouter } from './router.ts';
import { createViewRenderer, type ViewRenderer } from './view-renderer.ts';
import { resolveWebOptions, WEB_KEYS, type VerigateOptions, type WebConfig } from './web-options.ts';
import { hostTransaction, type HostTransaction } from '../src/db/host-transaction.ts';
import type { AuditQuery, AuditRecord } from '../src/audit/audit-event.ts';
import type { ApiKeyAdmin } from '../src/service-api/api-keys.ts';
import { createServiceRouter } from './service/service-router.ts';
import { createWebI18n, type LocaleUser } from './i18n.ts';
import { createBounceRouter, type BounceRouterOptions } from './service/bounce-router.ts';
import type { BounceReport, BounceResult, BounceTarget, LiftResult, VerifiedAddress } from '../src/bounces/bounce-results.ts';
import type { VerifiedAddressesOptions } from '../src/bounces/verified-addresses.ts';
import { describeError } from '../src/logging/redact.ts';

/** `vg.reportBounce`'s result: the core's, with the sessions ended for the users whose gate closed. */
export type WebBounceResult = Exclude<BounceResult, { status: 'SUPPRESSED' }> | (Extract<BounceResult, { status: 'SUPPRESSED' }> & { sessionsEnded: number });

/**
 * The language of a mail sent from your code: `locale` as a tag, or `req` to decide it as for a
 * page (your `locale` hook, then `Accept-Language`). Neither: the hook with no request, then `defaultLocale`.
 */
export interface MailLanguage {
  locale?: string;
  req?: Request;
}

export interface EmailVerification {
  /** Mount where `baseUrl` points, e.g. `app.use('/verify', vg.router)`, after session and Passport. */
  readonly router: Router;
  /** Middleware for routes that need a verified address. */
  readonly requireVerified: RequestHandler;
  /**
   * The service API for your other services (JSON, API keys, no sessions), to mount apart from
   * `router`, e.g. `app.use('/internal/verigate', vg.serviceRouter())`. Always the same router.
   */
  serviceRouter(): Router;
  /** Creates (the key is shown once), lists and revokes service API keys; the `verigate-keys` CLI does the same. */
  readonly apiKeys: ApiKeyAdmin;
  /**
   * A user's audit rows, newest first: `{ limit = 50 (≤ 500), before }` pages back in time. Needs
   * `audit: { table: true }` (throws `VerigateConfigError` otherwise).
   */
  auditLog(userId: UserId, query?: AuditQuery): Promise<AuditRecord[]>;
  /**
   * Queues a verification email for a user (e.g. right after sign-up). Never waits on SMTP. Pass
   * `{ em }` (your MikroORM EntityManager inside your transaction) or `{ client }` (your `pg`
   * client inside `BEGIN`) to write the token and its email in your transaction, atomically with
   * your user row.
   */
  sendVerification(user: VerigateUser, options?: HostTransaction & MailLanguage): Promise<IssueResult>;
  /** Starts adding or changing a user's address outside the pages (same rules as `POST /email`). */
  requestEmailChange(user: VerigateUser, input: Omit<StartChangeInput, 'within' | 'locale'> & HostTransaction & MailLanguage): Promise<StartChangeResult>;
  /** The user's pending new (or first) address, if a link to one is still open. */
  pendingEmailChange(user: VerigateUser): Promise<PendingChange | null>;
  /**
   * The address rules verigate applies (syntax, disposable domains, your allow/deny lists, the
   * optional DNS check), for your own forms: `{ ok: true, address, canonical, uniqueKey }` or
   * `{ ok: false, problem, message }`. Store `address`, and put a unique index on `uniqueKey`.
   */
  checkAddress(input: unknown): Promise<AddressCheck>;
  /**
   * For a sign-up form that answers a taken address exactly like a free one: queues a short
   * "someone tried to sign up with your address" mail to its owner (no token; where to sign in or
   * reset the password), limited per recipient. The result is for your logs, not for the person.
   */
  notifyExistingAccount(email: unknown, options?: MailLanguage): Promise<NoticeResult>;
  /** The language verigate would use for this request (and user): your `locale` hook, then `Accept-Language`, then `defaultLocale`. */
  locale(req: Request | undefined, user?: LocaleUser | null): string;
  /** The `challenge` option, for your own anonymous forms: `widget(req)` to render (in the visitor's language), `passes(req)` to check. */
  readonly challenge: ChallengeGuard;
  /** Whether this user's current address is verified. */
  isVerified(user: VerigateUser): Promise<boolean>;
  /** Consumes a token outside HTTP (e.g. from a custom route). */
  confirm(token: string): Promise<ConfirmResult>;
  /**
   * Withdraws every verification of a user (e.g. the address bounced or was compromised), closes
   * their open links and ends their sessions, so no cached gate stays open.
   */
  revoke(userId: UserId): Promise<RevokeResult & { sessionsEnded: number }>;
  /**
   * Deliverability feedback: a bounce or complaint for an address (`{ address }`, matched by
   * canonical form) or for one mail (`{ messageId }`: its Message-ID `<outboxId@domain>`, the bare
   * outbox id, or its VERP envelope sender). A hard bounce or a complaint (or the soft bounce that
   * reaches `bounces.softThreshold`) suppresses the address: its verifications are withdrawn, its
   * open links closed, the affected users' sessions ended (so no cached gate stays open), every
   * later send to it refused (`ADDRESS_SUPPRESSED`) and queued mail to it skipped. Never throws for
   * bad input: `INVALID_REPORT` with a `problem`.
   */
  reportBounce(target: BounceTarget, report: BounceReport): Promise<WebBounceResult>;
  /** Lets mail go to a suppressed address again (its owner fixed the mailbox); its users verify anew. */
  liftSuppression(address: string): Promise<LiftResult>;
  /**
   * Streams every verified (user, address) pair whose address is deliverable (not suppressed):
   * `for await (const { userId, email, verifiedAt } of vg.verifiedAddresses())`. One query per
   * `pageSize` rows (default 1000), keyset-paginated; memory holds one page.
   */
  verifiedAddresses(options?: VerifiedAddressesOptions): AsyncGenerator<VerifiedAddress, void, undefined>;
  /**
   * A route that takes signed bounce and complaint reports (verigate's generic JSON, signed like its
   * webhooks), e.g. `app.use('/hooks/bounces', vg.bounceRouter({ secret }))`, mounted before any
   * JSON body parser. Options are checked here (throws `VerigateConfigError`).
   */
  bounceRouter(options: BounceRouterOptions): Router;
  /** Resolves once the database is reachable and verigate's tables are migrated. Routes wait (or answer 503) until then. */
  ready(): Promise<void>;
  /** Database, Redis and outbox backlog at a glance (never throws). */
  health(): Promise<HealthReport>;
  /** `app.get('/healthz', vg.healthHandler)`: the report as JSON, 200 unless a dependency is down (503). */
  readonly healthHandler: RequestHandler;
  /** Sends every message that is due now; for tests and graceful shutdown. Resolves to the number sent. */
  drain(): Promise<number>;
  /**
   * Deletes tokens expired and emails sent or dead longer than `retention` ago. The in-process
   * worker does this hourly; call it from a scheduler when `worker.autoStart` is false.
   */
  purge(): Promise<PurgeResult>;
  /** Stops the outbox worker and closes the mail transport and database pool verigate created. Idempotent. */
  close(): Promise<void>;
  /** The validated, frozen core configuration (holds no secret). */
  readonly config: ResolvedConfig;
  /** The validated, frozen web configuration. */
  readonly web: WebConfig;
}

/**
 * The one entry point. Validates `options` once (throwing `VerigateConfigError` with a code and a
 * hint), then wires the core to Express. Synchronous: a CommonJS app needs no top-level await,
 * and routes wait for the database. Instances share nothing: two may live in one process.
 */
export function emailVerification(options: VerigateOptions): EmailVerification {
  const web = resolveWebOptions(options ?? {});
  let views!: ViewRenderer;
  const core = createVerigateCore(options, {
    extraOptionKeys: WEB_KEYS,
    // Emails are views too, looked up in the host's folders first, like pages.
    createRenderer: (config) => {
      views = createViewRenderer({ hostDirs: web.views, layout: web.layout, cache: config.environment === 'production' });
      return createEmailRenderer(views, web.catalogue);
    },
  });
  const { config, verification, addresses } = core;
  const assets = loadAssets();
  const i18n = createWebI18n({ catalogue: web.catalogue, hook: web.locale, getUser: web.getUser, logger: config.logger });
  const respond = createResponder(config, web, views, i18n, `${config.basePath}/assets/${assets.fileName('verigate.css')}`);
  const csrf = createCsrfGuard(web.csrf, new URL(config.baseUrl).origin, config.logger);
  const sessions = createSessionControl(core.sessions, config.logger, web.sessionStore);
  const challenge = createChallengeGuard(web.challenge, `${config.basePath}/assets`, (req) => (req ? i18n.forRequest(req) : web.catalogue.translator(undefined)));
  const deps = { config, web, verification, addresses, respond, csrf, sessions, limiter: core.limiter, linkAttempts: core.linkAttempts, anonymous: core.anonymous, challenge,
    results: createResultLinks(core.pageSignKey, config.clock), i18n };
  let serviceRouter: Router | undefined;
  const mailLocale = (user: LocaleUser | null, opts: MailLanguage = {}) => web.catalogue.match(opts.locale) ?? i18n.localeOf(opts.req, user);
  const asLocaleUser = (user: VerigateUser): LocaleUser => ({ id: user?.id, email: user?.email ?? null });

  async function reportBounce(target: BounceTarget, report: BounceReport): Promise<WebBounceResult> {
    const result = await core.reportBounce(target, report);
    if (result.status !== 'SUPPRESSED') return result;
    // The pairs are gone already: a retry would find no one, so a failure here is logged, not thrown.
    let sessionsEnded = 0;
    for (const userKey of result.userIds) {
      try {
        sessionsEnded += await sessions.endSessions(userKey);
      } catch (error) {
        config.logger.error('a bounce withdrew a verification but the user\'s sessions could not be ended', { error: describeError(error) });
      }
    }
    return { ...result, sessionsEnded };
  }

  return Object.freeze({
    router: createRouter(deps, assets),
    requireVerified: createRequireVerified(deps),
    serviceRouter: () => (serviceRouter ??= createServiceRouter(core)),
    apiKeys: core.apiKeys,
    auditLog: (userId: UserId, query?: AuditQuery) => core.auditLog(userId, query),
    config,
    web,
    sendVerification: (user: VerigateUser, opts?: HostTransaction & MailLanguage) =>
      verification.issue(user, { within: hostTransaction(opts), locale: mailLocale(asLocaleUser(user), opts) }),
    requestEmailChange: (user: VerigateUser, { locale, req, ...input }: Omit<StartChangeInput, 'within' | 'locale'> & HostTransaction & MailLanguage) =>
      addresses.start(user, { ...input, within: hostTransaction(input), locale: mailLocale(asLocaleUser(user), { locale, req }) }),
    pendingEmailChange: (user: VerigateUser) => addresses.pending(user),
    checkAddress: (input: unknown) => config.addressPolicy.check(input),
    challenge,
    notifyExistingAccount: (email: unknown, opts?: MailLanguage) =>
      core.notifyExistingAccount(email, { loginUrl: `${new URL(config.baseUrl).origin}${web.loginPath}`, locale: mailLocale(null, opts) }),
    locale: (req: Request | undefined, user: LocaleUser | null = null) => i18n.localeOf(req, user),
    isVerified: (user: VerigateUser) => verification.isVerified(user),
    confirm: (token: string) => verification.confirm(token),
    async revoke(userId: UserId) {
      const result = await core.revoke(userId);
      if (result.status !== 'REVOKED') return { ...result, sessionsEnded: 0 };
      return { ...result, sessionsEnded: await sessions.endSessions(result.userKey) };
    },
    reportBounce,
    liftSuppression: (address: string) => core.liftSuppression(address),
    verifiedAddresses: (opts?: VerifiedAddressesOptions) => core.verifiedAddresses(opts),
    bounceRouter: (opts: BounceRouterOptions) => createBounceRouter(opts, { report: reportBounce, logger: config.logger }),
    health: () => core.health(),
    healthHandler: ((req, res, next) => {
      core.health().then((report) => {
        res.set('Cache-Control', 'no-store');
        res.status(report.status === 'down' ? 503 : 200).json(report);
      }, next);
    }) as RequestHandler,
    ready: () => core.ready(),
    drain: () => core.drain(),
    purge: () => core.purge(),
    close: () => core.close(),
  });
}
