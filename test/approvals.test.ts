// Approvals in CI: the auto-reviewer's decisions (real item/autoApprovalReview notifications) and the action's own, logged and summarised.
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { approvalsSummary, type ApprovalRecord } from '../src/base/codex/approvals.js';
import { run } from '../src/action/main.js';
import { CODEX_BINARY, startCodexRig, TEST_API_KEY, type CodexRig } from './support/codex.js';
import { FakeGitHub } from './support/fake-github.js';
import { createRepo } from './support/git-repo.js';
import { isAfterToolCall, ModelServer, type ModelReply, type ModelRequest } from './support/model-server.js';
import { addedPatch, captureStdout, finding, findingsReply, serveContents, SETUP_ACK, turnKind } from './support/review-fixtures.js';
import { withStepFiles } from './support/step-files.js';

/** The auto-reviewer's own model call: Codex asks for a JSON verdict with an `outcome` (allow | deny). */
function isAutoReview(req: ModelRequest): boolean {
  const schema = req.body.text?.format?.schema as { properties?: Record<string, unknown> } | undefined;
  return schema?.properties?.outcome !== undefined;
}

function verdict(outcome: 'allow' | 'deny', risk: string, rationale: string): ModelReply {
  return { message: JSON.stringify({ outcome, risk_level: risk, user_authorization: 'unknown', rationale }) };
}

let rig: CodexRig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

/** The agent asks to run `cmd` outside the sandbox (`require_escalated`), as a fix might to install a tool. */
function escalated(cmd: string): ModelReply {
  const args = { cmd, sandbox_permissions: 'require_escalated', justification: 'Needs to write outside the sandbox.' };
  return { items: [{ type: 'function_call', call_id: 'call-esc-1', name: 'exec_command', arguments: JSON.stringify(args) }] };
}

async function guardedTurn(reply: ModelReply, reviewer: 'auto_review' | 'user', policy: 'on-request' | 'untrusted' = 'on-request') {
  const records: ApprovalRecord[] = [];
  const logged: string[] = [];
  rig = await startCodexRig({
    onApprovalDecision: (r) => records.push(r),
    logger: { info: (m) => logged.push(m), warning: (m) => logged.push(m), debug: () => {} },
  });
  rig.model.respond((req) => {
    if (isAutoReview(req)) return reply;
    if (isAfterToolCall(req)) return { message: 'done' };
    return policy === 'on-request' ? escalated('touch guarded-file') : { exec: 'touch guarded-file' };
  });
  const thread = await rig.server.startThread({ sandbox: 'read-only', approvalPolicy: policy, approvalsReviewer: reviewer, cwd: rig.workdir });
  const result = await thread.run('Make a file.');
  return { records, logged, result, autoReviews: rig.model.responseRequests.filter(isAutoReview) };
}

