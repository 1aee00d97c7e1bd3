import type { Environment } from './options.ts';

/**
 * The one rule for the whole product (verigate, the dev mailbox, the example app): only exactly
 * `'development'` and `'test'` are non-production. Anything else — `'Production'`, `'staging'`,
 * `'dev'`, an empty string, or no `NODE_ENV` at all — is production, so a typo or a forgotten
 * variable fails safe (https required, no dev mailbox, secure cookies) instead of open.
 */
export function environmentFromNodeEnv(nodeEnv: string | undefined): Environment {
  return isNonProduction(nodeEnv) ? nodeEnv : 'production';
}

/** True only for exactly `'development'` or `'test'`. */
export function isNonProduction(value: unknown): value is 'development' | 'test' {
  return value === 'development' || value === 'test';
}
