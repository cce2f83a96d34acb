// Conversations end to end: replies in review threads answered (resuming the review's stored fork, or afresh),
// with the real codex app-server, a scripted model, the fake GitHub and a real git workspace.
import { jest } from '@jest/globals';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ANSWER_HEADING } from '../src/modes/conversation/prompts.js';
import { REPLY_MARKER, threadIdIn } from '../src/base/text/markers.js';
import { runConversation } from '../src/modes/conversation/run-conversation.js';
import { DirectoryStore } from '../src/base/threads/thread-store.js';
import type { WorkflowEvent } from '../src/base/context.js';
import { planRun } from '../src/action/plan.js';
import { runReview } from '../src/modes/review/run-review.js';
import { CHUNK_HEADING, SETUP_HEADING } from '../src/modes/review/agent/prompts.js';
import { TEST_API_KEY } from './support/codex.js';
import { testContext } from './support/context.js';
import { APP_TEXT, FINDING_TITLE, OWNER, openPullRequest, REPO, reviewCommentEvent, scriptReviewer } from './support/conversation-fixtures.js';
import { FakeGitHub, type FakePullRequest, type FakeReviewComment } from './support/fake-github.js';
import type { TestRepo } from './support/git-repo.js';
import { assistantText, lastUserText, ModelServer, userText } from './support/model-server.js';
import { captureStdout, closeReviewRig, SETUP_ACK, startReviewRig } from './support/review-fixtures.js';

const HEAD = 'a1'.repeat(20);
const ANSWER = 'ANSWER-5d1: LIMIT is unset in CI, so the limit is NaN and slice returns nothing.';

// A review and then the conversation, each on the real binary: longer than one turn on a busy machine.
jest.setTimeout(180_000);

let fake: FakeGitHub;
let model: ModelServer;
let workspace: TestRepo;
let storeDir: string;
let stdout: ReturnType<typeof captureStdout>;
let pr: FakePullRequest;

beforeEach(async () => {
  ({ stdout, fake, model, workspace } = await startReviewRig({ 'src/app.ts': APP_TEXT }));
  storeDir = await mkdtemp(join(tmpdir(), 'thread-store-'));
  pr = openPullRequest(fake, { headSha: HEAD, extraFiles: { 'AGENTS.md': 'BASE-RULE-42\n' } });
  // The review's turns, and the answer to a question in a thread.
  scriptReviewer(model, (req) => (lastUserText(req).startsWith(ANSWER_HEADING) ? { message: ANSWER } : undefined));
});

afterEach(async () => {
  await closeReviewRig({ stdout, fake, model, workspace });
  await rm(storeDir, { recursive: true, force: true });
});

function context(event: WorkflowEvent, store = new DirectoryStore(storeDir), inputs: Record<string, string> = {}) {
  return testContext({
    githubUrl: fake.url,
    modelUrl: model.url,
    workdir: workspace.dir,
    repo: { owner: OWNER, repo: REPO },
    inputs: { mode: 'auto', ...inputs },
    event,
    threadStore: store,
  });
}

let reviewThreadId = '';

/** Runs the review that posts the finding; returns its inline comment. */
async function reviewFirst(): Promise<FakeReviewComment> {
  const ctx = await context({ name: 'pull_request', payload: { action: 'opened', pull_request: pr } });
  const outcome = await runReview(ctx, { prNumbers: [7], explicit: false });
  expect(outcome.conclusion).toBe('findings');
  expect(fake.reviewComments).toHaveLength(1);
  reviewThreadId = outcome.outputs['thread-id']!;
  return fake.reviewComments[0]!;
}

/** Plans and holds the conversation for `event`, as main.ts would. */
async function converse(event: WorkflowEvent, store?: DirectoryStore, inputs: Record<string, string> = {}) {
  const ctx = await context(event, store, inputs);
  const plan = planRun(ctx.inputs, event, 9000);
  if (plan.job !== 'converse') return { plan, outcome: undefined };
  return { plan, outcome: await runConversation(ctx, plan.target) };
}

const answerRequests = () => model.responseRequests.filter((r) => lastUserText(r).startsWith(ANSWER_HEADING));
const replies = () => fake.reviewComments.filter((c) => c.in_reply_to_id !== undefined && c.user.type === 'Bot');

