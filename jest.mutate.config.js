/** The jest setup for mutation runs: one project (Express 5), no packed-tarball tests (they test dist/, not the mutated sources). */
import base from './jest.config.js';

const [express5] = base.projects;
export default {
  ...express5,
  testTimeout: base.testTimeout,
  testPathIgnorePatterns: ['/express4-only/', '/test/external/'],
};
