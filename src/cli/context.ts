// What a CLI run stands on: options from the flags and the user's environment, credentials, codex installed into a
// per-user cache, and the same RunContext the Action builds. Nothing here writes to the repository or ~/.codex.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunContext } from '../base/context.js';
import { gatewayFor } from '../base/codex/gateway.js';
import { installOnce } from '../base/codex/install-once.js';
import type { CodexSession } from '../base/codex/session.js';
import { DEFAULTS, runOptions, type RunOptions } from '../base/options.js';
import { createRunContext } from '../base/run-context.js';
import type { ModelFlags } from './args.js';

/** A problem with the user's setup (no credentials, not a repository, …): one line, exit code 2. */
export class SetupError extends Error {
  override name = 'SetupError';
}

export interface CliRun {
  ctx: RunContext;
  options: RunOptions;
  codexVersion: () => string | undefined;
  /** Closes every app-server the run opened and removes its scratch folder. */
  close(): Promise<void>;
}

const NO_CREDENTIALS =
  'no credentials: set OPENAI_API_KEY (or CODEX_API_KEY), or log in once with `codex login` (its login in CODEX_HOME or ~/.codex is read, never changed)';

/** The Codex login a user already has: auth.json in CODEX_HOME, else ~/.codex. Read only. */
async function existingLogin(env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const home = env.CODEX_HOME || join(env.HOME || homedir(), '.codex');
  const file = join(home, 'auth.json');
  if (!existsSync(file)) return undefined;
  const text = await readFile(file, 'utf8');
  try {
    const parsed = JSON.parse(text) as unknown;
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) return text;
  } catch {
    // fall through
  }
  throw new SetupError(`${file} is not a JSON object: log in again with \`codex login\`, or set OPENAI_API_KEY`);
}

/**
 * Builds the run: `job` decides the sandbox codex is checked with (review: read-only, fix: workspace-write).
 * `env` is the user's environment; the agent gets only agentEnvironment's filtered part of it, never a key.
 */
export async function openCliRun(
  job: 'review' | 'fix',
  flags: ModelFlags,
  given: Partial<RunOptions> & { workingDirectory: string },
  env: NodeJS.ProcessEnv,
  repo?: { owner: string; repo: string },
): Promise<CliRun> {
  const apiKey = env.OPENAI_API_KEY || env.CODEX_API_KEY || undefined;
  const authJson = apiKey ? undefined : await existingLogin(env);
  if (!apiKey && !authJson) throw new SetupError(NO_CREDENTIALS);
  const baseUrl = flags.baseUrl ?? env.OPENAI_BASE_URL?.replace(/\/+$/, '') ?? DEFAULTS.openaiBaseUrl;
  const options = runOptions({
    ...given,
    mode: job,
    openaiApiKey: apiKey,
    codexAuthJson: authJson,
    openaiBaseUrl: baseUrl,
    openaiGateway: gatewayFor(baseUrl, flags.apiStyle, flags.apiVersion),
    model: flags.model,
    effort: flags.effort,
    codexPath: flags.codexPath,
    ...(flags.timeoutMinutes !== undefined ? { timeoutMinutes: flags.timeoutMinutes } : {}),
  });
  const secrets = [apiKey, authJson, options.githubToken].filter((s): s is string => Boolean(s));
  // @actions/tool-cache keeps codex under RUNNER_TOOL_CACHE and downloads to RUNNER_TEMP: outside Actions these are a
  // per-user cache (installed once, like the Action's tool cache) and a scratch folder of this run.
  const scratch = await mkdtemp(join(env.TMPDIR || tmpdir(), 'codex-ci-'));
  const cacheRoot = env.RUNNER_TOOL_CACHE || join(env.XDG_CACHE_HOME || join(env.HOME || homedir(), '.cache'), 'codex-ci', 'tool-cache');
  await mkdir(cacheRoot, { recursive: true });
  process.env.RUNNER_TOOL_CACHE = cacheRoot;
  // This run's scratch folder, unless the user's environment names one (a CLI run inside a workflow job).
  if (!env.RUNNER_TEMP) process.env.RUNNER_TEMP = scratch;
  const runEnv: NodeJS.ProcessEnv = { ...env, RUNNER_TEMP: scratch };
  const codex = installOnce(options, job, runEnv, secrets);
  const sessions: CodexSession[] = [];
  const ctx = createRunContext({
    inputs: options,
    event: { name: 'local', payload: {} },
    // --repo (or the origin remote) names the repository; GITHUB_API_URL/GITHUB_GRAPHQL_URL reach GitHub Enterprise Server.
    place: {
      repo: repo ?? { owner: 'local', repo: 'local' },
      apiUrl: env.GITHUB_API_URL?.replace(/\/+$/, '') || 'https://api.github.com',
      graphqlUrl: env.GITHUB_GRAPHQL_URL || undefined,
      serverUrl: env.GITHUB_SERVER_URL?.replace(/\/+$/, '') || 'https://github.com',
    },
    env: runEnv,
    secrets,
    codex: codex.get,
    codexInstalled: codex.installed,
    currentRunId: undefined,
    sessions,
  });
  return {
    ctx,
    options,
    codexVersion: codex.version,
    close: async () => {
      await Promise.all(sessions.map((s) => s.close().catch(() => {})));
      await rm(scratch, { recursive: true, force: true }).catch(() => {});
    },
  };
}
