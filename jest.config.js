// Tests run as native ESM (the @actions/* packages are ESM-only), compiled by ts-jest.
/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }] },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  // A HOME of its own for each test file; the engine's log port; every fake GitHub held to GitHub's descriptions.
  setupFilesAfterEnv: ['<rootDir>/test/support/isolated-home.ts', '<rootDir>/test/support/core-logger.ts', '<rootDir>/test/support/github-contract-guard.ts'],
  testTimeout: 60_000,
  // The integration tests each run a real codex app-server; two cores here.
  maxWorkers: 2,
};
