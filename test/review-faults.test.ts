// Review mode under faults (real app-server, scripted model, fake GitHub): a refused key or a dead app-server is a
// failed step that names its cause, and nothing is posted that could pass for a review of unreviewed code.
import type { RunContext } from '../src/base/context.js';
import { runReview } from '../src/modes/review/run-review.js';
import { TEST_API_KEY } from './support/codex.js';
import { testContext, trackAppServerPid } from './support/context.js';
import { eventually } from './support/eventually.js';
import { FakeGitHub } from './support/fake-github.js';
import type { TestRepo } from './support/git-repo.js';
import { errorReply, lastUserText, ModelServer, type ModelReply, type ModelRequest } from './support/model-server.js';
import {
  addedPatch,
  captureStdout,
  closeReviewRig,
  finding,
  findingsReply,
  serveContents,
  SETUP_ACK,
  startReviewRig,
  turnKind,
} from './support/review-fixtures.js';
import { type ReviewTarget } from '../src/modes/review/target.js';

const OWNER = 'octo';
const REPO = 'demo';
const HEAD = 'c3'.repeat(20);
const BASE = 'd4'.repeat(20);
const SUMMARY_MARKER = '<!-- codex-ci-action:summary -->';

let fake: FakeGitHub;
let model: ModelServer;
let workspace: TestRepo;
let stdout: ReturnType<typeof captureStdout>;

beforeEach(async () => {
  ({ stdout, fake, model, workspace } = await startReviewRig({ 'src/a.ts': 'a\n', 'src/b.ts': 'b\n' }));
  serveContents(fake, { owner: OWNER, repo: REPO, sha: BASE, files: { 'AGENTS.md': 'Errors must be typed.\n' } });
  fake.addPullRequest({
    owner: OWNER,
    repo: REPO,
    number: 31,
    title: 'Two files',
    body: 'Please review.',
    head: { ref: 'feature-31', sha: HEAD },
    base: { ref: 'main', sha: BASE },
    files: [
      { filename: 'src/a.ts', status: 'added', patch: addedPatch(['export const a = 1;', 'export const a2 = 2;']) },
      { filename: 'src/b.ts', status: 'added', patch: addedPatch(['export const b = 1;', 'export const b2 = 2;']) },
    ],
  });
});

afterEach(async () => {
  await closeReviewRig({ stdout, fake, model, workspace });
});

const target: ReviewTarget = { prNumbers: [31], explicit: false };
// Small chunks and one fork at a time: src/a.ts is reviewed first, then src/b.ts.
const CHUNKS = { chunkTokens: 40 };
const stickies = () => fake.issueComments.filter((c) => c.body.startsWith(SUMMARY_MARKER));
/** The pull request's one status comment says the review failed, and why; nothing in it reads as a clean review. */
function expectFailedStatus(cause: RegExp) {
  const bodies = stickies().map((c) => c.body);
  expect(bodies).toHaveLength(1);
  expect(bodies[0]).toContain('## Codex review: failed ❌');
  expect(bodies[0]).toMatch(cause);
  expect(bodies[0]).not.toMatch(/no findings/i);
}
const chunkFile = (req: ModelRequest) => /This chunk covers \(untrusted names\):\n`{3,}\n([^\n]+)\n/.exec(lastUserText(req))?.[1];

/** A context whose app-server's pid is kept, so the test can kill the real process. */
async function context(): Promise<{ ctx: RunContext; pid: () => number }> {
  const ctx = await testContext({
    githubUrl: fake.url,
    modelUrl: model.url,
    workdir: workspace.dir,
    repo: { owner: OWNER, repo: REPO },
    inputs: { mode: 'review', 'max-parallel': '1' },
  });
  const pid = trackAppServerPid(ctx);
  return { ctx, pid };
}

test('a refused key (401) fails the review at once: the status, the endpoint\'s words and openai-base-url; nothing posted', async () => {
  model.respond(() => errorReply(401, 'Incorrect API key provided: sk-test-9f8e***. You can find your API key at https://platform.example/account/api-keys.'));
  const { ctx } = await context();
  const outcome = await runReview(ctx, target, CHUNKS);
  expect(outcome.conclusion).toBe('failure');
  expect(outcome.failure).toContain(
    `The review stopped: The model endpoint ${model.url} (openai-base-url) answered HTTP 401 Unauthorized: "Incorrect API key provided: sk-test-9f8e***.`,
  );
  expect(outcome.failure).not.toContain(TEST_API_KEY);
  expect(outcome.summary).toContain('answered HTTP 401 Unauthorized');
  expect(outcome.summary).toContain(model.url);
  // One request: no reconnect loop, no fork started after the refusal.
  expect(model.responseRequests).toHaveLength(1);
  expect(fake.reviews).toHaveLength(0);
  expectFailedStatus(/answered HTTP 401 Unauthorized/);
});

