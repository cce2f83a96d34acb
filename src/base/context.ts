// What every job gets from its shell: options, the event, GitHub, codex, and a way to open the app-server.
import type { RunBudget } from './codex/budget.js';
import type { CodexSession } from './codex/session.js';
import type { GitHub } from './github/octokit.js';
import type { ThreadStore } from './threads/thread-store.js';
import type { ArtifactStore } from './artifacts/artifact-store.js';
import { type RunOptions } from './options.js';

/** The repository the workflow runs in. */
export interface Repo {
  owner: string;
  repo: string;
}

/** Where the run's GitHub is: the repository, the REST and GraphQL endpoints, and the server for links. */
export interface GitHubPlace {
  repo: Repo;
  /** GITHUB_API_URL, e.g. https://api.github.com or https://HOST/api/v3 on GitHub Enterprise Server. */
  apiUrl: string;
  /** GITHUB_GRAPHQL_URL; undefined lets Octokit derive it from apiUrl. */
  graphqlUrl: string | undefined;
  /** GITHUB_SERVER_URL, e.g. https://github.com. */
  serverUrl: string;
}

/** The triggering event: GITHUB_EVENT_NAME and the parsed GITHUB_EVENT_PATH payload (untrusted). */
export interface WorkflowEvent {
  name: string;
  payload: Record<string, unknown>;
}

/** Extra settings a job needs from its app-server. */
export interface SessionRequest {
  /** Top-level config.toml lines, e.g. `project_doc_max_bytes = 0`. */
  extraToml?: string[];
}

/** Everything a job (review or fix) receives. */
export interface RunContext {
  inputs: RunOptions;
  repo: Repo;
  event: WorkflowEvent;
  /** Octokit built with github-token against GITHUB_API_URL. */
  github: GitHub;
  /** The GitHub token (to push a fix); never put it in the agent's env or .git/config. */
  githubToken: string | undefined;
  /** Installs codex on first call (later calls share it): call it only when the agent is needed. */
  codex(): Promise<{ path: string; version: string }>;
  /** Every secret of the run (API key, token, auth json) for redaction and leak checks. */
  secrets: readonly string[];
  /** RUNNER_TEMP (or an OS temp dir outside Actions). */
  tempDir: string;
  /** The action's environment (process.env); jobs must filter it through agentEnvironment before any child gets it. */
  env: NodeJS.ProcessEnv;
  /** The server URL for links, e.g. https://github.com. */
  serverUrl: string;
  /** The current workflow run (GITHUB_RUN_ID), when there is one. */
  currentRunId: number | undefined;
  /** Where threads are kept between runs (the Actions cache); undefined when the runner has no cache service. */
  threadStore: ThreadStore | undefined;
  /** The workflow run's artifacts (a sharded review's shards hand their results to its merge); undefined off Actions. */
  artifacts: ArtifactStore | undefined;
  /** The run's token and turn budget (max-tokens, max-turns), shared by every app-server of the run. */
  budget: RunBudget;
  /** Opens the run's one app-server (in inputs.workingDirectory). The caller closes it. */
  openSession(request?: SessionRequest): Promise<CodexSession>;
}

