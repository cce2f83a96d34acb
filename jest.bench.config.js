// Benchmarks: same ESM/ts-jest setup as the tests, run on demand with `npm run bench`.
import base from './jest.config.js';

/** @type {import('jest').Config} */
export default { ...base, testMatch: ['<rootDir>/bench/**/*.bench.ts'], testTimeout: 600_000, maxWorkers: 1 };
