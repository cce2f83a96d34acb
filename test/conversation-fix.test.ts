// "@codex fix" on a pull request end to end: the real app-server and sandbox, a scripted model, the fake GitHub and
// a real workspace whose origin is a bare repository. Same-repository: one verified commit pushed onto the head
// branch and a reply with its link; fork: a suggestion (review thread) or a patch (PR comment), nothing pushed.
import { jest } from '@jest/globals';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { FIX_HEADING } from '../src/modes/conversation/prompts.js';
import { REPLY_MARKER } from '../src/base/text/markers.js';
import { runConversation } from '../src/modes/conversation/run-conversation.js';
import { DirectoryStore } from '../src/base/threads/thread-store.js';
import type { WorkflowEvent } from '../src/base/context.js';
import { planRun } from '../src/action/plan.js';
import { runReview } from '../src/modes/review/run-review.js';
import { CHUNK_HEADING } from '../src/modes/review/agent/prompts.js';
import { testContext } from './support/context.js';
import { APP_TEXT, FINDING_TITLE, issueCommentEvent, OWNER, openPullRequest, REPO, reviewCommentEvent, scriptReviewer } from './support/conversation-fixtures.js';
import { FakeGitHub, type FakePullRequest, type FakeReviewComment } from './support/fake-github.js';
import type { TestRepo } from './support/git-repo.js';
import { isAfterToolCall, lastUserText, ModelServer, userText } from './support/model-server.js';
import { captureStdout, closeReviewRig, startReviewRig } from './support/review-fixtures.js';

const FIXED = '  const limit = Number(process.env.LIMIT ?? 10);';
const SED = "sed -i 's/process.env.LIMIT)/process.env.LIMIT ?? 10)/' src/app.ts";
const DIAGNOSIS = JSON.stringify({ title: 'Default LIMIT to 10', root_cause: 'LIMIT may be unset.', summary: 'SUMMARY-3c: LIMIT falls back to 10.' });

// A review and then the conversation, each on the real binary: longer than one turn on a busy machine.
jest.setTimeout(180_000);

let fake: FakeGitHub;
let model: ModelServer;
let workspace: TestRepo;
let storeDir: string;
let stdout: ReturnType<typeof captureStdout>;

beforeEach(async () => {
  ({ stdout, fake, model, workspace } = await startReviewRig({ 'src/app.ts': APP_TEXT }, { branch: 'feature' }));
  storeDir = await mkdtemp(join(tmpdir(), 'thread-store-'));
  scriptReviewer(model, (req) => {
    if (lastUserText(req).startsWith(FIX_HEADING) || (isAfterToolCall(req) && userText(req).includes(FIX_HEADING))) {
      return isAfterToolCall(req) ? { message: DIAGNOSIS } : { exec: SED };
    }
    return undefined;
  });
});

afterEach(async () => {
  await closeReviewRig({ stdout, fake, model, workspace });
  await rm(storeDir, { recursive: true, force: true });
});

function addPr(headRepo?: string): FakePullRequest {
  return openPullRequest(fake, { headSha: workspace.headSha, headRepo });
}

function context(event: WorkflowEvent) {
  return testContext({
    githubUrl: fake.url,
    modelUrl: model.url,
    workdir: workspace.dir,
    repo: { owner: OWNER, repo: REPO },
    inputs: { mode: 'auto', 'test-command': "grep -q 'LIMIT ?? 10' src/app.ts" },
    event,
    threadStore: new DirectoryStore(storeDir),
  });
}

async function reviewFirst(pr: FakePullRequest): Promise<FakeReviewComment> {
  const outcome = await runReview(await context({ name: 'pull_request', payload: { action: 'opened', pull_request: pr } }), { prNumbers: [7], explicit: false });
  expect(outcome.conclusion).toBe('findings');
  return fake.reviewComments[0]!;
}

async function converse(event: WorkflowEvent) {
  const ctx = await context(event);
  const plan = planRun(ctx.inputs, event, 9000);
  if (plan.job !== 'converse') throw new Error(`expected a conversation, got ${JSON.stringify(plan)}`);
  expect(plan.target.kind).toBe('fix');
  return runConversation(ctx, plan.target);
}

