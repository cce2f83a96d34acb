// Builds a real RunContext for job tests: real Octokit → fake GitHub, real codex → scripted model.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CODEX_VERSION } from '../../src/base/codex/install.js';
import type { RunContext, WorkflowEvent } from '../../src/base/context.js';
import type { ThreadStore } from '../../src/base/threads/thread-store.js';
import { MODEL_TIME_UNIT_ENV } from '../../src/base/codex/model-proxy.js';
import { TIME_UNIT_ENV } from '../../src/base/github/octokit.js';
import { readRunnerContext } from '../../src/action/runner-context.js';
import { readInputs, secretsOf } from '../../src/action/inputs.js';
import { createRunContext } from '../../src/base/run-context.js';
import { CODEX_BINARY, TEST_API_KEY } from './codex.js';
import { type RunOptions } from '../../src/base/options.js';

// GitHub's prescribed waits (retry-after, write spacing) take no time against the fake server.
process.env[TIME_UNIT_ENV] = '0';
// Likewise the model proxy's waits before retrying a 429 or 5xx (how long it would wait is still logged).
process.env[MODEL_TIME_UNIT_ENV] = '0';

/** The fake GitHub token tests use. */
export const TEST_GITHUB_TOKEN = 'ghs_testtoken0123456789abcdefABCDEF0123';

export interface TestContextOptions {
  /** Action inputs as the runner would pass them (kebab-case names → values). */
  inputs?: Record<string, string>;
  /** Base URL of the fake GitHub server. */
  githubUrl: string;
  /** Base URL of the scripted model server (…/v1). */
  modelUrl: string;
  /** The workspace (a git checkout). */
  workdir: string;
  event?: WorkflowEvent;
  repo?: { owner: string; repo: string };
  /** Where threads are kept between runs (a DirectoryStore in tests). */
  threadStore?: ThreadStore;
  /** No API key anywhere (a run that uses a ChatGPT login kept in codex-home). */
  withoutApiKey?: boolean;
  /** RUNNER_TEMP; a new folder unless given (a runner's is the same path run after run, which the cache relies on). */
  tempDir?: string;
}

/** A RunContext wired to the fake servers, built by the action's own createRunContext; codex is the pinned binary. */
export async function testContext(options: TestContextOptions): Promise<RunContext & { inputs: RunOptions }> {
  const tempDir = options.tempDir ?? (await mkdtemp(join(tmpdir(), 'job-')));
  const repo = options.repo ?? { owner: 'octo', repo: 'demo' };
  const env: NodeJS.ProcessEnv = {
    // The test process's own environment plus the secrets a real runner has, to prove they are filtered.
    ...process.env,
    OPENAI_API_KEY: TEST_API_KEY,
    GITHUB_TOKEN: TEST_GITHUB_TOKEN,
    GITHUB_WORKSPACE: options.workdir,
    GITHUB_REPOSITORY: `${repo.owner}/${repo.repo}`,
    GITHUB_API_URL: options.githubUrl,
    GITHUB_GRAPHQL_URL: `${options.githubUrl}/graphql`,
    GITHUB_SERVER_URL: 'https://github.example',
    RUNNER_TEMP: tempDir,
    'INPUT_OPENAI-API-KEY': TEST_API_KEY,
    'INPUT_OPENAI-BASE-URL': options.modelUrl,
    'INPUT_GITHUB-TOKEN': TEST_GITHUB_TOKEN,
    INPUT_MODEL: 'gpt-5.4',
  };
  if (options.withoutApiKey) for (const name of ['OPENAI_API_KEY', 'CODEX_API_KEY', 'INPUT_OPENAI-API-KEY']) delete env[name];
  for (const [name, value] of Object.entries(options.inputs ?? {})) env[`INPUT_${name.toUpperCase()}`] = value;
  const inputs = readInputs(env);
  // The repository and URLs as the Action reads them: through @actions/github's context.
  const { place } = await readRunnerContext(env);
  return createRunContext({
    inputs,
    event: options.event ?? { name: 'workflow_dispatch', payload: {} },
    place,
    env,
    secrets: secretsOf(inputs),
    codex: async () => ({ path: CODEX_BINARY, version: CODEX_VERSION, fromCache: true }),
    currentRunId: 9000,
    sessions: [],
    threadStore: options.threadStore,
  }) as RunContext & { inputs: RunOptions };
}

/** Keeps the pid of the app-server `ctx` opens, for tests that kill it mid-run. */
export function trackAppServerPid(ctx: RunContext): () => number {
  let pid: number | undefined;
  const open = ctx.openSession;
  ctx.openSession = async (request) => {
    const session = await open(request);
    pid = session.server.pid;
    return session;
  };
  return () => {
    if (pid === undefined) throw new Error('No app-server was opened yet.');
    return pid;
  };
}

/** Tells whether `ctx` has begun to open its app-server, for tests that check what overlaps the codex start. */
export function watchSessionOpening(ctx: RunContext): () => boolean {
  let opening = false;
  const open = ctx.openSession.bind(ctx);
  ctx.openSession = (request) => {
    opening = true;
    return open(request);
  };
  return () => opening;
}
