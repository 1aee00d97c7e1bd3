// Mutation testing: `npm run mutate` (all of src/) or `npm run mutate -- --mutate "src/tokens/**/*.ts"`.
// Not part of CI: it reruns the tests that cover each mutant, against the real PostgreSQL and Redis.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: 'npm',
  testRunner: 'jest',
  testRunnerNodeArgs: ['--experimental-vm-modules'],
  jest: { configFile: 'jest.mutate.config.js', enableFindRelatedTests: true },
  coverageAnalysis: 'perTest',
  checkers: [],
  mutate: ['src/**/*.ts', '!src/index.ts', '!src/cli/**', '!src/entities/**', '!src/migrations/0*.ts'],
  reporters: ['clear-text', 'progress', 'json'],
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  concurrency: 2,
  timeoutMS: 20_000,
  tempDirName: '.stryker-tmp',
  ignorePatterns: ['dist', 'reports', 'test/external/.work', 'bench/results'],
};
