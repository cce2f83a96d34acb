// A review's life over several pushes: the live status comment, incremental re-review through the compare API, earlier
// findings carried into the prompt, resolved threads — against the real codex app-server, a scripted model, the fake
// GitHub (REST + GraphQL) and a real git repository behind its compare endpoint.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunContext } from '../src/base/context.js';
import { fingerprint } from '../src/modes/review/agent/findings.js';
import { runReview, type ReviewOptions } from '../src/modes/review/run-review.js';
import { testContext } from './support/context.js';
import { diffFiles, FakeGitHub, type FakeIssueComment } from './support/fake-github.js';
import { createRepo, type TestRepo } from './support/git-repo.js';
import { lastUserText, ModelServer, type ModelRequest } from './support/model-server.js';
import { captureStdout, finding, findingsReply, scriptReviewModel, serveContents, turnKind } from './support/review-fixtures.js';
import { type ReviewTarget } from '../src/modes/review/target.js';

const OWNER = 'octo';
const REPO = 'demo';
const SUMMARY_MARKER = '<!-- codex-ci-action:summary -->';

let fake: FakeGitHub;
let model: ModelServer;
let repo: TestRepo;
let stdout: ReturnType<typeof captureStdout>;
let base: string;

const lines = (name: string, n = 12) => Array.from({ length: n }, (_, i) => `export const ${name}${i + 1} = ${i + 1};`).join('\n') + '\n';

beforeEach(async () => {
  stdout = captureStdout();
  fake = await FakeGitHub.start();
  model = await ModelServer.start();
  repo = await createRepo({ 'src/app.ts': lines('app'), 'src/util.ts': lines('util'), 'src/other.ts': lines('other') });
  base = repo.headSha;
  await repo.git('checkout', '--quiet', '-b', 'feature');
  fake.useGitRepo(OWNER, REPO, repo.dir);
  serveContents(fake, { owner: OWNER, repo: REPO, sha: base, files: { 'AGENTS.md': 'Be strict.\n' } });
});

afterEach(async () => {
  stdout.restore();
  await fake.close();
  await model.close();
  await repo.cleanup();
});

/** Rewrites line `at` (1-based) of each file and commits: the head of the pull request moves. */
async function commit(changes: Record<string, Array<[number, string]>>, message = 'change'): Promise<string> {
  for (const [path, edits] of Object.entries(changes)) {
    const text = (await repo.git('show', `HEAD:${path}`)).split('\n');
    for (const [at, replacement] of edits) text[at - 1] = replacement;
    await writeFile(join(repo.dir, path), `${text.join('\n')}\n`);
  }
  await repo.git('commit', '--quiet', '-am', message);
  return repo.git('rev-parse', 'HEAD');
}

/** Serves pull request #9 at `head`, its files from git (base...head), as GitHub would after a push. */
async function servePull(head: string): Promise<void> {
  const files = await diffFiles(repo.dir, base, head);
  fake.addPullRequest({ owner: OWNER, repo: REPO, number: 9, title: 'Feature', body: 'Adds things.', head: { ref: 'feature', sha: head }, base: { ref: 'main', sha: base }, files });
}

function context(inputs: Record<string, string> = {}): Promise<RunContext> {
  return testContext({ githubUrl: fake.url, modelUrl: model.url, workdir: repo.dir, repo: { owner: OWNER, repo: REPO }, inputs: { mode: 'review', ...inputs } });
}

const target = (extra: Partial<ReviewTarget> = {}): ReviewTarget => ({ prNumbers: [9], explicit: false, ...extra });
const review = (inputs: Record<string, string> = {}, extra: Partial<ReviewTarget> = {}, options: ReviewOptions = {}) =>
  context(inputs).then((ctx) => runReview(ctx, target(extra), options));
const chunkRequests = (from = 0) => model.responseRequests.slice(from).filter((r) => turnKind(r) === 'chunk');
const statuses = (): FakeIssueComment[] => fake.issueComments.filter((c) => c.body.startsWith(SUMMARY_MARKER));
const reviewedMark = (sha: string) => `<!-- codex-ci-action:reviewed:${sha} -->`;

const BUG_A = finding({ path: 'src/app.ts', line: 3, severity: 'high', title: 'Bug A in app' });
const BUG_B = finding({ path: 'src/util.ts', line: 5, severity: 'medium', title: 'Bug B in util' });
const BUG_C = finding({ path: 'src/other.ts', line: 7, severity: 'low', title: 'Bug C in other' });
const fpOf = (f: typeof BUG_A) => fingerprint(f);

