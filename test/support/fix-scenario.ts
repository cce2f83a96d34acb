// A failing repository, its failed workflow run on a fake GitHub, a token-checking git remote and a scripted model.
import { rm } from 'node:fs/promises';
import { execa } from 'execa';
import type { RunContext, WorkflowEvent } from '../../src/base/context.js';
import { testContext, TEST_GITHUB_TOKEN } from './context.js';
import { FakeGitHub, type FakeGitHubOptions } from './fake-github.js';
import { startGitHttpServer, type GitHttpServer } from './fix-git-http.js';
import { createRepo, type TestRepo } from './git-repo.js';
import { ModelServer, type ModelServerOptions } from './model-server.js';

export const OWNER = 'octo';
export const REPO = 'demo';
export const RUN_ID = 4242;
export const JOB_ID = 77;
export const FAILING_BRANCH = 'feature/math';
/** A distinctive `##[error]` line of the failed job's log: seeing it in a model request proves the excerpt got there. */
export const LOG_MARKER = 'add(2, 3) returned -1 [marker QX-81]';
export const TEST_COMMAND = 'node test.js';
/** The sed command that fixes the bug. */
export const FIX_COMMAND = "sed -i 's/a - b/a + b/' src/add.js";

/** The repository at the failing commit: `add` subtracts, and `node test.js` says so. */
export const FAILING_FILES: Record<string, string> = {
  'src/add.js': 'exports.add = (a, b) => a - b;\n',
  'test.js': [
    "const { add } = require('./src/add.js');",
    'const got = add(2, 3);',
    'if (got !== 5) {',
    '  console.error(`FAIL add(2, 3) returned ${got}, expected 5`);',
    '  process.exit(1);',
    '}',
    "console.log('all tests passed');",
    '',
  ].join('\n'),
  '.github/workflows/ci.yml': 'on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: node test.js\n',
};

/** The failed job's log as GitHub serves it: timestamps, groups per step, `##[error]` lines. */
export const FAILED_JOB_LOG = [
  '2024-05-01T10:00:00.0000000Z ##[group]Run actions/checkout@v4',
  '2024-05-01T10:00:00.1000000Z with:',
  '2024-05-01T10:00:00.2000000Z   repository: octo/demo',
  '2024-05-01T10:00:01.0000000Z ##[endgroup]',
  '2024-05-01T10:00:01.1000000Z Syncing repository: octo/demo',
  '2024-05-01T10:00:05.0000000Z ##[group]Run node test.js',
  '2024-05-01T10:00:05.0100000Z \u001b[36;1mnode test.js\u001b[0m',
  '2024-05-01T10:00:05.0200000Z shell: /usr/bin/bash -e {0}',
  '2024-05-01T10:00:05.0300000Z ##[endgroup]',
  '2024-05-01T10:00:05.2000000Z FAIL add(2, 3) returned -1, expected 5',
  `2024-05-01T10:00:05.3000000Z ##[error]${LOG_MARKER}`,
  '2024-05-01T10:00:05.3100000Z ##[error]Process completed with exit code 1.',
  '2024-05-01T10:00:06.0000000Z Post job cleanup.',
  '',
].join('\n');

/** A diagnosis as the model answers it under the output schema. */
export function diagnosisJson(title: string, rootCause = 'add() subtracted its arguments (a - b).'): string {
  return JSON.stringify({ title, root_cause: rootCause, summary: 'Changed the operator in src/add.js; node test.js passes.' });
}

export interface FixScenario {
  repo: TestRepo;
  github: FakeGitHub;
  model: ModelServer;
  /** The clone's origin: smart HTTP in front of repo.origin that requires the test token. */
  remote: GitHttpServer;
  /** The workflow_run event of the failed run. */
  event: WorkflowEvent;
  /** A RunContext for fix mode; `inputs` are added to `mode: fix` and the test command. */
  context(inputs?: Record<string, string>, event?: WorkflowEvent): Promise<RunContext>;
  /** Runs git in the bare origin. */
  originGit(...args: string[]): Promise<string>;
  close(): Promise<void>;
}

/**
 * Builds the scenario; `branch` is the failing branch (default feature/math), `failedJobLog` the test job's log,
 * `extraFiles` more files of the failing commit.
 * `github` and `model` are passed to the fakes (benchmarks give them latency).
 */
export async function startFixScenario(
  options: { branch?: string; headRepo?: string; failedJobLog?: string; extraFiles?: Record<string, string>; github?: FakeGitHubOptions; model?: ModelServerOptions } = {},
): Promise<FixScenario> {
  const branch = options.branch ?? FAILING_BRANCH;
  const repo = await createRepo({ ...FAILING_FILES, ...options.extraFiles }, { branch });
  const github = await FakeGitHub.start(options.github);
  const model = await ModelServer.start(options.model);
  const remote = await startGitHttpServer(repo.origin, TEST_GITHUB_TOKEN);
  await repo.git('remote', 'set-url', 'origin', remote.url);
  github.addWorkflowRun({
    owner: OWNER,
    repo: REPO,
    id: RUN_ID,
    name: 'CI',
    headBranch: branch,
    headSha: repo.headSha,
    conclusion: 'failure',
    actor: { login: 'octocat', type: 'User' },
    headRepoFullName: options.headRepo,
    jobs: [
      { id: JOB_ID - 1, name: 'lint', conclusion: 'success', log: 'all good\n' },
      {
        id: JOB_ID,
        name: 'test',
        conclusion: 'failure',
        steps: [
          { name: 'Set up job', number: 1, conclusion: 'success' },
          { name: 'Run node test.js', number: 2, conclusion: 'failure' },
        ],
        log: options.failedJobLog ?? FAILED_JOB_LOG,
      },
    ],
  });
  github.setPermission('octocat', 'write');
  const event: WorkflowEvent = {
    name: 'workflow_run',
    payload: {
      action: 'completed',
      workflow_run: {
        id: RUN_ID,
        name: 'CI',
        head_branch: branch,
        head_sha: repo.headSha,
        conclusion: 'failure',
        html_url: `https://github.example/${OWNER}/${REPO}/actions/runs/${RUN_ID}`,
        actor: { login: 'octocat', type: 'User' },
        triggering_actor: { login: 'octocat', type: 'User' },
        head_repository: { full_name: options.headRepo ?? `${OWNER}/${REPO}` },
        head_commit: { id: repo.headSha, author: { name: 'Test User', email: 'test@example.com' } },
      },
      repository: { full_name: `${OWNER}/${REPO}`, default_branch: 'main' },
    },
  };
  const tempDirs: string[] = [];
  return {
    repo,
    github,
    model,
    remote,
    event,
    async context(inputs = {}, ev = event) {
      const ctx = await testContext({
        githubUrl: github.url,
        modelUrl: model.url,
        workdir: repo.dir,
        event: ev,
        repo: { owner: OWNER, repo: REPO },
        inputs: { mode: 'fix', 'test-command': TEST_COMMAND, ...inputs },
      });
      tempDirs.push(ctx.tempDir);
      return ctx;
    },
    originGit: async (...args) => (await execa('git', ['--git-dir', repo.origin, ...args])).stdout,
    async close() {
      await remote.close();
      await model.close();
      await github.close();
      await repo.cleanup();
      await Promise.all(tempDirs.map((d) => rm(d, { recursive: true, force: true })));
    },
  };
}
