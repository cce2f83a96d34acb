// The review evaluation (`npm run eval`): same ESM/ts-jest setup as the tests, one case at a time.
import base from './jest.config.js';

/** @type {import('jest').Config} */
export default { ...base, testMatch: ['<rootDir>/eval/**/*.eval.ts'], testTimeout: 3_600_000, maxWorkers: 1 };