/** First review: every file changed; the model reports A, B and C (each in the chunk that shows its file). */
async function firstReview(): Promise<string> {
  const head1 = await commit({ 'src/app.ts': [[3, 'export const app3 = compute();']], 'src/util.ts': [[5, 'export const util5 = compute();']], 'src/other.ts': [[7, 'export const other7 = compute();']] });
  await servePull(head1);
  scriptReviewModel(model, {
    chunk: (req) => findingsReply([BUG_A, BUG_B, BUG_C].filter((f) => lastUserText(req).includes(`### File: ${f.path}`))),
  });
  const outcome = await review();
  expect(outcome.conclusion).toBe('findings');
  expect(fake.reviews).toHaveLength(1);
  expect(fake.reviews[0]!.comments).toHaveLength(3);
  return head1;
}

/** The model of an incremental run: no new findings; it reports as addressed the earlier findings in `fixed`. */
function scriptIncremental(fixed: Array<typeof BUG_A>): void {
  scriptReviewModel(model, {
    chunk: (req: ModelRequest) => {
      const shown = fixed.filter((f) => lastUserText(req).includes(`id ${fpOf(f)}`));
      return { message: JSON.stringify({ summary: 'The push fixes things.', findings: [], addressed: shown.map(fpOf) }) };
    },
  });
}

test('a first review creates the status comment before the first model call, records the reviewed commit, and says what it found', async () => {
  const head1 = await firstReview();
  expect(statuses()).toHaveLength(1);
  const status = statuses()[0]!;
  // Created (POST) before the model was first called, then edited (PATCH) to its final state.
  const created = fake.requestsTo('POST', '/repos/:o/:r/issues/:n/comments');
  expect(created).toHaveLength(1);
  expect(created[0]!.receivedAt).toBeLessThanOrEqual(model.responseRequests[0]!.receivedAt);
  expect((created[0]!.body as { body: string }).body).toContain('in progress');
  expect(status.body).toContain('## Codex review summary');
  expect(status.body).toContain('the whole diff');
  expect(status.body).toContain(fake.reviews[0]!.html_url);
  expect(status.body).toMatch(/Tokens: \d+ input/);
  expect(status.body.trimEnd().endsWith(reviewedMark(head1))).toBe(true);
});

test('a second push is reviewed incrementally: the prompt carries only the new changes and the open findings on them; nothing is repeated', async () => {
  const head1 = await firstReview();
  const before = model.responseRequests.length;
  const head2 = await commit({ 'src/app.ts': [[10, 'export const app10 = 10 * 2;']] });
  await servePull(head2);
  // The model, given only app.ts, would repeat A if it were not told about it: the prompt must carry it.
  scriptReviewModel(model, {
    chunk: (req) =>
      lastUserText(req).includes(`id ${fpOf(BUG_A)}`)
        ? { message: JSON.stringify({ summary: 'A small change.', findings: [], addressed: [] }) }
        : findingsReply([{ ...BUG_A, line: 4 }]),
  });
  const outcome = await review();

  const chunks = chunkRequests(before);
  expect(chunks).toHaveLength(1);
  const prompt = lastUserText(chunks[0]!);
  expect(prompt).toContain('## Incremental review');
  expect(prompt).toContain(head1.slice(0, 12));
  expect(prompt).toContain('app10 = 10 * 2');
  // Only the push: util.ts and other.ts changed in the pull request but not in this push.
  expect(prompt).not.toContain('### File: src/util.ts');
  expect(prompt).not.toContain('### File: src/other.ts');
  expect(prompt).not.toContain('app3 = compute()');
  // The open finding on the changed file is carried forward; those on other files are not.
  expect(prompt).toContain(`id ${fpOf(BUG_A)}`);
  expect(prompt).toContain('Bug A in app');
  expect(prompt).not.toContain('Bug B in util');
  expect(chunks[0]!.body.text?.format?.schema).toMatchObject({ required: expect.arrayContaining(['addressed']) });

  expect(fake.reviews).toHaveLength(1);
  expect(fake.requestsTo('POST', '/repos/:o/:r/pulls/:n/comments/:id/replies')).toHaveLength(0);
  expect(fake.resolvedThreads.size).toBe(0);
  expect(statuses()).toHaveLength(1);
  const status = statuses()[0]!.body;
  expect(status).toContain(`only the changes since \`${head1.slice(0, 7)}\``);
  expect(status).toContain('3 finding(s) of earlier reviews are still open');
  expect(status.trimEnd().endsWith(reviewedMark(head2))).toBe(true);
  // The earlier findings still open keep the conclusion honest.
  expect(outcome.conclusion).toBe('findings');
  expect(outcome.summary).toContain(`Incremental review: only the changes since \`${head1.slice(0, 12)}\``);
});

