/** Jest runs the TypeScript sources directly: swc strips types, ESM stays ESM. */
const project = {
  roots: ['<rootDir>/test'],
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', {
      jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
      module: { type: 'es6' },
    }],
  },
  testEnvironment: 'node',
};

export default {
  testTimeout: 30000,
  maxWorkers: 2,
  projects: [
    { ...project, displayName: 'express5', testMatch: ['**/*.test.ts'], testPathIgnorePatterns: ['/express4-only/'] },
    {
      // The same HTTP suites with `express` resolved to Express 4, for host and plugin alike:
      // proves plugin/ relies on nothing Express-5-only (such as forwarding rejected promises).
      ...project,
      displayName: 'express4',
      testMatch: ['**/integration/router.test.ts', '**/integration/require-verified.test.ts', '**/integration/address-change.test.ts', '**/integration/csrf-modes.test.ts', '**/integration/service-api.test.ts', '**/integration/bad-input-corpus.test.ts', '**/integration/template-safety.test.ts', '**/integration/bounce-feedback.test.ts', '**/express4-only/*.test.ts'],
      moduleNameMapper: { '^express$': 'express4' },
    },
  ],
};
