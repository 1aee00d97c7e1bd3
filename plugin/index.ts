/**
 * verigate: email verification for Express + Passport.
 *
 *   const vg = emailVerification({ baseUrl, secret, database: process.env.DATABASE_URL, mail: { from, transport } });
 *   app.use('/verify', vg.router);
 *   app.get('/dashboard', vg.requireVerified, handler);
 */
export { emailVerification, type EmailVerification } from './email-verification.ts';
export type { VerigateOptions, WebOptions, CsrfOption } from './web-options.ts';
export type { LocaleHook, LocaleUser } from './i18n.ts';
export type { MailLanguage } from './email-verification.ts';
export type { I18nOptions } from '../src/i18n/catalogue.ts';
export type { MessageKey } from '../src/i18n/messages-en.ts';
export { devMailbox, type DevMailbox, type DevMailboxOptions, type StoredMail } from './dev-mailbox.ts';
export { altchaChallenge, type AltchaChallengeOptions } from './altcha-challenge.ts';
export type { ChallengeOption, ChallengeGuard } from './challenge.ts';
export type { ErrorCode } from './outcomes.ts';
export { VerigateConfigError } from '../src/config/config-error.ts';
export type { CoreOptions, MailOptions, WorkerOptions, VerigateHooks, Environment } from '../src/config/options.ts';
export type { DatabaseSettings } from '../src/storage/database-settings.ts';
export type { ResolvedConfig } from '../src/config/resolved-config.ts';
export { migrate, migrationSql } from '../src/migrations/migrate.ts';
export type { MikroOrmEntityManager } from '../src/db/mikro-orm.ts';
export type { HostTransaction } from '../src/db/host-transaction.ts';
export type { PgQueryable } from '../src/db/sql-context.ts';
export { parseEmailAddress, canonicalEmail } from '../src/email/email-address.ts';
export { createAddressPolicy, type AddressPolicy, type AddressCheck, type AddressProblem } from '../src/email/address-policy.ts';
export type { AddressOptions } from '../src/email/address-options.ts';
export { uniquenessKey } from '../src/email/uniqueness-key.ts';
export { mxCheck } from '../src/email/mx-check.ts';
export { maskEmail } from '../src/logging/mask-email.ts';
export { maskUrlSecrets, morganUrl, morganReferrer, pinoRequestSerializer, SECRET_PARAMS } from '../src/logging/access-log.ts';
export { safeReturnTo } from '../src/http/return-to.ts';
export { isInfrastructureError } from '../src/http/infrastructure-error.ts';
export type { PurgeResult } from '../src/maintenance/purge.ts';
export type { HealthReport, DependencyHealth } from '../src/maintenance/health.ts';
export type { IssueResult, ConfirmResult, ConfirmStatus } from '../src/verification/results.ts';
export type { StartChangeResult, ConfirmChangeResult, UndoChangeResult, PendingChange } from '../src/addresses/change-results.ts';
export type { StartChangeInput } from '../src/addresses/address-change-service.ts';
export type { VerigateUser } from '../src/ports/user.ts';
export type { UserId } from '../src/users/user-id.ts';
export type { UserStore, SetEmailContext } from '../src/users/user-store.ts';
export { mikroOrmUserStore, type MikroOrmUserStoreOptions } from '../src/users/mikro-orm-user-store.ts';
export type { MailTransport, OutgoingMail, RenderedEmail } from '../src/ports/mail.ts';
export type { Logger } from '../src/ports/logger.ts';
export type { Clock } from '../src/ports/clock.ts';
