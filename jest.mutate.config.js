/**
 * The jest setup for mutation runs: one project (Express 5), no packed-tarball tests (they test dist/, not the mutated sources).
 * The sources are roots too: Stryker picks the tests to run with `--findRelatedTests`, and jest follows imports only
 * through files in its roots, so without them a mutant in src/ was tried against the unit tests alone.
 *
 * `MUTATE_FOLDER=tokens npm run mutate` mutates one folder of src/ and runs only that folder's own tests (below);
 * `MUTATE_TESTS` (space-separated globs) picks any other set. A narrower set can only kill fewer mutants, so its score
 * is a lower bound of the whole suite's. It is what makes a run take minutes, not hours: code run in `beforeAll`
 * counts as "static" for Stryker, and each static mutant reruns every selected test.
 */
import base from './jest.config.js';

export const FOLDER_TESTS = {
  http: ['test/unit/http/**/*.test.ts'],
  email: ['test/unit/email/**/*.test.ts'],
  tokens: ['test/unit/tokens/**/*.test.ts', 'test/integration/token-store.test.ts', 'test/integration/verification-service.test.ts',
    'test/integration/verification-outcomes.test.ts', 'test/integration/codes.test.ts', 'test/integration/address-change.test.ts'],
  outbox: ['test/unit/outbox/**/*.test.ts', 'test/integration/outbox-*.test.ts', 'test/integration/mail-transport.test.ts'],
  verification: ['test/unit/verification/**/*.test.ts', 'test/integration/verification-*.test.ts', 'test/integration/account-messages.test.ts',
    'test/integration/anonymous-resend.test.ts', 'test/integration/email-verification.test.ts', 'test/integration/codes.test.ts',
    'test/integration/require-verified.test.ts'],
};

const [express5] = base.projects;
const only = process.env.MUTATE_TESTS?.split(/\s+/).filter(Boolean) ?? FOLDER_TESTS[process.env.MUTATE_FOLDER ?? ''];
export default {
  ...express5,
  roots: ['<rootDir>/test', '<rootDir>/src', '<rootDir>/plugin', '<rootDir>/example-app'],
  testMatch: only?.length ? only.map((glob) => `<rootDir>/${glob}`) : ['<rootDir>/test/**/*.test.ts'],
  testTimeout: base.testTimeout,
  testPathIgnorePatterns: ['/express4-only/', '/test/external/'],
};
