// A verified fix whose delivery is refused (server hook, branch rules, GitHub 403/422, a read-only token) is kept as
// a patch, shown in the summary, and the step fails with the remote's own words. Real app-server, git and HTTP.
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { execa } from 'execa';
import { runFix } from '../src/modes/fix/run-fix.js';
import {
  diagnosisJson,
  FAILING_BRANCH,
  FIX_COMMAND,
  OWNER,
  REPO,
  RUN_ID,
  startFixScenario,
  type FixScenario,
} from './support/fix-scenario.js';
import { startFakeArtifactService, type FakeArtifactService } from './support/fake-artifact-service.js';
import { isAfterToolCall } from './support/model-server.js';
import { type JobOutcome } from '../src/base/outcome.js';

const FIX_BRANCH = `codex/fix/${FAILING_BRANCH}-${RUN_ID}`;
const FIXED_LINE = '+exports.add = (a, b) => a + b;';

let scenario: FixScenario;
beforeEach(async () => {
  jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  scenario = await startFixScenario();
  scenario.model.respond((req) => (isAfterToolCall(req) ? { message: diagnosisJson('Make add() add') } : { exec: FIX_COMMAND }));
});
afterEach(async () => {
  jest.restoreAllMocks();
  await scenario.close();
});

/** Makes the bare origin refuse every push with a pre-receive hook that prints `message`, as a server policy does. */
async function rejectPushesWithHook(message: string) {
  const hook = join(scenario.repo.origin, 'hooks', 'pre-receive');
  await writeFile(hook, `#!/bin/sh\necho ${JSON.stringify(message)} >&2\nexit 1\n`);
  await chmod(hook, 0o755);
}

/** The refused fix survived: the patch is at patch-path, applies to the failing commit and makes the test pass. */
async function expectFixKept(outcome: JobOutcome) {
  expect(outcome.conclusion).toBe('failure');
  expect(outcome.outputs.verified).toBe('true');
  const path = outcome.outputs['patch-path'];
  expect(path).toBeDefined();
  const patch = await readFile(path!, 'utf8');
  expect(patch).toContain(FIXED_LINE);
  // A fresh clone of the failing commit, as a later job would have: the patch applies and the tests pass.
  const clone = await mkdtemp(join(tmpdir(), 'apply-'));
  try {
    await execa('git', ['clone', '--quiet', scenario.repo.origin, clone]);
    await execa('git', ['checkout', '--quiet', scenario.repo.headSha], { cwd: clone });
    await execa('git', ['apply', path!], { cwd: clone });
    expect((await execa('node', ['test.js'], { cwd: clone })).stdout).toContain('all tests passed');
  } finally {
    await rm(clone, { recursive: true, force: true });
  }
  // The summary shows the change and where the whole patch is, and the step's error says where it is.
  expect(outcome.summary).toContain('(✅ verified, ❌ not delivered)');
  expect(outcome.summary).toContain('The change is not lost');
  expect(outcome.summary).toContain(path!);
  expect(outcome.summary).toContain('```diff');
  expect(outcome.summary).toContain(FIXED_LINE);
  expect(outcome.failure).toContain(`The change is saved as a patch: ${path}`);
}

test('a push refused by a pre-receive hook keeps the fix as a patch and quotes the hook', async () => {
  await rejectPushesWithHook('rejected by policy: fix branches need a ticket (rule QX-9)');

  const outcome = await runFix(await scenario.context(), { runId: RUN_ID, source: 'workflow_run' });

  await expectFixKept(outcome);
  expect(outcome.failure).toContain(`Could not push the fix branch \`${FIX_BRANCH}\`; git said:`);
  expect(outcome.failure).toContain('remote: rejected by policy: fix branches need a ticket (rule QX-9)');
  expect(outcome.failure).toContain('(pre-receive hook declined)');
  // Nothing the remote did not say: no guess about token permissions or racing runs.
  expect(outcome.failure).not.toContain('contents: write');
  expect(outcome.failure).not.toMatch(/another run/i);
  expect(outcome.summary).toContain('rule QX-9');
  expect(outcome.outputs['fix-branch']).toBeUndefined();
  expect(scenario.github.createdPulls).toHaveLength(0);
  expect(await scenario.originGit('for-each-ref', '--format=%(refname)')).toBe(`refs/heads/${FAILING_BRANCH}`);
});

