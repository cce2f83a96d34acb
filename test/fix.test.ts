// Fix mode end to end: real codex app-server, scripted model, real git with a token-checking HTTP origin, fake GitHub.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { execa } from 'execa';
import { runFix } from '../src/modes/fix/run-fix.js';
import { secretForms } from '../src/base/text/redact.js';
import { TEST_API_KEY } from './support/codex.js';
import { TEST_GITHUB_TOKEN, watchSessionOpening } from './support/context.js';
import { paginate } from './support/fake-github.js';
import { eventually } from './support/eventually.js';
import {
  diagnosisJson,
  FAILING_BRANCH,
  FIX_COMMAND,
  JOB_ID,
  LOG_MARKER,
  OWNER,
  REPO,
  RUN_ID,
  startFixScenario,
  TEST_COMMAND,
  type FixScenario,
} from './support/fix-scenario.js';
import { assistantText, functionCallOutputs, isAfterToolCall, lastUserText, userText } from './support/model-server.js';

const FIX_BRANCH = `codex/fix/${FAILING_BRANCH}-${RUN_ID}`;
const SECRET_FORMS = secretForms([TEST_API_KEY, TEST_GITHUB_TOKEN]);

let scenario: FixScenario;
beforeEach(async () => {
  // @actions/core writes workflow commands (groups, warnings) to stdout.
  jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  scenario = await startFixScenario();
});
afterEach(async () => {
  jest.restoreAllMocks();
  await scenario.close();
});

/** Scripts one fixing turn: run `command`, then answer `answer`. */
function agentRuns(command: string, answer: string) {
  scenario.model.respond((req) => (isAfterToolCall(req) ? { message: answer } : { exec: command }));
}

async function expectNoSecretsLeaked(s: FixScenario) {
  for (const req of s.model.requests) for (const form of SECRET_FORMS) expect(req.raw).not.toContain(form);
  const config = await readFile(join(s.repo.dir, '.git/config'), 'utf8');
  for (const form of SECRET_FORMS) expect(config).not.toContain(form);
}

