// Test helpers around the real pinned codex binary: a private CODEX_HOME, the model proxy and an app-server.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { AppServer, type AppServerOptions } from '../../src/base/codex/app-server.js';
import { createCodexHome } from '../../src/base/codex/codex-home.js';
import { agentEnvironment } from '../../src/base/codex/environment.js';
import { platformPackage } from '../../src/base/codex/install.js';
import { startModelProxy, type ModelProxy } from '../../src/base/codex/model-proxy.js';
import { ModelServer } from './model-server.js';

/** The real codex binary installed by `npm ci` from the registry (devDependency @openai/codex). */
export const CODEX_BINARY = (() => {
  const { suffix, triple } = platformPackage();
  return resolve(`node_modules/@openai/codex-${suffix}/vendor/${triple}/bin/codex${process.platform === 'win32' ? '.exe' : ''}`);
})();

/** The fake API key tests pass through the proxy. */
export const TEST_API_KEY = 'sk-test-9f8e7d6c5b4a39281706f5e4d3c2b1a0';

/** A scripted model server, the proxy in front of it, a CODEX_HOME and a running app-server. */
export interface CodexRig {
  model: ModelServer;
  proxy: ModelProxy;
  server: AppServer;
  home: string;
  workdir: string;
  close(): Promise<void>;
}

/** Starts everything a test needs to run turns through the real binary. */
export async function startCodexRig(
  options: Partial<AppServerOptions> & { workdir?: string; env?: Record<string, string> } = {},
): Promise<CodexRig> {
  const scratch = await mkdtemp(join(tmpdir(), 'codex-rig-'));
  const workdir = options.workdir ?? scratch;
  const model = await ModelServer.start();
  const proxy = await startModelProxy(model.url, TEST_API_KEY);
  const home = await createCodexHome({ parent: scratch, providerUrl: proxy.url, model: 'gpt-5.4', requestRetries: 0 });
  const env = agentEnvironment(process.env, [TEST_API_KEY], { CODEX_HOME: home, ...options.env });
  const server = await AppServer.start({ codexPath: CODEX_BINARY, cwd: workdir, env, ...options });
  return {
    model,
    proxy,
    server,
    home,
    workdir,
    close: async () => {
      await server.close();
      await proxy.close();
      await model.close();
      await rm(scratch, { recursive: true, force: true });
    },
  };
}
