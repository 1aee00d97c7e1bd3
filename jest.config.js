/** Jest runs the TypeScript sources directly: swc strips types, ESM stays ESM. */
export default {
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', {
      jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
      module: { type: 'es6' },
    }],
  },
  testEnvironment: 'node',
  testTimeout: 30000,
  maxWorkers: 2,
};