test('a 403 in the forks is the run\'s failure, not an incomplete review: no further chunk is sent', async () => {
  model.respond((req): ModelReply => {
    if (turnKind(req) === 'setup') return { message: SETUP_ACK };
    return errorReply(403, 'You are not allowed to sample from this model');
  });
  const { ctx } = await context();
  const outcome = await runReview(ctx, target, CHUNKS);
  expect(outcome.conclusion).toBe('failure');
  expect(outcome.failure).toMatch(/answered HTTP 403 Forbidden: "You are not allowed to sample from this model"/);
  expect(model.responseRequests.filter((r) => turnKind(r) === 'chunk')).toHaveLength(1);
  expect(outcome.summary).toContain('No review was posted. 0 of 2 chunk(s) were reviewed before the failure');
  expect(fake.reviews).toHaveLength(0);
  expectFailedStatus(/answered HTTP 403 Forbidden/);
});

test.each(['setup', 'chunk'] as const)('the app-server killed during the %s turn fails the step naming the signal; nothing is posted', async (phase) => {
  const { ctx, pid } = await context();
  model.respond((req): ModelReply => {
    const kind = turnKind(req);
    const killNow = phase === 'setup' ? kind === 'setup' : kind === 'chunk' && chunkFile(req) === 'src/b.ts';
    if (killNow) {
      process.kill(pid(), 'SIGKILL');
      return { message: 'never read', delayMs: 2_000 };
    }
    if (kind === 'setup') return { message: SETUP_ACK };
    return findingsReply([finding({ path: 'src/a.ts', line: 1, severity: 'high', title: 'Found before the crash' })]);
  });
  const outcome = await runReview(ctx, target, CHUNKS);
  expect(outcome.conclusion).toBe('failure');
  expect(outcome.failure).toMatch(/^The review stopped: codex app-server was killed by SIGKILL\./);
  expect(outcome.summary).toContain('codex app-server was killed by SIGKILL');
  // Nothing that could read as "reviewed, no findings": no review, and the status comment says the review failed.
  expect(fake.reviews).toHaveLength(0);
  expectFailedStatus(/codex app-server was killed by SIGKILL/);
  if (phase === 'chunk') {
    expect(outcome.summary).toContain(
      'No review was posted. 1 of 2 chunk(s) were reviewed before the failure (1 finding(s) at or above min-severity, not posted); not reviewed: `src/b.ts`.',
    );
  }
});

test('in a batch, a pull request posted before the app-server died stays posted; the rest fail, and the summary says which', async () => {
  fake.addPullRequest({
    owner: OWNER,
    repo: REPO,
    number: 32,
    title: 'One file',
    body: 'Please review.',
    head: { ref: 'feature-32', sha: 'e5'.repeat(20) },
    base: { ref: 'main', sha: BASE },
    files: [{ filename: 'src/c.ts', status: 'added', patch: addedPatch(['export const c = 1;']) }],
  });
  const { ctx, pid } = await context();
  // One fork at a time: #32's chunk, then #31's src/a.ts, then src/b.ts, during which the app-server is killed, once
  // #32's review is posted (or after 5 s, so that the other order cannot hang).
  const postedFirst: boolean[] = [];
  model.respond(async (req): Promise<ModelReply> => {
    const kind = turnKind(req);
    if (kind === 'chunk' && chunkFile(req) === 'src/b.ts') {
      postedFirst.push(await eventually(() => fake.reviews.some((r) => r.pull_number === 32), 5000));
      process.kill(pid(), 'SIGKILL');
      return { message: 'never read', delayMs: 2_000 };
    }
    if (kind === 'setup') return { message: SETUP_ACK };
    const path = chunkFile(req) ?? 'src/c.ts';
    return findingsReply([finding({ path, line: 1, severity: 'high', title: `Found in ${path}` })]);
  });
  const outcome = await runReview(ctx, { prNumbers: [32, 31], explicit: true }, CHUNKS);
  expect(postedFirst).toEqual([true]);
  expect(outcome.conclusion).toBe('failure');
  expect(outcome.failure).toMatch(/^The review stopped: codex app-server was killed by SIGKILL\./);
  // #32 was reviewed whole before the failure: its review and its status stand. #31's status says it failed.
  expect(fake.reviews.map((r) => r.pull_number)).toEqual([32]);
  expect(outcome.outputs['review-url']).toBe(fake.reviews[0]!.html_url);
  const status = (n: number) => stickies().find((c) => c.issue_url.endsWith(`/${n}`))!.body;
  expect(status(32)).toContain('## Codex review summary');
  expect(status(31)).toContain('## Codex review: failed ❌');
  expect(status(31)).toMatch(/codex app-server was killed by SIGKILL/);
  expect(outcome.summary).toContain('No review was posted for #31. 1 of 2 chunk(s) were reviewed before the failure');
  expect(outcome.summary).toContain('### Pull request #32');
});