test('fix-delivery push onto a protected branch keeps the fix and points at pull-request delivery', async () => {
  // GitHub's words for branch protection, from a hook as GitHub's own servers print them.
  await rejectPushesWithHook(`error: GH006: Protected branch update failed for refs/heads/${FAILING_BRANCH}.`);

  const outcome = await runFix(await scenario.context({ 'fix-delivery': 'push' }), { runId: RUN_ID, source: 'workflow_run' });

  await expectFixKept(outcome);
  expect(outcome.failure).toContain(`Could not push the fix onto \`${FAILING_BRANCH}\`; git said:`);
  expect(outcome.failure).toContain(`remote: error: GH006: Protected branch update failed for refs/heads/${FAILING_BRANCH}.`);
  expect(outcome.failure).toContain("use 'fix-delivery: pull-request'");
  expect(outcome.failure).not.toContain('contents: write');
});

test('a token that may not push: the remote 403 is quoted and only then is contents: write named', async () => {
  scenario.remote.refusePushWith = `Permission to ${OWNER}/${REPO}.git denied to github-actions[bot].`;

  const outcome = await runFix(await scenario.context(), { runId: RUN_ID, source: 'workflow_run' });

  await expectFixKept(outcome);
  expect(outcome.failure).toContain(`remote: Permission to ${OWNER}/${REPO}.git denied to github-actions[bot].`);
  expect(outcome.failure).toContain('403');
  expect(outcome.failure).toContain('needs a token with `contents: write`');
});

test('GitHub refusing the pull request (403) keeps the pushed branch and the patch, in GitHub words', async () => {
  scenario.github.failNext(
    'POST',
    '/repos/:owner/:repo/pulls',
    403,
    { message: 'Resource not accessible by integration', documentation_url: 'https://docs.github.com/rest/pulls/pulls#create-a-pull-request', status: '403' },
    { 'x-accepted-github-permissions': 'pull_requests=write' },
  );

  const outcome = await runFix(await scenario.context(), { runId: RUN_ID, source: 'workflow_run' });

  await expectFixKept(outcome);
  expect(outcome.failure).toContain(
    `The fix is on branch \`${FIX_BRANCH}\`, but the pull request could not be opened; GitHub answered 403 to POST /repos/${OWNER}/${REPO}/pulls:`,
  );
  expect(outcome.failure).toContain('Resource not accessible by integration');
  expect(outcome.failure).toContain('needs the token permission(s): pull_requests=write');
  // The header did not ask for contents, so nothing is said about it.
  expect(outcome.failure).not.toContain('contents');
  expect(outcome.outputs['fix-branch']).toBe(FIX_BRANCH);
  expect(await scenario.originGit('rev-parse', '--verify', `refs/heads/${FIX_BRANCH}`)).toMatch(/^[0-9a-f]{40}$/);
});

test('a 422 from GitHub on the pull request is quoted with its errors, without a guessed cause', async () => {
  scenario.github.failNext('POST', '/repos/:owner/:repo/pulls', 422, {
    message: 'Validation Failed',
    errors: [{ resource: 'PullRequest', code: 'custom', message: `No commits between ${FAILING_BRANCH} and ${FIX_BRANCH}` }],
    documentation_url: 'https://docs.github.com/rest/pulls/pulls#create-a-pull-request',
    status: '422',
  });

  const outcome = await runFix(await scenario.context(), { runId: RUN_ID, source: 'workflow_run' });

  await expectFixKept(outcome);
  expect(outcome.failure).toContain('GitHub answered 422');
  expect(outcome.failure).toContain(`Validation Failed; No commits between ${FAILING_BRANCH} and ${FIX_BRANCH}`);
  expect(outcome.failure).not.toMatch(/permission|contents: write|Allow GitHub Actions/);
});

