// Codex installed once per run, and the job's sandbox checked before any agent or test run relies on it. Both shells
// use it: a run that ends up skipped downloads nothing.
import { agentEnvironment } from './environment.js';
import { installCodex, type InstalledCodex } from './install.js';
import { prepareSandbox } from './sandbox.js';
import { commandSandbox, probeSandbox } from './sandbox-exec.js';
import { log } from '../log.js';
import type { RunOptions } from '../options.js';
import { tempDirOf } from '../run-context.js';

/** Installs codex the first time a job asks for it: a run that ends up skipped (a draft PR, a loop guard) downloads nothing. */
export function installOnce(
  inputs: RunOptions,
  job: 'review' | 'fix',
  env: NodeJS.ProcessEnv,
  secrets: readonly string[],
): { get: () => Promise<InstalledCodex>; installed: () => Promise<InstalledCodex>; version: () => string | undefined } {
  let installing: Promise<InstalledCodex> | undefined;
  let checking: Promise<InstalledCodex> | undefined;
  let version: string | undefined;
  const installed = () =>
    (installing ??= log.group('Install Codex', async () => {
      const codex = await installCodex({ version: inputs.codexVersion, codexPath: inputs.codexPath });
      version = codex.version;
      return codex;
    }));
  const get = () =>
    (checking ??= installed().then(async (codex) => {
      await prepareSandbox(inputs.sandbox);
      // The job's sandbox must start here before the agent (or fix mode's test runs) rely on it.
      const sandbox = commandSandbox(codex.path, inputs.sandbox ?? (job === 'review' ? 'read-only' : 'workspace-write'), tempDirOf(env));
      if (sandbox) await probeSandbox(sandbox, inputs.workingDirectory, agentEnvironment(env, secrets));
      return codex;
    }));
  return { get, installed, version: () => version };
}