test('a fixed finding\'s thread is answered and resolved; a thread with a human reply is answered but left open', async () => {
  await firstReview();
  const commentOf = (f: typeof BUG_A) => fake.reviewComments.find((c) => c.path === f.path && c.line === f.line && c.in_reply_to_id === undefined)!;
  fake.addReviewReply(commentOf(BUG_B).id, 'I think this is fine because of X.', { login: 'alice', type: 'User' });
  const head2 = await commit({ 'src/app.ts': [[3, 'export const app3 = safeCompute();']], 'src/util.ts': [[5, 'export const util5 = safeCompute();']] });
  await servePull(head2);
  scriptIncremental([BUG_A, BUG_B]);
  const outcome = await review();

  const replies = fake.reviewComments.filter((c) => c.in_reply_to_id !== undefined && c.user.type === 'Bot');
  expect(replies.map((r) => r.in_reply_to_id).sort()).toEqual([commentOf(BUG_A).id, commentOf(BUG_B).id].sort());
  for (const r of replies) expect(r.body).toContain(`Addressed in ${head2.slice(0, 7)}.`);
  // Resolved through GraphQL: A's thread only; B's thread has a person's reply, so resolving is theirs.
  expect([...fake.resolvedThreads]).toEqual([commentOf(BUG_A).id]);
  const mutations = fake.requestsTo('POST', '/graphql').filter((r) => JSON.stringify(r.body).includes('resolveReviewThread'));
  expect(mutations).toHaveLength(1);
  expect((mutations[0]!.body as { variables: { threadId: string } }).variables.threadId).toBe(fake.threadIdOf(commentOf(BUG_A).id));
  // C was not touched by the push: neither answered nor resolved, still open.
  const status = statuses()[0]!.body;
  expect(status).toContain('Bug A in app (thread resolved)');
  expect(status).toContain('Bug B in util (answered; resolving is left to you)');
  expect(status).toContain('1 finding(s) of earlier reviews are still open (1 low)');
  expect(outcome.summary).toContain('**Earlier findings addressed by the push**');

  // B stays open (its person has to resolve it): a later push near it shows it again, but it is not answered twice.
  const head3 = await commit({ 'src/util.ts': [[6, 'export const util6 = 66;']] });
  await servePull(head3);
  scriptIncremental([BUG_A, BUG_B]);
  await review();
  expect(fake.reviewComments.filter((c) => c.in_reply_to_id !== undefined && c.user.type === 'Bot')).toHaveLength(2);
});

test('with resolve-threads false, a fixed finding is answered but its thread is not resolved', async () => {
  await firstReview();
  const head2 = await commit({ 'src/app.ts': [[3, 'export const app3 = safeCompute();']] });
  await servePull(head2);
  scriptIncremental([BUG_A]);
  await review({ 'resolve-threads': 'false' });
  expect(fake.reviewComments.filter((c) => c.in_reply_to_id !== undefined)).toHaveLength(1);
  expect(fake.resolvedThreads.size).toBe(0);
  expect(fake.requestsTo('POST', '/graphql').filter((r) => JSON.stringify(r.body).includes('resolveReviewThread'))).toHaveLength(0);
});

test('a force-push falls back to a full review and says so in the status comment', async () => {
  const head1 = await firstReview();
  const before = model.responseRequests.length;
  // Rewrite history: the new head does not contain the reviewed commit.
  await repo.git('reset', '--quiet', '--hard', base);
  const head2 = await commit({ 'src/app.ts': [[3, 'export const app3 = otherCompute();']], 'src/util.ts': [[2, 'export const util2 = 22;']] }, 'rewritten');
  await servePull(head2);
  scriptReviewModel(model, { chunk: () => findingsReply([]) });
  await review();

  const prompts = chunkRequests(before).map(lastUserText).join('\n');
  expect(prompts).not.toContain('## Incremental review');
  expect(prompts).toContain('### File: src/app.ts');
  expect(prompts).toContain('### File: src/util.ts');
  const status = statuses()[0]!.body;
  expect(status).toContain(`the last reviewed commit \`${head1.slice(0, 7)}\` is not an ancestor of the new head (force-push or rebase)`);
  expect(status.trimEnd().endsWith(reviewedMark(head2))).toBe(true);
});

test('incremental false, and a trigger comment asking for a full review, both review the whole diff', async () => {
  await firstReview();
  const head2 = await commit({ 'src/app.ts': [[10, 'export const app10 = 20;']] });
  await servePull(head2);
  scriptReviewModel(model, { chunk: () => findingsReply([]) });
  let before = model.responseRequests.length;
  await review({ incremental: 'false' });
  expect(chunkRequests(before).map(lastUserText).join('\n')).toContain('### File: src/util.ts');
  expect(statuses()[0]!.body).toContain('incremental is off');

  const head3 = await commit({ 'src/app.ts': [[11, 'export const app11 = 22;']] });
  await servePull(head3);
  before = model.responseRequests.length;
  await review({}, { full: true });
  expect(chunkRequests(before).map(lastUserText).join('\n')).toContain('### File: src/other.ts');
  expect(statuses()[0]!.body).toContain('a full review was asked for');
});