test('a reply to a finding is answered in its thread, continuing the review fork that reported it', async () => {
  const findingComment = await reviewFirst();
  const forkId = threadIdIn(findingComment.body);
  expect(forkId).toMatch(/^[0-9a-f-]{36}$/);
  // The store holds rollouts only: no auth.json, no config.toml, no key.
  const store = new DirectoryStore(storeDir);
  const keys = await store.keys();
  expect(keys).toContain(`codex-thread-v1/octo/demo/pr-7/${forkId}`);
  for (const key of keys) {
    const files = await readdir(join(storeDir, encodeURIComponent(key)));
    for (const f of files) {
      expect(f).toMatch(/^rollout-.*\.jsonl$/);
      expect(await readFile(join(storeDir, encodeURIComponent(key), f), 'utf8')).not.toContain(TEST_API_KEY);
    }
  }

  const question = fake.addReviewReply(findingComment.id, 'Why is this a problem? LIMIT is always set by our deploy.', { login: 'alice', type: 'User' }, 'COLLABORATOR');
  const { outcome } = await converse(reviewCommentEvent(question, pr));

  expect(outcome).toMatchObject({ conclusion: 'answered', outputs: { 'thread-id': forkId } });
  // One answer, in the finding's thread, marked as the action's reply.
  expect(replies()).toHaveLength(1);
  expect(replies()[0]).toMatchObject({ in_reply_to_id: findingComment.id, path: 'src/app.ts' });
  expect(replies()[0]!.body).toContain(ANSWER);
  expect(replies()[0]!.body.trimEnd().endsWith(REPLY_MARKER)).toBe(true);
  // Grounded: the finding, the hunk, the file at the head around it, and the question.
  const [request] = answerRequests();
  const prompt = lastUserText(request!);
  expect(prompt).toContain(FINDING_TITLE);
  expect(prompt).toContain('+  const limit = Number(process.env.LIMIT);');
  expect(prompt).toMatch(/11 \| {3}const limit = Number\(process\.env\.LIMIT\);/);
  expect(prompt).toContain('LIMIT is always set by our deploy.');
  expect(prompt).not.toContain('codex-ci-action:fp');
  // Resumed: the request carries the original review turn (the chunk prompt and the model's findings).
  expect(userText(request!)).toContain(CHUNK_HEADING);
  expect(assistantText(request!)).toContain(FINDING_TITLE);
  expect(stdout.text()).toContain(`Resumed thread ${forkId}`);
});

test('without a stored thread the answer starts a fresh thread with the same context, and says so', async () => {
  const findingComment = await reviewFirst();
  const question = fake.addReviewReply(findingComment.id, 'Is this real?', { login: 'alice', type: 'User' }, 'OWNER');
  const empty = new DirectoryStore(await mkdtemp(join(tmpdir(), 'empty-store-')));
  const { outcome } = await converse(reviewCommentEvent(question, pr), empty);

  expect(outcome?.conclusion).toBe('answered');
  expect(outcome?.outputs['thread-id']).not.toBe(threadIdIn(findingComment.body));
  const [request] = answerRequests();
  expect(userText(request!)).not.toContain(CHUNK_HEADING);
  expect(lastUserText(request!)).toContain(FINDING_TITLE);
  expect(lastUserText(request!)).toContain('+  const limit = Number(process.env.LIMIT);');
  expect(stdout.text()).toMatch(/Thread \S+ is not in the folder .* Starting a fresh thread\./);
  expect(replies()).toHaveLength(1);
});

test('a reply from a user without access is ignored: no model call, no answer', async () => {
  const findingComment = await reviewFirst();
  const before = model.responseRequests.length;
  const question = fake.addReviewReply(findingComment.id, '@codex explain', { login: 'mallory', type: 'User' }, 'CONTRIBUTOR');
  const { plan } = await converse(reviewCommentEvent(question, pr));
  expect(plan).toEqual({ job: 'skip', reason: "@mallory may not ask Codex (not a collaborator and not in 'allow-users')." });
  expect(model.responseRequests).toHaveLength(before);
  expect(replies()).toHaveLength(0);
});