test('an approval by the auto-reviewer is logged as it happens and recorded with its risk and reason', async () => {
  const { records, logged, result, autoReviews } = await guardedTurn(verdict('allow', 'low', 'Creating one file in the workspace is harmless.'), 'auto_review');

  expect(autoReviews).toHaveLength(1);
  // What the guardian was shown is the agent's command.
  expect(autoReviews[0]!.raw).toContain('touch guarded-file');
  expect(records).toEqual([
    expect.objectContaining({ decidedBy: 'auto_review', verdict: 'approved', risk: 'low', reason: 'Creating one file in the workspace is harmless.' }),
  ]);
  expect(records[0]!.asked).toContain('touch guarded-file');
  expect(logged).toContainEqual(expect.stringMatching(/^Auto-review is checking the agent's request to run `.*touch guarded-file/));
  expect(logged).toContainEqual(expect.stringMatching(/^Auto-review approved the agent's request to run .*touch guarded-file.*, risk low: Creating one file/));
  // Approved, the escalated command ran outside the read-only sandbox: why review never asks under on-request.
  const command = result.items.find((i) => i.type === 'commandExecution') as { status: string };
  expect(command.status).toBe('completed');
  expect(existsSync(join(rig!.workdir, 'guarded-file'))).toBe(true);
});

test('a denial by the auto-reviewer declines the command and is recorded as denied, with a warning', async () => {
  const { records, logged, result } = await guardedTurn(verdict('deny', 'high', 'Writes outside the task.'), 'auto_review');

  expect(records).toEqual([expect.objectContaining({ decidedBy: 'auto_review', verdict: 'denied', risk: 'high', reason: 'Writes outside the task.' })]);
  expect(logged).toContainEqual(expect.stringMatching(/^Auto-review denied the agent's request to run .*, risk high: Writes outside the task\.$/));
  const command = result.items.find((i) => i.type === 'commandExecution') as { status: string };
  expect(command.status).toBe('declined');
  expect(existsSync(join(rig!.workdir, 'guarded-file'))).toBe(false);
});

test.each([
  ['user', 'on-request'],
  // Measured: the auto-reviewer judges escalations only; an `untrusted` prompt still comes to the action.
  ['auto_review', 'untrusted'],
] as const)('approvals-reviewer %s under %s: the action declines, and its decline is recorded the same way', async (reviewer, policy) => {
  const { records, autoReviews, logged } = await guardedTurn(verdict('allow', 'low', 'unused'), reviewer, policy);

  expect(autoReviews).toHaveLength(0);
  expect(records).toEqual([expect.objectContaining({ decidedBy: 'action', verdict: 'declined', risk: null, reason: 'no one can approve in CI' })]);
  expect(records[0]!.asked).toContain('touch guarded-file');
  expect(logged).toContainEqual(expect.stringMatching(/^The action declined the agent's request to run .*touch guarded-file.*: no one can approve in CI$/));
  expect(existsSync(join(rig!.workdir, 'guarded-file'))).toBe(false);
});

test('the summary lists each decision in one table row, one line per cell, pipes escaped', () => {
  const text = approvalsSummary([
    { decidedBy: 'auto_review', threadId: 't', turnId: 'u', asked: 'run `a | b`', verdict: 'approved', risk: 'low', reason: 'fine\nreally' },
    { decidedBy: 'action', threadId: 't', turnId: 'u', asked: 'change files', verdict: 'declined', risk: null, reason: null },
  ]);
  expect(text).toContain('| run `a \\| b` | auto-review | approved | low | fine really |');
  expect(text).toContain('| change files | the action | declined | – | – |');
  expect(approvalsSummary([])).toBe('');
});

test('review mode: approval-policy reaches review threads, which stay read-only, and the decisions are in the job summary', async () => {
  const github = await FakeGitHub.start();
  const model = await ModelServer.start();
  const repo = await createRepo({ 'src/app.ts': 'export const limit = 10;\n' });
  const dir = await mkdtemp(join(tmpdir(), 'approvals-run-'));
  const stdout = captureStdout();
  try {
    const base = 'b'.repeat(40);
    serveContents(github, { owner: 'octo', repo: 'demo', sha: base, files: {} });
    github.addPullRequest({
      owner: 'octo',
      repo: 'demo',
      number: 5,
      head: { ref: 'feature', sha: repo.headSha },
      base: { ref: 'main', sha: base },
      files: [{ filename: 'src/app.ts', status: 'added', patch: addedPatch(['export const limit = 10;']), additions: 1 }],
    });
    model.respond((req) => {
      if (isAutoReview(req)) return verdict('allow', 'medium', 'Writing one file is harmless.');
      if (turnKind(req) === 'setup') return { message: SETUP_ACK };
      // The chunk's first request asks to write outside the sandbox; the answer after it is the review.
      if (!isAfterToolCall(req)) return escalated('echo checked > review-wrote-this');
      return findingsReply([finding({ path: 'src/app.ts', line: 1, title: 'Magic number', severity: 'low' })]);
    });
    const eventPath = join(dir, 'event.json');
    await writeFile(eventPath, JSON.stringify({ pull_request: { number: 5 } }));
    const { summary } = await withStepFiles(dir, () =>
      run({
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        GITHUB_EVENT_NAME: 'pull_request',
        GITHUB_EVENT_PATH: eventPath,
        GITHUB_REPOSITORY: 'octo/demo',
        GITHUB_API_URL: github.url,
        GITHUB_WORKSPACE: repo.dir,
        CODEX_CI_GITHUB_TIME_UNIT_MS: '0',
        RUNNER_TEMP: join(dir, 'temp'),
        'INPUT_OPENAI-API-KEY': TEST_API_KEY,
        'INPUT_OPENAI-BASE-URL': model.url,
        'INPUT_GITHUB-TOKEN': 'ghs_approvals_token_0123456789',
        'INPUT_CODEX-PATH': CODEX_BINARY,
        INPUT_MODEL: 'gpt-5.4',
        'INPUT_APPROVAL-POLICY': 'on-request',
        'INPUT_APPROVALS-REVIEWER': 'auto_review',
      }),
    );
    // The request was put to the action (under approval-policy never nothing is asked): the policy reached the
    // review thread, as untrusted, so the auto-reviewer, which would let an escalation out of the sandbox, is not asked.
    expect(model.responseRequests.filter(isAutoReview)).toHaveLength(0);
    expect(summary).toContain('#### Approvals');
    expect(summary).toMatch(/\| run `.*echo checked > review-wrote-this.*` \| the action \| declined \| – \| no one can approve in CI \|/);
    // Review stays read-only.
    expect(existsSync(join(repo.dir, 'review-wrote-this'))).toBe(false);
    expect(github.reviews).toHaveLength(1);
    expect(stdout.text()).toMatch(/The action declined the agent's request to run .*review-wrote-this/);
  } finally {
    stdout.restore();
    await github.close();
    await model.close();
    await repo.cleanup();
    await rm(dir, { recursive: true, force: true });
  }
}, 120_000);
