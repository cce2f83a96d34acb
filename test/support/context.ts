// Builds a real RunContext for job tests: real Octokit → fake GitHub, real codex → scripted model.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunContext, WorkflowEvent } from '../../src/context.js';
import { openSession } from '../../src/codex/session.js';
import { createOctokit } from '../../src/github/octokit.js';
import { readInputs, type Inputs } from '../../src/inputs.js';
import { CODEX_BINARY, TEST_API_KEY } from './codex.js';

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
}

/** A RunContext wired to the fake servers; the session uses the real pinned codex binary. */
export async function testContext(options: TestContextOptions): Promise<RunContext & { inputs: Inputs }> {
  const env: NodeJS.ProcessEnv = {
    GITHUB_WORKSPACE: options.workdir,
    'INPUT_OPENAI-API-KEY': TEST_API_KEY,
    'INPUT_OPENAI-BASE-URL': options.modelUrl,
    'INPUT_GITHUB-TOKEN': TEST_GITHUB_TOKEN,
  };
  for (const [name, value] of Object.entries(options.inputs ?? {})) env[`INPUT_${name.toUpperCase()}`] = value;
  const inputs = readInputs(env);
  const tempDir = await mkdtemp(join(tmpdir(), 'job-'));
  const secrets = [TEST_API_KEY, TEST_GITHUB_TOKEN];
  return {
    inputs,
    repo: options.repo ?? { owner: 'octo', repo: 'demo' },
    event: options.event ?? { name: 'workflow_dispatch', payload: {} },
    github: createOctokit(TEST_GITHUB_TOKEN, { baseUrl: options.githubUrl, timeUnitMs: 0 }),
    githubToken: TEST_GITHUB_TOKEN,
    codex: async () => ({ path: CODEX_BINARY, version: '0.169.0' }),
    secrets,
    tempDir,
    // The test process's own environment plus the secrets a real runner would have, to prove they are filtered.
    env: { ...process.env, OPENAI_API_KEY: TEST_API_KEY, GITHUB_TOKEN: TEST_GITHUB_TOKEN },
    serverUrl: 'https://github.example',
    currentRunId: 9000,
    openSession: (request = {}) =>
      openSession({
        codexPath: CODEX_BINARY,
        cwd: inputs.workingDirectory,
        tempDir,
        apiKey: inputs.openaiApiKey,
        baseUrl: inputs.openaiBaseUrl,
        authJson: inputs.codexAuthJson,
        model: inputs.model ?? 'gpt-5.4',
        configOverrides: inputs.codexConfig,
        secrets,
        env: { ...process.env, OPENAI_API_KEY: TEST_API_KEY, GITHUB_TOKEN: TEST_GITHUB_TOKEN },
        extraToml: request.extraToml,
        requestRetries: 0,
      }),
  };
}
