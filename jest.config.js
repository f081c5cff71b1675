/**
 * One jest run over every package. Tests import sibling packages from their sources
 * (moduleNameMapper), so a test never depends on a stale dist/.
 * Slow or reference-dependent suites are named *.slow.test.ts and run only with TFVISION_SLOW=1
 * (`npm run test:slow`).
 */
const slow = process.env.TFVISION_SLOW === '1';
export default {
  testEnvironment: 'node',
  roots: ['<rootDir>/packages', '<rootDir>/test', '<rootDir>/tools'],
  testMatch: ['**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/', ...(slow ? [] : ['\\.slow\\.test\\.ts$'])],
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  moduleNameMapper: {
    '^@tfvision/([a-z]+)$': '<rootDir>/packages/$1/src/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  testTimeout: 120000,
  maxWorkers: 2,
  setupFiles: ['<rootDir>/tools/jest-setup.cjs'],
};
