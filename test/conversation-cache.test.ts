// Threads kept in the runner's cache between runs, end to end: a review stores its threads through the real
// @actions/cache into the loopback cache service, later runs answer replies by resuming them (and store each answer
// again), a miss and a failing service fall back to a fresh thread, and the archives hold rollouts only.
import { jest } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ANSWER_HEADING } from '../src/modes/conversation/prompts.js';
import { REPLY_MARKER, storedThreadIn, threadIdIn } from '../src/base/text/markers.js';
import { runConversation } from '../src/modes/conversation/run-conversation.js';
import type { WorkflowEvent } from '../src/base/context.js';
import { planRun } from '../src/action/plan.js';
import { runReview } from '../src/modes/review/run-review.js';
import { CHUNK_HEADING } from '../src/modes/review/agent/prompts.js';
import { TEST_API_KEY } from './support/codex.js';
import { testContext, TEST_GITHUB_TOKEN } from './support/context.js';
import { APP_TEXT, FINDING_TITLE, OWNER, openPullRequest, REPO, reviewCommentEvent, scriptReviewer } from './support/conversation-fixtures.js';
import { clearCacheEnv, enterJob, startFakeCacheService, type FakeCacheService } from './support/fake-cache-service.js';
import { FakeGitHub, type FakePullRequest, type FakeReviewComment } from './support/fake-github.js';
import { createRepo, type TestRepo } from './support/git-repo.js';
import { assistantText, lastUserText, ModelServer, userText } from './support/model-server.js';
import { captureStdout } from './support/review-fixtures.js';

const HEAD = 'a1'.repeat(20);

// A review and then answers, each on the real binary.
jest.setTimeout(240_000);

let fake: FakeGitHub;
let model: ModelServer;
let cache: FakeCacheService;
let workspace: TestRepo;
let runnerTemp: string;
let stdout: ReturnType<typeof captureStdout>;
let pr: FakePullRequest;
let restoreEnv: () => void;
let answers = 0;

beforeEach(async () => {
  restoreEnv = clearCacheEnv();
  stdout = captureStdout();
  fake = await FakeGitHub.start();
  model = await ModelServer.start();
  cache = await startFakeCacheService();
  workspace = await createRepo({ 'src/app.ts': APP_TEXT });
  // A hosted runner's RUNNER_TEMP is the same path in every run; the cache version is derived from the saved paths.
  runnerTemp = await mkdtemp(join(tmpdir(), 'runner-temp-'));
  pr = openPullRequest(fake, { headSha: HEAD, extraFiles: { 'AGENTS.md': 'BASE-RULE-42\n' } });
  answers = 0;
  scriptReviewer(model, (req) => (lastUserText(req).startsWith(ANSWER_HEADING) ? { message: `ANSWER-${++answers}: LIMIT is unset in CI, so the limit is NaN.` } : undefined));
});

afterEach(async () => {
  stdout.restore();
  await fake.close();
  await model.close();
  await cache.close();
  await workspace.cleanup();
  await rm(runnerTemp, { recursive: true, force: true });
  restoreEnv();
});

/** A new job of a pull request #7 workflow: the runner hands the action a fresh runtime token for the cache. */
function newJob(token = cache.pullRequestToken(7)): void {
  enterJob(cache, token);
}

// No threadStore given: the run context picks the Actions cache because the runner offers one, as in production.
function context(event: WorkflowEvent) {
  return testContext({ githubUrl: fake.url, modelUrl: model.url, workdir: workspace.dir, repo: { owner: OWNER, repo: REPO }, inputs: { mode: 'auto' }, event, tempDir: runnerTemp });
}

async function reviewFirst(): Promise<FakeReviewComment> {
  newJob();
  const ctx = await context({ name: 'pull_request', payload: { action: 'opened', pull_request: pr } });
  expect(ctx.threadStore?.name).toBe('the Actions cache');
  const outcome = await runReview(ctx, { prNumbers: [7], explicit: false });
  expect(outcome.conclusion).toBe('findings');
  expect(fake.reviewComments).toHaveLength(1);
  return fake.reviewComments[0]!;
}

async function reply(to: FakeReviewComment, text: string) {
  newJob();
  const question = fake.addReviewReply(to.id, text, { login: 'alice', type: 'User' }, 'COLLABORATOR');
  const event = reviewCommentEvent(question, pr);
  const ctx = await context(event);
  const plan = planRun(ctx.inputs, event, 9000);
  if (plan.job !== 'converse') throw new Error(`expected a conversation, got ${JSON.stringify(plan)}`);
  return runConversation(ctx, plan.target);
}

const answerRequests = () => model.responseRequests.filter((r) => lastUserText(r).startsWith(ANSWER_HEADING));
const botReplies = () => fake.reviewComments.filter((c) => c.in_reply_to_id !== undefined && c.user.type === 'Bot');