test('a workflow_run failure ends in one verified pull request into the failing branch', async () => {
  // The agent fixes the bug, also tries to edit the workflow (reverted), and prints its environment (no secrets).
  agentRuns(`${FIX_COMMAND} && echo '# touched' >> .github/workflows/ci.yml && env`, diagnosisJson('Make add() add'));
  // An earlier step left a report in the workspace: it is not part of the fix.
  await writeFile(join(scenario.repo.dir, 'build-report.txt'), 'report\n');
  const ctx = await scenario.context();

  const outcome = await runFix(ctx, { runId: RUN_ID, source: 'workflow_run' });

  expect(outcome.failure).toBeUndefined();
  expect(outcome.conclusion).toBe('success');
  expect(outcome.outputs).toMatchObject({
    verified: 'true',
    'fix-branch': FIX_BRANCH,
    'pr-number': '1',
    'pr-url': expect.stringContaining('/pull/1'),
    'thread-id': expect.any(String),
    'final-message': expect.stringContaining('add() subtracted its arguments'),
  });

  // The fix is one bot commit on a new branch whose parent is the failing commit; the workflow edit is not in it.
  const tip = await scenario.originGit('rev-parse', `refs/heads/${FIX_BRANCH}`);
  expect(await scenario.originGit('rev-parse', `${tip}^`)).toBe(scenario.repo.headSha);
  expect(await scenario.originGit('show', '-s', '--format=%an <%ae>', tip)).toBe(
    'github-actions[bot] <41898282+github-actions[bot]@users.noreply.github.com>',
  );
  expect(await scenario.originGit('diff', '--name-only', `${tip}^`, tip)).toBe('src/add.js');
  expect(await scenario.originGit('show', `${tip}:src/add.js`)).toBe('exports.add = (a, b) => a + b;');
  // The push was authenticated (the origin refuses anonymous requests).
  expect(scenario.remote.authorizations.some((a) => a?.startsWith('basic '))).toBe(true);

  // One pull request, into the failing branch, explaining the fix.
  expect(scenario.github.createdPulls).toHaveLength(1);
  const pr = scenario.github.createdPulls[0]!;
  expect(pr).toMatchObject({ title: 'fix: Make add() add', draft: true, base: { ref: FAILING_BRANCH }, head: { ref: FIX_BRANCH } });
  expect(pr.body).toContain('add() subtracted its arguments (a - b).');
  expect(pr.body).toContain('`src/add.js`');
  expect(pr.body).toContain('`node test.js` passed');
  expect(pr.body).toContain(`/actions/runs/${RUN_ID}`);

  // The failed job's log excerpt reached the model; the passing job's log did not get in the way.
  const first = scenario.model.responseRequests[0]!;
  expect(userText(first)).toContain(LOG_MARKER);
  expect(userText(first)).toContain('FAIL add(2, 3) returned -1, expected 5');
  expect(userText(first)).toContain('Failed job: "test"');
  expect(first.body.text?.format?.type).toBe('json_schema');
  expect(JSON.stringify(first.body.input)).toContain('Do not modify anything under .github/workflows');

  expect(outcome.summary).toContain('✅ verified');
  expect(outcome.summary).toContain('`.github/workflows/ci.yml`');
  expect(outcome.summary).toMatch(/Opened pull request \[#1\]/);
  expect(outcome.summary).toContain('Left out of the fix: 1 untracked path(s)');
  expect(outcome.usage).toMatchObject({ inputTokens: 200, outputTokens: 20 });
  // The workflow file is back as it was.
  expect(await scenario.repo.git('status', '--porcelain', '--', '.github')).toBe('');
  await expectNoSecretsLeaked(scenario);
});

test('handling the same failed run twice updates the one pull request', async () => {
  let title = 'Make add() add';
  scenario.model.respond((req) => (isAfterToolCall(req) ? { message: diagnosisJson(title) } : { exec: FIX_COMMAND }));
  const first = await runFix(await scenario.context(), { runId: RUN_ID, source: 'workflow_run' });
  const firstTip = await scenario.originGit('rev-parse', `refs/heads/${FIX_BRANCH}`);

  // A fresh checkout of the failing commit, as the re-run workflow would have.
  await scenario.repo.git('reset', '--quiet', '--hard', scenario.repo.headSha);
  title = 'Add the numbers in add()';
  const second = await runFix(await scenario.context(), { runId: RUN_ID, source: 'workflow_run' });

  expect(first.conclusion).toBe('success');
  expect(second.conclusion).toBe('success');
  expect(second.outputs['pr-number']).toBe(first.outputs['pr-number']);
  expect(scenario.github.createdPulls).toHaveLength(1);
  expect(scenario.github.requestsTo('POST', '/repos/:owner/:repo/pulls')).toHaveLength(1);
  expect(scenario.github.requestsTo('PATCH', '/repos/:owner/:repo/pulls/:pull_number')).toHaveLength(1);
  expect(scenario.github.createdPulls[0]!.title).toBe('fix: Add the numbers in add()');
  expect(second.summary).toMatch(/Updated pull request \[#1\]/);
  // The branch was replaced (lease on the first tip), still one commit on the failing commit.
  const secondTip = await scenario.originGit('rev-parse', `refs/heads/${FIX_BRANCH}`);
  expect(secondTip).not.toBe(firstTip);
  expect(await scenario.originGit('rev-parse', `${secondTip}^`)).toBe(scenario.repo.headSha);
});

test('a fix that does not pass gets a second try in the same thread, then no pull request and a failed step', async () => {
  scenario.model.respond((req) => {
    const retry = lastUserText(req).includes('try 2 of 2');
    if (isAfterToolCall(req)) return { message: diagnosisJson(retry ? 'Divide instead' : 'Multiply instead') };
    return { exec: retry ? "sed -i 's/a \\* b/a \\/ b/' src/add.js" : "sed -i 's/a - b/a * b/' src/add.js" };
  });
  const ctx = await scenario.context({ 'max-attempts': '2' });

  const outcome = await runFix(ctx, { runId: RUN_ID, source: 'workflow_run' });

  expect(outcome.conclusion).toBe('failure');
  expect(outcome.outputs.verified).toBe('false');
  expect(outcome.failure).toMatch(/could not make `node test.js` pass \(2 tries\); no pull request was opened/);
  expect(scenario.github.createdPulls).toHaveLength(0);
  expect(await scenario.originGit('for-each-ref', '--format=%(refname)')).toBe(`refs/heads/${FAILING_BRANCH}`);

  // Turn 1: two requests (command, answer); turn 2 starts with the whole history plus the new failure output.
  const requests = scenario.model.responseRequests;
  expect(requests).toHaveLength(4);
  const retry = requests[2]!;
  expect(lastUserText(retry)).toContain('FAIL add(2, 3) returned 6, expected 5');
  expect(lastUserText(retry)).toContain('try 2 of 2');
  expect(userText(retry)).toContain(LOG_MARKER);
  expect(assistantText(retry)).toContain('Multiply instead');
  expect(functionCallOutputs(retry).length).toBe(1);

  expect(outcome.summary).toContain('❌ not verified');
  expect(outcome.summary).toContain('It failed after each of 2 tries');
  expect(outcome.summary).toContain('returned 0.6666666666666666, expected 5');
  expect(outcome.summary).toContain("Set 'open-unverified: true'");
  await expectNoSecretsLeaked(scenario);
});

test('open-unverified delivers a failing fix as an [unverified] draft', async () => {
  agentRuns("sed -i 's/a - b/a * b/' src/add.js", diagnosisJson('Multiply instead'));
  const ctx = await scenario.context({ 'max-attempts': '1', 'open-unverified': 'true', draft: 'false' });

  const outcome = await runFix(ctx, { runId: RUN_ID, source: 'workflow_run' });

  expect(outcome.conclusion).toBe('unverified');
  expect(outcome.failure).toMatch(/marked unverified/);
  expect(scenario.github.createdPulls).toHaveLength(1);
  expect(scenario.github.createdPulls[0]).toMatchObject({ title: '[unverified] fix: Multiply instead', draft: true });
});

test('a failing branch named with the fix prefix is skipped without a model request', async () => {
  const event = structuredClone(scenario.event);
  (event.payload.workflow_run as { head_branch: string }).head_branch = `codex/fix/${FAILING_BRANCH}-1`;
  const outcome = await runFix(await scenario.context({}, event), { runId: RUN_ID, source: 'workflow_run' });

  expect(outcome.conclusion).toBe('skipped');
  expect(outcome.failure).toBeUndefined();
  expect(outcome.summary).toContain('starts with the fix branch prefix');
  expect(scenario.model.requests).toHaveLength(0);
  expect(scenario.github.requests).toHaveLength(0);
});

test('an actor without write access is skipped without a model request', async () => {
  scenario.github.setPermission('octocat', 'read');
  const outcome = await runFix(await scenario.context(), { runId: RUN_ID, source: 'workflow_run' });
  expect(outcome.conclusion).toBe('skipped');
  expect(outcome.summary).toContain("octocat, who has 'read' access");
  expect(scenario.model.requests).toHaveLength(0);
});

test('without actions: read the failure is reproduced with test-command; patch delivery writes the diff', async () => {
  scenario.github.failNext('GET', '/repos/:owner/:repo/actions/runs/:run_id/jobs', 403, { message: 'Resource not accessible by integration' });
  agentRuns(FIX_COMMAND, diagnosisJson('Make add() add'));
  const ctx = await scenario.context({ 'fix-delivery': 'patch' });

  const outcome = await runFix(ctx, { runId: RUN_ID, source: 'workflow_run' });

  expect(outcome.conclusion).toBe('success');
  const first = scenario.model.responseRequests[0]!;
  expect(userText(first)).toContain('FAIL add(2, 3) returned -1, expected 5');
  expect(userText(first)).toContain('test-command-output.log');
  expect(outcome.summary).toContain("needs 'actions: read'");
  const patch = await readFile(outcome.outputs['patch-path']!, 'utf8');
  expect(patch).toContain('+exports.add = (a, b) => a + b;');
  expect(scenario.github.createdPulls).toHaveLength(0);
  expect(await scenario.originGit('for-each-ref', '--format=%(refname)')).toBe(`refs/heads/${FAILING_BRANCH}`);
});

test('in the failing job itself, the run is read from the environment and a workspace elsewhere is reported', async () => {
  agentRuns(FIX_COMMAND, diagnosisJson('Make add() add'));
  const ctx = await scenario.context({ 'fix-delivery': 'patch' }, { name: 'push', payload: {} });
  const otherSha = 'e'.repeat(40);
  ctx.env = { ...ctx.env, GITHUB_REF_NAME: FAILING_BRANCH, GITHUB_SHA: otherSha, GITHUB_ACTOR: 'octocat' };

  const outcome = await runFix(ctx, { runId: 9000, source: 'in-job' });

  expect(outcome.conclusion).toBe('success');
  expect(outcome.summary).toContain(`not at the failing commit ${otherSha.slice(0, 12)}`);
  expect(userText(scenario.model.responseRequests[0]!)).toContain('whose log GitHub does not serve yet');
  // The in-job path never asks for job logs.
  expect(scenario.github.requestsTo('GET', '/repos/:owner/:repo/actions/runs/:run_id/jobs')).toHaveLength(0);
});

test('fix mode without test-command is refused before anything runs', async () => {
  const ctx = await scenario.context({ 'test-command': '' });
  await expect(runFix(ctx, { runId: RUN_ID, source: 'workflow_run' })).rejects.toThrow(/needs 'test-command'/);
  expect(scenario.model.requests).toHaveLength(0);
});

test('fix-delivery push commits onto the failing branch, and refuses the default branch before any model call', async () => {
  agentRuns(FIX_COMMAND, diagnosisJson('Make add() add'));
  const outcome = await runFix(await scenario.context({ 'fix-delivery': 'push' }), { runId: RUN_ID, source: 'workflow_run' });
  expect(outcome.conclusion).toBe('success');
  expect(outcome.outputs['fix-branch']).toBe(FAILING_BRANCH);
  const tip = await scenario.originGit('rev-parse', `refs/heads/${FAILING_BRANCH}`);
  expect(await scenario.originGit('rev-parse', `${tip}^`)).toBe(scenario.repo.headSha);
  expect(await scenario.originGit('log', '-1', '--format=%s', tip)).toBe('fix: Make add() add');
  expect(scenario.github.createdPulls).toHaveLength(0);

  const onMain = await startFixScenario({ branch: 'main' });
  try {
    const ctx = await onMain.context({ 'fix-delivery': 'push' });
    await expect(runFix(ctx, { runId: RUN_ID, source: 'workflow_run' })).rejects.toThrow(/default branch/);
    expect(onMain.model.requests).toHaveLength(0);
  } finally {
    await onMain.close();
  }
});

test('a change that carries a secret is refused: nothing is pushed', async () => {
  // The agent copies a file it found outside the workspace (readable in the sandbox) into the repository.
  const ctx = await scenario.context();
  const found = join(ctx.tempDir, 'found.txt');
  await writeFile(found, `token=${TEST_GITHUB_TOKEN}\n`);
  agentRuns(`${FIX_COMMAND} && cp ${found} leak.txt`, diagnosisJson('Make add() add'));
  const outcome = await runFix(ctx, { runId: RUN_ID, source: 'workflow_run' });
  expect(outcome.conclusion).toBe('failure');
  expect(outcome.failure).toMatch(/Refused to commit: the change contains one of this run's secrets/);
  expect(outcome.summary).not.toContain(TEST_GITHUB_TOKEN);
  expect(scenario.github.createdPulls).toHaveLength(0);
  expect(await scenario.originGit('for-each-ref', '--format=%(refname)')).toBe(`refs/heads/${FAILING_BRANCH}`);
});

test('in the failing job, a test-command that passes leaves nothing to fix, without a model call', async () => {
  await writeFile(join(scenario.repo.dir, 'src/add.js'), 'exports.add = (a, b) => a + b;\n');
  const ctx = await scenario.context({}, { name: 'push', payload: {} });
  ctx.env = { ...ctx.env, GITHUB_REF_NAME: FAILING_BRANCH, GITHUB_SHA: scenario.repo.headSha, GITHUB_ACTOR: 'octocat' };

  const outcome = await runFix(ctx, { runId: 9000, source: 'in-job' });

  expect(outcome.conclusion).toBe('no-changes');
  expect(outcome.failure).toBeUndefined();
  expect(outcome.summary).toContain('The failure did not reproduce');
  expect(outcome.summary).toContain('all tests passed');
  expect(scenario.model.requests).toHaveLength(0);
});

describe('the action runs test-command in the agent sandbox', () => {
  let action: ChildProcess | undefined;
  afterEach(() => {
    action?.kill('SIGKILL');
    action = undefined;
  });

  test('it cannot read the action environment through /proc, nor plant git config for the action', async () => {
    // Stands in for the action's process: same user, the secrets in its environment as the runner passes them.
    action = spawn('sleep', ['120'], {
      env: { PATH: process.env.PATH, 'INPUT_GITHUB-TOKEN': TEST_GITHUB_TOKEN, 'INPUT_OPENAI-API-KEY': TEST_API_KEY },
      stdio: 'ignore',
    });
    const ctx = await scenario.context();
    const seen = join(ctx.tempDir, 'seen-environments.txt');
    // The agent-edited code under test tries the parent chain, then every process it can see, then .git/config.
    const testCommand =
      `p=$$; while [ "$p" -gt 1 ]; do cat /proc/$p/environ; p=$(awk '/^PPid/{print $2}' /proc/$p/status); done > ${seen} 2>/dev/null; ` +
      `for f in /proc/[0-9]*/environ; do cat "$f"; done >> ${seen} 2>/dev/null; ` +
      `git config core.fsmonitor "touch ${join(ctx.tempDir, 'pwned')}"; printf '[core]\\n\\thooksPath = /tmp\\n' >> .git/config; ` +
      TEST_COMMAND;
    ctx.inputs.testCommand = testCommand;
    const config = await readFile(join(scenario.repo.dir, '.git/config'), 'utf8');
    agentRuns(FIX_COMMAND, diagnosisJson('Make add() add'));

    const outcome = await runFix(ctx, { runId: RUN_ID, source: 'workflow_run' });

    expect(outcome.conclusion).toBe('success');
    const environments = await readFile(seen, 'utf8');
    expect(environments).toContain('PATH=');
    for (const form of SECRET_FORMS) expect(environments).not.toContain(form);
    expect(await readFile(join(scenario.repo.dir, '.git/config'), 'utf8')).toBe(config);
    await expect(readFile(join(ctx.tempDir, 'pwned'))).rejects.toThrow();
  });

  test("with 'sandbox: danger-full-access' it runs directly, as the agent's commands do", async () => {
    const ctx = await scenario.context({ sandbox: 'danger-full-access' });
    ctx.inputs.testCommand = `${TEST_COMMAND} && git config codex.test-ran yes`;
    agentRuns(FIX_COMMAND, diagnosisJson('Make add() add'));
    const outcome = await runFix(ctx, { runId: RUN_ID, source: 'workflow_run' });
    expect(outcome.conclusion).toBe('success');
    expect(await scenario.repo.git('config', 'codex.test-ran')).toBe('yes');
  });
});

describe('a workspace that is not at the failing commit', () => {
  async function moveHead() {
    await writeFile(join(scenario.repo.dir, 'other.txt'), 'another commit\n');
    await scenario.repo.git('add', 'other.txt');
    await scenario.repo.git('commit', '--quiet', '-m', 'another commit');
  }

  test.each(['pull-request', 'push'])('is refused before any model call with fix-delivery %s', async (delivery) => {
    await moveHead();
    const ctx = await scenario.context({ 'fix-delivery': delivery });
    const refused = runFix(ctx, { runId: RUN_ID, source: 'workflow_run' });
    await expect(refused).rejects.toThrow(/not at the failing commit .*wrong parent/);
    await expect(refused).rejects.toThrow('ref: ${{ github.event.workflow_run.head_sha }}');
    await expect(refused).rejects.toMatchObject({ name: 'FixConfigError' });
    expect(scenario.model.requests).toHaveLength(0);
    expect(await scenario.originGit('for-each-ref', '--format=%(refname)')).toBe(`refs/heads/${FAILING_BRANCH}`);
  });

  test('on a pull_request event in the failing job, the failing commit is the head, not the merge commit', async () => {
    const prEvent = (headSha: string) => ({
      name: 'pull_request',
      payload: { pull_request: { number: 5, head: { ref: FAILING_BRANCH, sha: headSha, repo: { full_name: `${OWNER}/${REPO}` } } } },
    });
    const inJob = async (headSha: string) => {
      const ctx = await scenario.context({}, prEvent(headSha));
      // GITHUB_SHA of a pull_request run is the merge commit GitHub made; actions/checkout checks that out by default.
      ctx.env = { ...ctx.env, GITHUB_REF_NAME: '5/merge', GITHUB_HEAD_REF: FAILING_BRANCH, GITHUB_SHA: scenario.repo.headSha, GITHUB_ACTOR: 'octocat' };
      return runFix(ctx, { runId: 9000, source: 'in-job' });
    };

    // The workspace holds the merge commit, not the pull request's head.
    await expect(inJob('d'.repeat(40))).rejects.toThrow('ref: ${{ github.event.pull_request.head.sha }}');
    expect(scenario.model.requests).toHaveLength(0);

    // Checked out at the head: the fix is a pull request into the head branch, on the head commit.
    agentRuns(FIX_COMMAND, diagnosisJson('Make add() add'));
    const outcome = await inJob(scenario.repo.headSha);
    expect(outcome.conclusion).toBe('success');
    const branch = `codex/fix/${FAILING_BRANCH}-9000`;
    expect(outcome.outputs['fix-branch']).toBe(branch);
    expect(scenario.github.createdPulls[0]).toMatchObject({ base: { ref: FAILING_BRANCH } });
    const tip = await scenario.originGit('rev-parse', `refs/heads/${branch}`);
    expect(await scenario.originGit('rev-parse', `${tip}^`)).toBe(scenario.repo.headSha);
  });
});

test('changes to .github/workflows never reach the fix, however they got past the per-turn revert', async () => {
  // A test script that edits a workflow (after the revert, before delivery)…
  const ctx = await scenario.context();
  ctx.inputs.testCommand = `echo '# by the tests' >> .github/workflows/ci.yml && ${TEST_COMMAND}`;
  agentRuns(FIX_COMMAND, diagnosisJson('Make add() add'));
  const outcome = await runFix(ctx, { runId: RUN_ID, source: 'workflow_run' });
  expect(outcome.conclusion).toBe('success');
  const tip = await scenario.originGit('rev-parse', `refs/heads/${FIX_BRANCH}`);
  expect(await scenario.originGit('diff', '--name-only', `${tip}^`, tip)).toBe('src/add.js');
  expect(outcome.summary).toContain('Put back `.github/workflows/ci.yml` as in the failing commit');
  expect(await scenario.repo.git('status', '--porcelain', '--', '.github')).toBe('');
});

test('a workflow change the agent committed itself (full access) is put back too', async () => {
  await scenario.repo.git('reset', '--quiet', '--hard', scenario.repo.headSha);
  const commit = "git -c user.name=agent -c user.email=agent@example.com commit --quiet -am 'wip'";
  agentRuns(`${FIX_COMMAND} && echo '# agent' >> .github/workflows/ci.yml && ${commit}`, diagnosisJson('Make add() add'));
  const outcome = await runFix(await scenario.context({ sandbox: 'danger-full-access' }), { runId: RUN_ID, source: 'workflow_run' });
  expect(outcome.conclusion).toBe('success');
  const tip = await scenario.originGit('rev-parse', `refs/heads/${FIX_BRANCH}`);
  expect(await scenario.originGit('rev-parse', `${tip}^`)).toBe(scenario.repo.headSha);
  expect(await scenario.originGit('diff', '--name-only', `${tip}^`, tip)).toBe('src/add.js');
  expect(outcome.summary).toContain('Put back `.github/workflows/ci.yml`');
});

test("files the action's test runs create are left out of the fix", async () => {
  const ctx = await scenario.context();
  ctx.inputs.testCommand = `mkdir -p coverage && echo lcov > coverage/lcov.info && echo '<testsuites/>' > junit.xml && ${TEST_COMMAND}`;
  // The agent adds a new file of its own (part of the fix) besides fixing the bug.
  agentRuns(`${FIX_COMMAND} && echo '// helper' > src/helper.js`, diagnosisJson('Make add() add'));
  const outcome = await runFix(ctx, { runId: RUN_ID, source: 'workflow_run' });
  expect(outcome.conclusion).toBe('success');
  const tip = await scenario.originGit('rev-parse', `refs/heads/${FIX_BRANCH}`);
  expect((await scenario.originGit('diff', '--name-only', `${tip}^`, tip)).split('\n')).toEqual(['src/add.js', 'src/helper.js']);
  expect(outcome.summary).toContain('Left out of the fix: 2 untracked path(s) that `');
  expect(outcome.summary).toContain('`coverage/lcov.info`');
  expect(outcome.summary).toContain('`junit.xml`');
});

test('a secret inside a binary file stops the delivery', async () => {
  const ctx = await scenario.context();
  const found = join(ctx.tempDir, 'found.txt');
  await writeFile(found, `token=${TEST_GITHUB_TOKEN}\n`);
  agentRuns(`${FIX_COMMAND} && { printf '\\000\\001binary\\000'; cat ${found}; } > cache.bin`, diagnosisJson('Make add() add'));
  const outcome = await runFix(ctx, { runId: RUN_ID, source: 'workflow_run' });
  expect(await readFile(join(scenario.repo.dir, 'cache.bin'))).toContain(0);
  expect(outcome.conclusion).toBe('failure');
  expect(outcome.failure).toMatch(/Refused to commit: the change contains one of this run's secrets/);
  expect(scenario.github.createdPulls).toHaveLength(0);
  expect(await scenario.originGit('for-each-ref', '--format=%(refname)')).toBe(`refs/heads/${FAILING_BRANCH}`);
});

test("a fix branch someone else pushed to is not overwritten on a re-run", async () => {
  agentRuns(FIX_COMMAND, diagnosisJson('Make add() add'));
  expect((await runFix(await scenario.context(), { runId: RUN_ID, source: 'workflow_run' })).conclusion).toBe('success');
  // A reviewer pushes a commit of their own onto the fix branch.
  const botTip = await scenario.originGit('rev-parse', `refs/heads/${FIX_BRANCH}`);
  const theirs = (
    await execa('git', ['--git-dir', scenario.repo.origin, 'commit-tree', '-p', botTip, '-m', 'review fixup', `${botTip}^{tree}`], {
      env: { GIT_AUTHOR_NAME: 'Rita Reviewer', GIT_AUTHOR_EMAIL: 'rita@example.com', GIT_COMMITTER_NAME: 'Rita Reviewer', GIT_COMMITTER_EMAIL: 'rita@example.com' },
    })
  ).stdout;
  await scenario.originGit('update-ref', `refs/heads/${FIX_BRANCH}`, theirs);

  await scenario.repo.git('reset', '--quiet', '--hard', scenario.repo.headSha);
  const again = await runFix(await scenario.context(), { runId: RUN_ID, source: 'workflow_run' });

  expect(again.conclusion).toBe('failure');
  expect(again.failure).toMatch(/`codex\/fix\/feature\/math-4242` has commits from someone else .*Rita Reviewer <rita@example.com>.* was not overwritten/);
  expect(await scenario.originGit('rev-parse', `refs/heads/${FIX_BRANCH}`)).toBe(theirs);
  expect(scenario.github.requestsTo('PATCH', '/repos/:owner/:repo/pulls/:pull_number')).toHaveLength(0);
});

test('a turn that fails is not followed by a test run', async () => {
  const ctx = await scenario.context();
  const ran = join(ctx.tempDir, 'test-ran');
  ctx.inputs.testCommand = `echo ran >> ${ran}; ${TEST_COMMAND}`;
  scenario.model.respond(() => ({ httpStatus: 400, body: '{"error":{"message":"bad request","type":"invalid_request_error"}}' }));
  const outcome = await runFix(ctx, { runId: RUN_ID, source: 'workflow_run' });
  expect(outcome.conclusion).toBe('failure');
  expect(outcome.failure).toMatch(/turn ended with status 'failed'/);
  expect(outcome.summary).toContain("`" + ctx.inputs.testCommand + "` was not run: the agent's turn did not complete.");
  await expect(readFile(ran)).rejects.toThrow();
});

test("the agent's app-server is started while the failed job's log is still being read", async () => {
  agentRuns(FIX_COMMAND, diagnosisJson('Make add() add'));
  const ctx = await scenario.context();
  const opening = watchSessionOpening(ctx);
  // The list of the run's jobs is answered once the app-server is being opened (or after 5 s, so that the other
  // order cannot hang), then as the fake would have.
  const openedFirst: boolean[] = [];
  scenario.github.route('GET', '/repos/:owner/:repo/actions/runs/:run_id/jobs', async ({ query, url }) => {
    openedFirst.push(await eventually(opening, 5000));
    const jobs = [{ id: JOB_ID, run_id: RUN_ID, name: 'test', status: 'completed', conclusion: 'failure', steps: [] }];
    const page = paginate(jobs, query, url);
    return { body: { total_count: jobs.length, jobs: page.body }, headers: page.headers };
  });
  const outcome = await runFix(ctx, { runId: RUN_ID, source: 'workflow_run' });
  expect(openedFirst).toEqual([true]);
  expect(outcome.conclusion).toBe('success');
  // The log still reached the agent.
  expect(userText(scenario.model.requests[0]!)).toContain(LOG_MARKER);
});
