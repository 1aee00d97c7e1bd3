/**
 * verigate: email verification for Express + Passport.
 *
 *   const vg = emailVerification({ baseUrl, secret, em: orm.em, mail: { from, transport } });
 *   app.use('/verify', vg.router);
 *   app.get('/dashboard', vg.requireVerified, handler);
 */
export { emailVerification, type EmailVerification } from './email-verification.ts';
export type { ErrorCode } from './outcomes.ts';
export { VerigateConfigError } from '../src/config/config-error.ts';
export type { VerigateOptions, MailOptions, WorkerOptions, VerigateHooks, Environment } from '../src/config/options.ts';
export type { ResolvedConfig } from '../src/config/resolved-config.ts';
export { verigateEntities, VerigateToken, VerigateVerifiedEmail, VerigateOutbox } from '../src/entities/index.ts';
export { migrate, migrationSql } from '../src/migrations/migrate.ts';
export { parseEmailAddress, canonicalEmail } from '../src/email/email-address.ts';
export { safeReturnTo } from '../src/http/return-to.ts';
export { isInfrastructureError } from '../src/http/infrastructure-error.ts';
export type { PurgeResult } from '../src/maintenance/purge.ts';
export type { IssueResult, ConfirmResult, ConfirmStatus } from '../src/verification/results.ts';
export type { VerigateUser } from '../src/ports/user.ts';
export type { MailTransport, OutgoingMail, RenderedEmail } from '../src/ports/mail.ts';
export type { Logger } from '../src/ports/logger.ts';
export type { Clock } from '../src/ports/clock.ts';
