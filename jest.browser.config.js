/**
 * `npm run test:browser`: Chromium walks the example app (test/browser). Kept out of `npm test`:
 * it needs a browser installed and takes longer than the HTTP suites. One file at a time, so
 * the browser and the app do not compete for the CPU with another copy of themselves.
 */
export default {
  roots: ['<rootDir>/test/browser'],
  testMatch: ['**/*.browser.ts'],
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', {
      jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
      module: { type: 'es6' },
    }],
  },
  testEnvironment: 'node',
  testTimeout: 60000,
  verbose: true,
  maxWorkers: 1,
};
