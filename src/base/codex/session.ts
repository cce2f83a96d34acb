// Opens the run's one app-server: its CODEX_HOME (private, or the user's persistent codex-home), key-adding proxy,
// minimal environment.
import { rm } from 'node:fs/promises';
import { describeModelAnswer, ModelEndpointError } from './agent-failure.js';
import { AppServer, type ApprovalHandler } from './app-server.js';
import type { ApprovalRecord } from './approvals.js';
import type { RunBudget } from './budget.js';
import { configOverrides, createCodexHome } from './codex-home.js';
import { agentEnvironment } from './environment.js';
import { accessTokenLogin, authEndpoints } from './login.js';
import type { Gateway } from './gateway.js';
import { displayEndpoint, startModelProxy, type ModelProxy } from './model-proxy.js';
import { log } from '../log.js';

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
  /**
   * A persistent CODEX_HOME (`codex-home`, checked by openPersistentHome): used as it is, never written to by the
   * action (the run's settings go on the command line) and never deleted.
   */
  persistentHome?: string;
  /** A Codex access token (`codex-access-token`), logged in to the private CODEX_HOME before the app-server starts. */
  accessToken?: string;
  model: string | undefined;
  /** `-c key=value` overrides from the `codex-config` input. */
  configOverrides: string[];
  /** Every secret of the run: none of them may reach the agent's environment. */
  secrets: readonly string[];
  /** The action's own environment, filtered down for the agent. */
  env: NodeJS.ProcessEnv;
  /** Extra top-level config.toml lines a mode needs (e.g. not loading the head's AGENTS.md). */
  extraToml?: string[];
  /**
   * Codex's own retries of a model request (default 0): with an API key the proxy retries 429 and 5xx itself,
   * honouring retry-after, and Codex would otherwise retry a refused key too (and 5xx without end).
   */
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

/** Starts the proxy (API-key auth) and the app-server; `close()` undoes both and deletes a private CODEX_HOME. */
export async function openSession(options: SessionOptions): Promise<CodexSession> {
  let proxy: ModelProxy | undefined;
  let server: AppServer | undefined;
  if (options.apiKey) {
    proxy = await startModelProxy(options.baseUrl, options.apiKey, options.gateway, {
      secrets: options.secrets,
      logger: log,
      // A refused key stops the run at its first answer, before Codex starts reconnecting.
      onFatal: (answer) => server?.stop(new ModelEndpointError(answer)),
    });
  }
  const settings = {
    providerUrl: proxy?.url,
    model: options.model,
    requestRetries: options.requestRetries ?? (proxy ? 0 : undefined),
    extraToml: options.extraToml,
  };
  const persistent = options.persistentHome;
  // With an API key the key stays in the proxy: a persistent home gets neither the key nor an auth.json.
  const codexHome =
    persistent ?? (await createCodexHome({ parent: options.tempDir, ...settings, authJson: options.apiKey ? undefined : options.authJson }));
  // The user's own config.toml comes first; the run's settings override it, and `codex-config` overrides both.
  const overrides = [...(persistent ? configOverrides(settings) : []), ...options.configOverrides];
  const removeHome = () => (persistent ? Promise.resolve() : rm(codexHome, { recursive: true, force: true }));
  // Codex's endpoint overrides (URLs, no secret) reach the processes that check a login.
  const env = agentEnvironment(options.env, options.secrets, { CODEX_HOME: codexHome, ...authEndpoints(options.env) });
  const approvals: ApprovalRecord[] = [];
  try {
    if (options.accessToken && !options.apiKey && !persistent) {
      await accessTokenLogin({ codexPath: options.codexPath, codexHome, env, token: options.accessToken });
    }
    server = await AppServer.start({
      codexPath: options.codexPath,
      cwd: options.cwd,
      env,
      configOverrides: overrides,
      onApproval: options.onApproval,
      onApprovalDecision: (record) => approvals.push(record),
      budget: options.budget,
      logger: log,
      explainTurnError: proxy ? explainWith(proxy, options.baseUrl) : undefined,
    });
    const started = server;
    return {
      server: started,
      codexHome,
      approvals,
      close: async () => {
        await started.close();
        await proxy?.close();
        await removeHome();
      },
    };
  } catch (error) {
    await proxy?.close();
    await removeHome();
    throw error;
  }
}

/**
 * A failed turn is explained by the endpoint's own answer when the proxy saw an error answer during the turn (Codex
 * may have replaced its words with generic text); otherwise Codex's message, naming openai-base-url, not the proxy.
 */
function explainWith(proxy: ModelProxy, baseUrl: string): (message: string | null, startedAt: number) => string | null {
  return (message, startedAt) => {
    const answer = proxy.lastError;
    if (answer && answer.at >= startedAt) return describeModelAnswer(answer);
    return message === null ? null : message.split(proxy.url).join(displayEndpoint(baseUrl));
  };
}
