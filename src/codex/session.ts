// Opens the run's one app-server: private CODEX_HOME, key-adding proxy, minimal environment.
import { rm } from 'node:fs/promises';
import * as core from '@actions/core';
import { AppServer, type ApprovalHandler } from './app-server.js';
import type { ApprovalRecord } from './approvals.js';
import type { RunBudget } from './budget.js';
import { createCodexHome } from './codex-home.js';
import { agentEnvironment } from './environment.js';
import type { Gateway } from './gateway.js';
import { startModelProxy, type ModelProxy } from './model-proxy.js';

export interface SessionOptions {
  codexPath: string;
  /** Where the app-server runs (the workspace). */
  cwd: string;
  /** Parent of the private CODEX_HOME (RUNNER_TEMP). */
  tempDir: string;
  apiKey: string | undefined;
  baseUrl: string;
  /** The upstream's auth header and query style (Azure OpenAI or OpenAI); default OpenAI's Bearer. */
  gateway?: Gateway;
  authJson: string | undefined;
  model: string | undefined;
  /** `-c key=value` overrides from the `codex-config` input. */
  configOverrides: string[];
  /** Every secret of the run: none of them may reach the agent's environment. */
  secrets: readonly string[];
  /** The action's own environment, filtered down for the agent. */
  env: NodeJS.ProcessEnv;
  /** Extra top-level config.toml lines a mode needs (e.g. not loading the head's AGENTS.md). */
  extraToml?: string[];
  requestRetries?: number;
  onApproval?: ApprovalHandler;
  budget?: RunBudget;
}

/** The app-server of one run and what must be torn down with it. */
export interface CodexSession {
  server: AppServer;
  codexHome: string;
  /** Every approval decision so far (auto-review and the action's own), for the job summary. */
  approvals: ApprovalRecord[];
  close(): Promise<void>;
}

/** Starts the proxy (API-key auth) and the app-server; `close()` undoes both and deletes CODEX_HOME. */
export async function openSession(options: SessionOptions): Promise<CodexSession> {
  let proxy: ModelProxy | undefined;
  if (options.apiKey) proxy = await startModelProxy(options.baseUrl, options.apiKey, options.gateway);
  const codexHome = await createCodexHome({
    parent: options.tempDir,
    providerUrl: proxy?.url,
    model: options.model,
    authJson: options.apiKey ? undefined : options.authJson,
    requestRetries: options.requestRetries,
    extraToml: options.extraToml,
  });
  const env = agentEnvironment(options.env, options.secrets, { CODEX_HOME: codexHome });
  const approvals: ApprovalRecord[] = [];
  try {
    const server = await AppServer.start({
      codexPath: options.codexPath,
      cwd: options.cwd,
      env,
      configOverrides: options.configOverrides,
      onApproval: options.onApproval,
      onApprovalDecision: (record) => approvals.push(record),
      budget: options.budget,
      logger: core,
    });
    return {
      server,
      codexHome,
      approvals,
      close: async () => {
        await server.close();
        await proxy?.close();
        await rm(codexHome, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await proxy?.close();
    await rm(codexHome, { recursive: true, force: true });
    throw error;
  }
}