test("the action's own reply never triggers another answer, even when its bot is in allow-bots", async () => {
  const findingComment = await reviewFirst();
  const question = fake.addReviewReply(findingComment.id, 'Why?', { login: 'alice', type: 'User' }, 'MEMBER');
  await converse(reviewCommentEvent(question, pr));
  expect(replies()).toHaveLength(1);
  const before = model.responseRequests.length;

  // GitHub sends the event for the action's own reply too.
  const own = replies()[0]!;
  for (const inputs of [{}, { 'allow-bots': 'github-actions' }] as Array<Record<string, string>>) {
    const { plan } = await converse(reviewCommentEvent(own, pr), undefined, inputs);
    expect(plan.job).toBe('skip');
  }
  expect(model.responseRequests).toHaveLength(before);
  expect(replies()).toHaveLength(1);
});

test('edits are ignored, and a reply in a thread the action did not start is answered only when it mentions the trigger', async () => {
  const findingComment = await reviewFirst();
  const question = fake.addReviewReply(findingComment.id, 'Why?', { login: 'alice', type: 'User' }, 'MEMBER');
  expect((await converse(reviewCommentEvent(question, pr, 'edited'))).plan).toEqual({ job: 'skip', reason: 'The review comment was edited, not created.' });

  // A human's own review thread.
  const human = { ...findingComment, id: 5001, body: 'Should this be cached?', user: { login: 'bob', type: 'User' }, author_association: 'MEMBER' };
  fake.reviewComments.push(human);
  const reply = fake.addReviewReply(human.id, 'I think so.', { login: 'alice', type: 'User' }, 'MEMBER');
  const quiet = await converse(reviewCommentEvent(reply, pr));
  expect(quiet.outcome?.conclusion).toBe('skipped');
  expect(answerRequests()).toHaveLength(0);

  const asked = fake.addReviewReply(human.id, '@codex what do you think?', { login: 'alice', type: 'User' }, 'MEMBER');
  const answered = await converse(reviewCommentEvent(asked, pr));
  expect(answered.outcome?.conclusion).toBe('answered');
  const prompt = lastUserText(answerRequests()[0]!);
  // The human's thread is quoted as untrusted data, with the earlier reply.
  expect(prompt).toContain("The thread's first comment, by @bob");
  expect(prompt).toContain('I think so.');
  expect(replies().at(-1)).toMatchObject({ in_reply_to_id: human.id });
});

test("resume-thread continues the review's base thread (its thread-id output) where no thread is recorded", async () => {
  const findingComment = await reviewFirst();
  expect(reviewThreadId).toMatch(/^[0-9a-f-]{36}$/);
  const human = { ...findingComment, id: 5002, body: 'A question of my own.', user: { login: 'bob', type: 'User' }, author_association: 'MEMBER' };
  fake.reviewComments.push(human);
  const asked = fake.addReviewReply(human.id, '@codex does this follow our conventions?', { login: 'bob', type: 'User' }, 'MEMBER');
  const { outcome } = await converse(reviewCommentEvent(asked, pr), undefined, { 'resume-thread': reviewThreadId });

  expect(outcome).toMatchObject({ conclusion: 'answered', outputs: { 'thread-id': reviewThreadId } });
  const [request] = answerRequests();
  // The base thread's setup turn (conventions and its acknowledgement) is in the history; no chunk turn is.
  expect(userText(request!)).toContain(SETUP_HEADING);
  expect(assistantText(request!)).toContain(SETUP_ACK);
  expect(userText(request!)).not.toContain(CHUNK_HEADING);
});

test('resume-thread in a review is ignored with a warning and a note: the review starts its own base thread', async () => {
  const given = '0199a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b';
  const ctx = await context({ name: 'pull_request', payload: { action: 'opened', pull_request: pr } }, undefined, { 'resume-thread': given });
  const outcome = await runReview(ctx, { prNumbers: [7], explicit: false });

  expect(outcome.conclusion).toBe('findings');
  const warning = `resume-thread '${given}' is ignored: a review starts a new base thread`;
  expect(stdout.text()).toContain(`::warning::${warning}`);
  expect(outcome.summary).toContain(warning);
  expect(outcome.outputs['thread-id']).toMatch(/^[0-9a-f-]{36}$/);
  expect(outcome.outputs['thread-id']).not.toBe(given);
  // Not looked up at all: no restore was tried.
  expect(stdout.text()).not.toContain(`Thread ${given}`);
});
