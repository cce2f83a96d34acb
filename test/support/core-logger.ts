// The engine logs through a port (src/base/log.ts); tests that call it directly see what the Action prints, so
// every test file starts with the Action's @actions/core logger plugged in, as src/action/main.ts does.
import { setLogger } from '../../src/base/log.js';
import { CORE_LOGGER } from '../../src/action/core-logger.js';

setLogger(CORE_LOGGER);

// core.setFailed sets process.exitCode, and a jest worker runs many test files in one process: a test that ran the
// Action's entry must not leave its failure to the next test (or file) that reads it.
afterEach(() => {
  process.exitCode = undefined;
});
