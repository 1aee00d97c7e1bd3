/**
 * verigate/core: the framework-free part. Never imports express, passport or ejs; every
 * dependency (entity manager, transport, clock, renderer) is passed in.
 */
export { createVerigateCore, type VerigateCore } from './core.ts';
export { VerigateConfigError } from './config/config-error.ts';
export type { CoreOptions, MailOptions, WorkerOptions, VerigateHooks, Environment } from './config/options.ts';
export type { ResolvedConfig } from './config/resolved-config.ts';
export type { DatabaseSettings } from './storage/database-settings.ts';
export { resolveOptions } from './config/resolve-options.ts';
export { parseDuration } from './config/duration.ts';
export { deriveKeys, type VerigateKeys } from './crypto/keys.ts';
export { seal, open } from './crypto/seal.ts';
export { createToken, hashToken, isWellFormedToken } from './tokens/token.ts';
export { TOKEN_PURPOSES, type TokenPurpose } from './tokens/token-purpose.ts';
export * from './email/index.ts';
export { maskEmail } from './logging/mask-email.ts';
export { maskUrlSecrets, morganUrl, morganReferrer, pinoRequestSerializer, SECRET_PARAMS } from './logging/access-log.ts';
export { resolveCatalogue, type Catalogue, type Translator, type I18nOptions } from './i18n/catalogue.ts';
export { negotiateLocale } from './i18n/negotiate-locale.ts';
export type { MessageKey } from './i18n/messages-en.ts';
export { safeReturnTo } from './http/return-to.ts';
export { isInfrastructureError } from './http/infrastructure-error.ts';
export { migrate, migrationSql, verigateMigrations, type MigrateResult } from './migrations/migrate.ts';
export type { MikroOrmEntityManager } from './db/mikro-orm.ts';
export type { SqlContext, PgQueryable } from './db/sql-context.ts';
export type { VerigateMigration } from './migrations/migration.ts';
export type { VerificationService } from './verification/verification-service.ts';
export type { IssueResult, ConfirmResult, ConfirmStatus } from './verification/results.ts';
export type { AddressChangeService, StartChangeInput } from './addresses/address-change-service.ts';
export type { StartChangeResult, ConfirmChangeResult, UndoChangeResult, PendingChange } from './addresses/change-results.ts';
export { createOutboxWorker, type OutboxWorker } from './outbox/outbox-worker.ts';
export { purgeExpired, type PurgeResult } from './maintenance/purge.ts';
export { enqueueEmail } from './outbox/outbox-store.ts';
export { createMailTransport } from './outbox/mail-transport.ts';
export { retryDelayMs } from './outbox/backoff.ts';
export { redactSecrets } from './logging/redact.ts';
export type { Clock } from './ports/clock.ts';
export { systemClock } from './ports/clock.ts';
export type { Logger } from './ports/logger.ts';
export type { MailTransport, OutgoingMail, RenderedEmail, EmailRenderer, EmailKind, EmailTemplateData } from './ports/mail.ts';
export type { VerigateUser } from './ports/user.ts';
export { normaliseUserId, type UserId } from './users/user-id.ts';
export type { UserStore, SetEmailContext } from './users/user-store.ts';
export { mikroOrmUserStore, type MikroOrmUserStoreOptions } from './users/mikro-orm-user-store.ts';
