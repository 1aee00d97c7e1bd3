/**
 * The jest setup for mutation runs: one project (Express 5), no packed-tarball tests (they test dist/, not the mutated sources).
 * The sources are roots too: Stryker picks the tests to run with `--findRelatedTests`, and jest follows imports only
 * through files in its roots, so without them a mutant in src/ was tried against the unit tests alone.
 */
import base from './jest.config.js';

const [express5] = base.projects;
export default {
  ...express5,
  roots: ['<rootDir>/test', '<rootDir>/src', '<rootDir>/plugin', '<rootDir>/example-app'],
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  testTimeout: base.testTimeout,
  testPathIgnorePatterns: ['/express4-only/', '/test/external/'],
};