const originTip = async () => (await execa('git', ['--git-dir', workspace.origin, 'rev-parse', 'refs/heads/feature'])).stdout;
const botReplies = () => fake.reviewComments.filter((c) => c.in_reply_to_id !== undefined && c.user.type === 'Bot');

test('"@codex fix" in a finding\'s thread pushes one verified commit onto the head branch and replies with its link', async () => {
  const pr = addPr();
  const findingComment = await reviewFirst(pr);
  const ask = fake.addReviewReply(findingComment.id, '@codex fix default to 10', { login: 'alice', type: 'User' }, 'MEMBER');
  const outcome = await converse(reviewCommentEvent(ask, pr));

  expect(outcome).toMatchObject({ conclusion: 'success', outputs: { verified: 'true', 'fix-branch': 'feature' } });
  const tip = await originTip();
  expect(tip).not.toBe(workspace.headSha);
  // One commit, on the head, by the action's identity, with the fix.
  expect((await execa('git', ['--git-dir', workspace.origin, 'rev-list', `${workspace.headSha}..${tip}`])).stdout.split('\n')).toHaveLength(1);
  expect((await execa('git', ['--git-dir', workspace.origin, 'rev-parse', `${tip}^`])).stdout).toBe(workspace.headSha);
  expect((await execa('git', ['--git-dir', workspace.origin, 'show', `${tip}:src/app.ts`])).stdout).toContain(FIXED);
  expect((await execa('git', ['--git-dir', workspace.origin, 'log', '-1', '--format=%an <%ae>%n%B', tip])).stdout).toMatch(/github-actions\[bot\][\s\S]*Default LIMIT to 10/);
  // The reply: in the thread, with the commit link, what changed and the verification.
  expect(botReplies()).toHaveLength(1);
  const reply = botReplies()[0]!;
  expect(reply.in_reply_to_id).toBe(findingComment.id);
  expect(reply.body).toContain(`https://github.example/octo/demo/commit/${tip}`);
  expect(reply.body).toContain('SUMMARY-3c');
  expect(reply.body).toMatch(/Verification: .*passed/);
  expect(reply.body.trimEnd().endsWith(REPLY_MARKER)).toBe(true);
  // The fix continued the review fork: its first request carries the review's chunk turn and the finding.
  const fixRequest = model.responseRequests.find((r) => lastUserText(r).startsWith(FIX_HEADING))!;
  expect(userText(fixRequest)).toContain(CHUNK_HEADING);
  expect(lastUserText(fixRequest)).toContain(FINDING_TITLE);
  expect(lastUserText(fixRequest)).toContain('default to 10');
});

test('on a fork\'s pull request, "@codex fix" in a thread replies with a suggestion and pushes nothing', async () => {
  const pr = addPr('someone/demo');
  const findingComment = await reviewFirst(pr);
  const ask = fake.addReviewReply(findingComment.id, '@codex fix', { login: 'alice', type: 'User' }, 'MEMBER');
  const outcome = await converse(reviewCommentEvent(ask, pr));

  expect(outcome.conclusion).toBe('suggested');
  expect(await originTip()).toBe(workspace.headSha);
  const reply = botReplies()[0]!;
  expect(reply.in_reply_to_id).toBe(findingComment.id);
  expect(reply.body).toContain('the fork someone/demo');
  expect(reply.body).toContain(`\`\`\`suggestion\n${FIXED}\n\`\`\``);
});

test('"@codex fix" in a PR comment on a fork answers with a patch on the pull request', async () => {
  const pr = addPr('someone/demo');
  const outcome = await converse(issueCommentEvent(pr, { id: 4242, body: '@codex fix make LIMIT default to 10', login: 'alice', association: 'OWNER' }));

  expect(outcome.conclusion).toBe('suggested');
  expect(await originTip()).toBe(workspace.headSha);
  const comment = fake.issueComments.at(-1)!;
  expect(comment.body).toContain('```diff');
  expect(comment.body).toContain(`+${FIXED}`);
  expect(lastUserText(model.responseRequests.find((r) => lastUserText(r).startsWith(FIX_HEADING))!)).toContain('make LIMIT default to 10');
  expect(await readFile(join(workspace.dir, 'src/app.ts'), 'utf8')).toContain(FIXED);
});
