// Mutation testing: `MUTATE_FOLDER=tokens npm run mutate` (one folder against its own tests, see jest.mutate.config.js;
// minutes) or `npm run mutate` (all of src/ against every test; hours). Add `-- --concurrency 1` on a shared machine.
// Not part of CI: it reruns the tests that cover each mutant, against the real PostgreSQL and Redis.
const folder = process.env.MUTATE_FOLDER;
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: 'npm',
  testRunner: 'jest',
  testRunnerNodeArgs: ['--experimental-vm-modules'],
  jest: { configFile: 'jest.mutate.config.js', enableFindRelatedTests: true },
  coverageAnalysis: 'perTest',
  checkers: [],
  mutate: folder ? [`src/${folder}/**/*.ts`] : ['src/**/*.ts', '!src/index.ts', '!src/cli/**', '!src/entities/**', '!src/migrations/0*.ts'],
  reporters: ['clear-text', 'progress', 'json'],
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  concurrency: 2,
  timeoutMS: 20_000,
  tempDirName: '.stryker-tmp',
  ignorePatterns: ['dist', 'reports', 'test/external/.work', 'bench/results'],
};