test('a run with no findings leaves a visible "no issues" status and job summary', async () => {
  const head1 = await commit({ 'src/app.ts': [[3, 'export const app3 = 30;']] });
  await servePull(head1);
  scriptReviewModel(model, { chunk: () => findingsReply([]) });
  const outcome = await review();
  expect(outcome.conclusion).toBe('success');
  expect(fake.reviews).toHaveLength(0);
  expect(statuses()).toHaveLength(1);
  expect(statuses()[0]!.body).toContain(`✅ No issues found in 1 file at commit \`${head1.slice(0, 7)}\`.`);
  expect(outcome.summary).toContain(`No issues found in 1 file(s) at commit \`${head1.slice(0, 12)}\`.`);
});

test('a failed run leaves the status comment in a failed state, keeping the last reviewed commit', async () => {
  const head1 = await firstReview();
  const head2 = await commit({ 'src/app.ts': [[10, 'export const app10 = 20;']] });
  await servePull(head2);
  model.respond(() => ({ httpStatus: 400, body: JSON.stringify({ error: { message: 'model not available', type: 'invalid_request_error' } }) }));
  const outcome = await review();
  expect(outcome.conclusion).toBe('failure');
  const status = statuses()[0]!.body;
  expect(status).toContain('## Codex review: failed ❌');
  expect(status).toContain(`The review of commit \`${head2.slice(0, 7)}\` could not be completed`);
  expect(status).not.toContain('in progress');
  expect(status.trimEnd().endsWith(reviewedMark(head1))).toBe(true);
});

test('a run that throws (no codex to start) still leaves the status comment failed, not in progress', async () => {
  const head1 = await commit({ 'src/app.ts': [[3, 'export const app3 = 30;']] });
  await servePull(head1);
  const ctx = await context();
  const broken: RunContext = { ...ctx, openSession: () => Promise.reject(new Error('codex could not be started: spawn /nonexistent/codex ENOENT')) };
  await expect(runReview(broken, target())).rejects.toThrow(/could not be started/);
  const status = statuses()[0]!.body;
  expect(status).toContain('## Codex review: failed ❌');
  expect(status).toContain('codex could not be started');
});

test('a comment-triggered review puts 👀 on the triggering comment before anything else', async () => {
  const head1 = await commit({ 'src/app.ts': [[3, 'export const app3 = 30;']] });
  await servePull(head1);
  const trigger = fake.addIssueComment({ owner: OWNER, repo: REPO, number: 9, body: '@codex please review', user: { login: 'alice', type: 'User' } });
  scriptReviewModel(model, { chunk: () => findingsReply([]) });
  await review({}, { explicit: true, triggerCommentId: trigger.id });
  expect(fake.reactions).toEqual([expect.objectContaining({ comment_id: trigger.id, content: 'eyes' })]);
  const reaction = fake.requestsTo('POST', '/repos/:o/:r/issues/comments/:id/reactions')[0]!;
  expect(fake.requests.indexOf(reaction)).toBe(0);
  expect(reaction.status).toBe(201);
});

test('the status comment is edited as chunks complete, before the review ends', async () => {
  const head1 = await commit({ 'src/app.ts': [[3, 'export const app3 = 30;']], 'src/util.ts': [[5, 'export const util5 = 50;']], 'src/other.ts': [[7, 'export const other7 = 70;']] });
  await servePull(head1);
  scriptReviewModel(model, { chunk: () => findingsReply([]) });
  // One file per chunk, one chunk at a time, progress edits as soon as possible.
  await review({ 'max-parallel': '1' }, {}, { chunkTokens: 120, statusIntervalMs: 0 });
  const chunks = chunkRequests();
  expect(chunks).toHaveLength(3);
  const edits = fake.requestsTo('PATCH', '/repos/:o/:r/issues/comments/:id');
  const firstDone = edits.find((e) => (e.body as { body: string }).body.includes('1 of 3 done'));
  expect(firstDone).toBeDefined();
  // The edit for the first chunk arrived before the last chunk was even sent to the model.
  expect(firstDone!.receivedAt).toBeLessThanOrEqual(chunks[2]!.receivedAt);
  expect((firstDone!.body as { body: string }).body).toMatch(/- \[x\] Chunk 1 of 3/);
  expect((firstDone!.body as { body: string }).body).toMatch(/- \[ \] Chunk 3 of 3/);
  // One comment throughout: created once, then only edited.
  expect(fake.requestsTo('POST', '/repos/:o/:r/issues/:n/comments')).toHaveLength(1);
  expect(statuses()).toHaveLength(1);
});
