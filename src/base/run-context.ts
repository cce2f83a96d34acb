// Builds the RunContext every job receives, from the inputs, the event and the runner's environment.
import { tmpdir } from 'node:os';
import type { InstalledCodex } from './codex/install.js';
import { RunBudget } from './codex/budget.js';
import { CodexHomeError, openPersistentHome } from './codex/codex-home.js';
import { FILE_CREDENTIALS } from './codex/login.js';
import { mcpConfigOverrides } from './codex/mcp-servers.js';
import { openSession, type CodexSession } from './codex/session.js';
import type { GitHubPlace, RunContext, WorkflowEvent } from './context.js';
import { ActionsCacheStore, type ThreadStore } from './threads/thread-store.js';
import { ActionsArtifactStore, type ArtifactStore } from './artifacts/artifact-store.js';
import { createOctokit } from './github/octokit.js';
import { type RunOptions } from './options.js';
import { log } from './log.js';

export interface RunContextParts {
  inputs: RunOptions;
  event: WorkflowEvent;
  /** The repository and GitHub's URLs (the Action: @actions/github's context; the CLI: its flags). */
  place: GitHubPlace;
  /** The runner's environment (RUNNER_TEMP, the cache service, …); filtered before any child gets it. */
  env: NodeJS.ProcessEnv;
  secrets: readonly string[];
  /** Installs codex on first call and checks that the job's sandbox starts. */
  codex: () => Promise<InstalledCodex>;
  /** Installs codex without the sandbox check (default: `codex`), so the app-server can start while it runs. */
  codexInstalled?: () => Promise<InstalledCodex>;
  currentRunId: number | undefined;
  /** Every session opened is added here, so main.ts can close what a failing job left open. */
  sessions: CodexSession[];
  /** Where threads are kept between runs; default: the Actions cache when the runner offers one. */
  threadStore?: ThreadStore;
  /** The run's artifacts; default: the runner's artifact service when it offers one. */
  artifacts?: ArtifactStore;
}

/** The context of one run; `openSession` starts the run's app-server in the working directory. */
export function createRunContext(parts: RunContextParts): RunContext {
  const { inputs, env, secrets, codex, sessions, place } = parts;
  const tempDir = tempDirOf(env);
  const budget = new RunBudget({ maxTokens: inputs.maxTokens, maxTurns: inputs.maxTurns });
  let checkedHome: Promise<string> | undefined;
  return {
    budget,
    inputs,
    repo: place.repo,
    event: parts.event,
    github: createOctokit(inputs.githubToken!, { baseUrl: place.apiUrl, graphqlUrl: place.graphqlUrl }),
    githubToken: inputs.githubToken,
    codex,
    secrets,
    tempDir,
    env,
    serverUrl: place.serverUrl,
    currentRunId: parts.currentRunId,
    threadStore: parts.threadStore ?? (ActionsCacheStore.available(env) ? new ActionsCacheStore() : undefined),
    artifacts: parts.artifacts ?? (ActionsArtifactStore.available(env) ? new ActionsArtifactStore() : undefined),
    openSession: async (request = {}) => {
      const persistentHome = inputs.codexHome ? await (checkedHome ??= checkPersistentHome(inputs, env)) : undefined;
      // The app-server needs only the binary: it starts while the sandbox is checked, and no turn can run before the
      // check passes (this returns only then). A failed check is the error, as when it ran first.
      const checked = codex();
      checked.catch(() => {}); // awaited below, unless the install itself failed first
      const installed = await (parts.codexInstalled ?? codex)();
      const [opened, check] = await Promise.allSettled([
        openSession({
          codexPath: installed.path,
          cwd: inputs.workingDirectory,
          tempDir,
          apiKey: inputs.openaiApiKey,
          baseUrl: inputs.openaiBaseUrl,
          gateway: inputs.openaiGateway,
          authJson: inputs.codexAuthJson,
          persistentHome,
          accessToken: inputs.codexAccessToken,
          model: inputs.model,
          // Logins live in CODEX_HOME's auth.json, never in an OS keyring the runner may lack or share.
          configOverrides: [FILE_CREDENTIALS, ...inputs.codexConfig, ...mcpConfigOverrides(inputs.mcpServers)],
          budget,
          secrets,
          env,
          extraToml: request.extraToml,
        }),
        checked,
      ]);
      if (check.status === 'rejected') {
        if (opened.status === 'fulfilled') await opened.value.close().catch(() => {});
        throw check.reason;
      }
      if (opened.status === 'rejected') throw opened.reason;
      const session = opened.value;
      sessions.push(session);
      return session;
    },
  };
}

/**
 * Checks `codex-home` once per run: its warnings are logged, and without an API key it must hold the login that
 * `mode: login` stored there.
 */
async function checkPersistentHome(inputs: RunOptions, env: NodeJS.ProcessEnv): Promise<string> {
  const home = await openPersistentHome(inputs.codexHome!);
  for (const warning of home.warnings) log.warning(warning);
  if (env.RUNNER_ENVIRONMENT === 'github-hosted') {
    log.warning(
      `'codex-home' (${home.path}) is set on a GitHub-hosted runner, whose disk is discarded when the job ends: nothing kept ` +
        'there lasts to the next run. It is meant for self-hosted runners.',
    );
  }
  if (!inputs.openaiApiKey && !home.hasLogin) {
    throw new CodexHomeError(
      `'codex-home' (${home.path}) holds no login (no auth.json) and no API key is set: run the action once with ` +
        "'mode: login' on this runner to log in, or set 'openai-api-key'.",
    );
  }
  return home.path;
}

/** RUNNER_TEMP, or the OS temp folder outside Actions. */
export function tempDirOf(env: NodeJS.ProcessEnv): string {
  return env.RUNNER_TEMP || tmpdir();
}