test('a thread the review stored is resumed from the cache in a later run, and each answer is stored again for the next', async () => {
  const findingComment = await reviewFirst();
  const forkId = threadIdIn(findingComment.body)!;
  const prefix = 'codex-thread-v1/octo/demo/pr-7/';
  // Stored in the pull request's scope, before the comment naming the fork was posted; rollouts only, no secret.
  expect(cache.entries.map((e) => e.key)).toContain(`${prefix}${forkId}`);
  expect(cache.entries.every((e) => e.scope === 'refs/pull/7/merge' && e.finalized)).toBe(true);
  for (const entry of cache.entries) {
    const files = await cache.archiveFiles(entry);
    expect(files.size).toBeGreaterThan(0);
    for (const [name, text] of files) {
      expect(name).toMatch(/\/rollout-[^/]*\.jsonl$/);
      expect(text).not.toContain(TEST_API_KEY);
      expect(text).not.toContain(TEST_GITHUB_TOKEN);
    }
  }
  const reviewEntries = cache.entries.length;

  // A later run: the first reply continues the review's fork.
  const first = await reply(findingComment, 'Why is this a problem? LIMIT is always set by our deploy.');
  expect(first).toMatchObject({ conclusion: 'answered', outputs: { 'thread-id': forkId } });
  const [firstRequest] = answerRequests();
  expect(userText(firstRequest!)).toContain(CHUNK_HEADING);
  expect(assistantText(firstRequest!)).toContain(FINDING_TITLE);
  expect(stdout.text()).toContain(`Resumed thread ${forkId} from the Actions cache.`);
  // Stored again under a new version, named in the answer's marker.
  const firstRecorded = storedThreadIn(botReplies()[0]!.body);
  expect(firstRecorded).toEqual({ threadId: forkId, version: expect.stringMatching(/^v2-[0-9a-f]{12}$/) });
  expect(botReplies()[0]!.body.trimEnd().endsWith(REPLY_MARKER)).toBe(true);
  expect(cache.entries).toHaveLength(reviewEntries + 1);
  expect(cache.entries.at(-1)).toMatchObject({ key: `${prefix}${forkId}/${firstRecorded!.version}`, scope: 'refs/pull/7/merge', finalized: true });

  // Another run: the second reply continues from the first answer, not from the review alone.
  const second = await reply(findingComment, 'And if we default it to 10?');
  expect(second?.conclusion).toBe('answered');
  const secondRequest = answerRequests()[1]!;
  expect(userText(secondRequest)).toContain('LIMIT is always set by our deploy.');
  expect(assistantText(secondRequest)).toContain('ANSWER-1');
  expect(assistantText(secondRequest)).toContain(FINDING_TITLE);
  expect(storedThreadIn(botReplies()[1]!.body)?.version).toMatch(/^v3-[0-9a-f]{12}$/);
  expect(cache.entries).toHaveLength(reviewEntries + 2);
});

test('a thread out of the run\'s cache scope (another pull request\'s) is a miss: a fresh thread, and the log says so', async () => {
  const findingComment = await reviewFirst();
  const forkId = threadIdIn(findingComment.body)!;
  // The same finding asked about from a run whose token grants pull request #8's scope only.
  newJob(cache.pullRequestToken(8));
  const question = fake.addReviewReply(findingComment.id, 'Is this real?', { login: 'alice', type: 'User' }, 'OWNER');
  const event = reviewCommentEvent(question, pr);
  const ctx = await context(event);
  const plan = planRun(ctx.inputs, event, 9000);
  if (plan.job !== 'converse') throw new Error('expected a conversation');
  const outcome = await runConversation(ctx, plan.target);

  expect(outcome.conclusion).toBe('answered');
  expect(outcome.outputs['thread-id']).not.toBe(forkId);
  const [request] = answerRequests();
  expect(userText(request!)).not.toContain(CHUNK_HEADING);
  expect(lastUserText(request!)).toContain(FINDING_TITLE);
  expect(stdout.text()).toContain(`Thread ${forkId} is not in the Actions cache (never stored, evicted, or out of this ref's cache scope). Starting a fresh thread.`);
  expect(botReplies()).toHaveLength(1);
});

test('a failing cache service neither fails the step nor loses the answer: a fresh thread, and the answer is posted', async () => {
  const findingComment = await reviewFirst();
  const forkId = threadIdIn(findingComment.body)!;
  const before = cache.entries.length;
  cache.failWith = {
    GetCacheEntryDownloadURL: { status: 429, code: 'resource_exhausted', msg: 'cache lookups are rate limited' },
    CreateCacheEntry: { status: 403, code: 'permission_denied', msg: 'cache storage quota exceeded' },
  };
  const outcome = await reply(findingComment, 'Is this real?');

  expect(outcome).toMatchObject({ conclusion: 'answered' });
  expect(outcome.failure).toBeUndefined();
  expect(botReplies()).toHaveLength(1);
  expect(botReplies()[0]!.body).toContain('ANSWER-1');
  // Nothing stored, so the answer records no thread a later reply would look for in vain.
  expect(storedThreadIn(botReplies()[0]!.body)).toBeUndefined();
  expect(cache.entries).toHaveLength(before);
  const log = stdout.text();
  expect(log).toContain('cache lookups are rate limited');
  expect(log).toContain(`Thread ${forkId} is not in the Actions cache`);
  expect(log).toMatch(/Could not store thread \S+ in the Actions cache \(the cache service did not take it/);
  expect(log).toContain('Stored 0 thread(s) in the Actions cache.');
});

test('a continued thread is stored before the answer that names its key is posted: a refused reply finds it stored', async () => {
  const findingComment = await reviewFirst();
  const forkId = threadIdIn(findingComment.body)!;
  const before = cache.entries.length;
  fake.failNext('POST', '/repos/:owner/:repo/pulls/:pull_number/comments/:comment_id/replies', 403, { message: 'Resource not accessible by integration', documentation_url: 'https://docs.github.com/rest' });
  const outcome = await reply(findingComment, 'Why?');

  expect(outcome.conclusion).toBe('failure');
  expect(outcome.failure).toContain('Resource not accessible by integration');
  expect(outcome.summary).toContain('ANSWER-1');
  expect(botReplies()).toHaveLength(0);
  // The version was taken before GitHub was asked to publish the marker naming it.
  expect(cache.entries).toHaveLength(before + 1);
  expect(cache.entries.at(-1)!.key).toMatch(new RegExp(`/pr-7/${forkId}/v2-[0-9a-f]{12}$`));
});