test("GitHub's 'Actions may not create pull requests' setting is named, with the setting to change", async () => {
  scenario.github.failNext('POST', '/repos/:owner/:repo/pulls', 403, {
    message: 'GitHub Actions is not permitted to create or approve pull requests.',
    documentation_url: 'https://docs.github.com/rest/pulls/pulls#create-a-pull-request',
  });

  const outcome = await runFix(await scenario.context(), { runId: RUN_ID, source: 'workflow_run' });

  await expectFixKept(outcome);
  expect(outcome.failure).toContain('GitHub Actions is not permitted to create or approve pull requests.');
  expect(outcome.failure).toContain("Enable 'Allow GitHub Actions to create and approve pull requests'");
});

describe('the kept patch as a workflow artifact', () => {
  let service: FakeArtifactService;
  const saved = { ...process.env };
  beforeEach(async () => {
    service = await startFakeArtifactService();
    // What the runner gives a JavaScript action: @actions/artifact reads them from process.env.
    process.env.ACTIONS_RESULTS_URL = `${service.url}/`;
    process.env.ACTIONS_RUNTIME_TOKEN = service.token;
    process.env.GITHUB_RUN_ID = '9000';
    process.env.GITHUB_REPOSITORY = `${OWNER}/${REPO}`;
    delete process.env.GITHUB_SERVER_URL;
  });
  afterEach(async () => {
    for (const name of ['ACTIONS_RESULTS_URL', 'ACTIONS_RUNTIME_TOKEN', 'GITHUB_RUN_ID', 'GITHUB_REPOSITORY', 'GITHUB_SERVER_URL']) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
    await service.close();
  });

  test('is uploaded (a zip holding the patch), and the summary and the error link it', async () => {
    await rejectPushesWithHook('rejected by policy (rule QX-9)');
    const ctx = await scenario.context();

    const outcome = await runFix(ctx, { runId: RUN_ID, source: 'workflow_run' });

    await expectFixKept(outcome);
    expect(service.artifacts).toHaveLength(1);
    const artifact = service.artifacts[0]!;
    expect(artifact.name).toBe(`codex-fix-${RUN_ID}`);
    expect(Number(artifact.size)).toBe(artifact.content.length);
    expect(artifact.hash).toMatch(/^sha256:[0-9a-f]{64}$/);
    const zip = join(ctx.tempDir, 'downloaded.zip');
    await writeFile(zip, artifact.content);
    const inside = (await execa('unzip', ['-p', zip, `codex-fix-${RUN_ID}.patch`])).stdout;
    expect(inside).toBe((await readFile(outcome.outputs['patch-path']!, 'utf8')).trimEnd());
    const url = `https://github.example/${OWNER}/${REPO}/actions/runs/9000/artifacts/${artifact.id}`;
    expect(outcome.summary).toContain(`uploaded as the workflow artifact [codex-fix-${RUN_ID}](${url})`);
    expect(outcome.failure).toContain(`It is also the workflow artifact codex-fix-${RUN_ID}: ${url}`);
    // The runtime token is the action's, never the agent's.
    for (const req of scenario.model.requests) expect(req.raw).not.toContain(service.token);
  });

  test('a refused upload is a warning with the service words; the step fails for the push alone', async () => {
    await rejectPushesWithHook('rejected by policy (rule QX-9)');
    service.refuseCreateWith = { status: 403, code: 'permission_denied', msg: 'artifact storage is disabled for this repository' };
    const out = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);

    const outcome = await runFix(await scenario.context(), { runId: RUN_ID, source: 'workflow_run' });

    await expectFixKept(outcome);
    expect(service.artifacts).toHaveLength(0);
    const warnings = out.mock.calls.map((c) => String(c[0])).filter((l) => l.startsWith('::warning::'));
    expect(warnings.join('\n')).toContain('The patch could not be uploaded as a workflow artifact');
    expect(warnings.join('\n')).toContain('artifact storage is disabled for this repository');
    expect(outcome.summary).toContain('artifact storage is disabled for this repository');
    expect(outcome.failure).toContain('rule QX-9');
    expect(outcome.failure).not.toContain('artifact');
  });
});
