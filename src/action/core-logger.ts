// The engine's log port on @actions/core: workflow commands the runner folds, annotates and masks.
import * as core from '@actions/core';
import type { Logger } from '../base/log.js';

export const CORE_LOGGER: Logger = {
  debug: (message) => core.debug(message),
  info: (message) => core.info(message),
  warning: (message, where) => core.warning(message, where),
  error: (message, where) => core.error(message, where),
  notice: (message, where) => core.notice(message, where),
  startGroup: (name) => core.startGroup(name),
  endGroup: () => core.endGroup(),
};
