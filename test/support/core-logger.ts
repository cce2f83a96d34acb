// The engine logs through a port (src/base/log.ts); tests that call it directly see what the Action prints, so
// every test file starts with the Action's @actions/core logger plugged in, as src/action/main.ts does.
import { setLogger } from '../../src/base/log.js';
import { CORE_LOGGER } from '../../src/action/core-logger.js';

setLogger(CORE_LOGGER);
