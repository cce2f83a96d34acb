// A review sharded across a job matrix: the plan job, N shard jobs run at once, the merge job — against the real
// codex app-server, the scripted model (answering by prompt content, so results do not depend on order), the fake
// GitHub with real git behind it, and the fake results service (artifacts over Twirp and signed blob URLs).
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DefaultArtifactClient } from '@actions/artifact';
import { execa } from 'execa';
import type { RunContext } from '../src/base/context.js';
import type { JobOutcome } from '../src/base/outcome.js';
import { fingerprint, type Finding } from '../src/modes/review/agent/findings.js';
import { runReview, type ReviewOptions } from '../src/modes/review/run-review.js';
import { runMerge } from '../src/modes/review/shard/run-merge.js';
import { runPlan } from '../src/modes/review/shard/run-plan.js';
import { runShard } from '../src/modes/review/shard/run-shard.js';
import { SHARD_RESULT_FILE, shardArtifactName } from '../src/modes/review/shard/shard-result.js';
import type { ReviewTarget } from '../src/modes/review/target.js';
import { testContext, trackAppServerPid } from './support/context.js';
import { withStepFiles } from './support/step-files.js';
import { run } from '../src/action/main.js';
import { startFakeArtifactService, type FakeArtifactService } from './support/fake-artifact-service.js';
import { diffFiles, FakeGitHub, type FakeIssueComment } from './support/fake-github.js';
import { createRepo, type TestRepo } from './support/git-repo.js';
import { lastUserText, ModelServer, type ModelRequest } from './support/model-server.js';
import { captureStdout, finding, findingsReply, scriptReviewModel, serveContents, turnKind, verdictsReply } from './support/review-fixtures.js';

const OWNER = 'octo';
const REPO = 'demo';
const SUMMARY_MARKER = '<!-- codex-ci-action:summary -->';
// One file per chunk (each file's diff is about 100 tokens), as a big pull request's files would be.
const OPTIONS: ReviewOptions = { chunkTokens: 120, statusIntervalMs: 0 };

let fake: FakeGitHub;
let model: ModelServer;
let repo: TestRepo;
let service: FakeArtifactService;
let stdout: ReturnType<typeof captureStdout>;
let base: string;

const lines = (name: string, n = 12) => Array.from({ length: n }, (_, i) => `export const ${name}_${i + 1} = ${i + 1};`).join('\n') + '\n';
const FILES = (count: number) => Array.from({ length: count }, (_, i) => `src/f${i + 1}.ts`);

beforeEach(async () => {
  stdout = captureStdout();
  fake = await FakeGitHub.start();
  model = await ModelServer.start();
  service = await startFakeArtifactService();
  // What the runner gives every job: @actions/artifact reads them from process.env.
  process.env.ACTIONS_RESULTS_URL = `${service.url}/`;
  process.env.ACTIONS_RUNTIME_TOKEN = service.token;
  repo = await createRepo(Object.fromEntries(FILES(8).map((p, i) => [p, lines(`f${i + 1}`)])));
  base = repo.headSha;
  await repo.git('checkout', '--quiet', '-b', 'feature');
  fake.useGitRepo(OWNER, REPO, repo.dir);
  serveContents(fake, { owner: OWNER, repo: REPO, sha: base, files: { 'AGENTS.md': 'Be strict.\n' } });
});

afterEach(async () => {
  stdout.restore();
  delete process.env.ACTIONS_RESULTS_URL;
  delete process.env.ACTIONS_RUNTIME_TOKEN;
  await service.close();
  await fake.close();
  await model.close();
  await repo.cleanup();
});

/** Rewrites line `at` of each file and commits. */
async function commit(changes: Record<string, Array<[number, string]>>): Promise<string> {
  for (const [path, edits] of Object.entries(changes)) {
    const text = (await repo.git('show', `HEAD:${path}`)).split('\n');
    for (const [at, replacement] of edits) text[at - 1] = replacement;
    await writeFile(join(repo.dir, path), `${text.join('\n')}\n`);
  }
  await repo.git('commit', '--quiet', '-am', 'change');
  return repo.git('rev-parse', 'HEAD');
}

/** Changes line 3 of the first `count` files. */
const changeFiles = (count: number) => commit(Object.fromEntries(FILES(count).map((p, i) => [p, [[3, `export const f${i + 1}_3 = compute();`]]])));

async function servePull(number: number, head: string): Promise<void> {
  fake.addPullRequest({ owner: OWNER, repo: REPO, number, title: 'Feature', head: { ref: 'feature', sha: head }, base: { ref: 'main', sha: base }, files: await diffFiles(repo.dir, base, head) });
}

const target = (number: number): ReviewTarget => ({ prNumbers: [number], explicit: false });
const context = (inputs: Record<string, string>): Promise<RunContext> =>
  testContext({ githubUrl: fake.url, modelUrl: model.url, workdir: repo.dir, repo: { owner: OWNER, repo: REPO }, inputs: { 'chunks-per-shard': '2', ...inputs } });
const chunkFile = (req: ModelRequest) => /### File: (\S+)/.exec(lastUserText(req))?.[1];
const statusOf = (number: number): FakeIssueComment[] => fake.issueComments.filter((c) => c.body.startsWith(SUMMARY_MARKER) && c.issue_url.endsWith(`/issues/${number}`));
const reviewsOf = (number: number) => fake.reviews.filter((r) => r.pull_number === number);
// Fork thread ids differ from run to run (sharded or not): everything else of a posted text must be equal.
const sameThreads = (text: string) => text.replace(/<!-- codex-ci-action:thread:[^ ]+ -->/g, '<!-- codex-ci-action:thread:… -->');

interface Sharded {
  plan: JobOutcome;
  planId: string;
  matrix: string[];
  shards: PromiseSettledResult<JobOutcome>[];
  merge: JobOutcome;
}

/**
 * The three jobs: plan, then the shards of its matrix at once (those in `skip` never run: cancelled, or their runner
 * lost; `shardInputs` overrides a shard's inputs), then the merge with a token of its own job.
 */
async function sharded(
  number: number,
  opts: { inputs?: Record<string, string>; skip?: number[]; shardInputs?: (k: number) => Record<string, string>; shardContext?: (k: number, ctx: RunContext) => void } = {},
): Promise<Sharded> {
  process.env.ACTIONS_RUNTIME_TOKEN = service.jobToken();
  const plan = await runPlan(await context({ mode: 'plan', ...opts.inputs }), target(number), OPTIONS);
  const planId = plan.outputs['plan-id']!;
  const matrix = (JSON.parse(plan.outputs.matrix!) as { shard: string[] }).shard;
  // The matrix jobs run in one process here, so they share a runtime token (each job has its own on a runner).
  process.env.ACTIONS_RUNTIME_TOKEN = service.jobToken();
  const shards = await Promise.allSettled(
    matrix
      .map((shard, i) => ({ shard, k: i + 1 }))
      .filter(({ k }) => !opts.skip?.includes(k))
      .map(async ({ shard, k }) => {
        const ctx = await context({ mode: 'review', shard, 'plan-id': planId, ...opts.inputs, ...opts.shardInputs?.(k) });
        opts.shardContext?.(k, ctx);
        return runShard(ctx, target(number), OPTIONS);
      }),
  );
  process.env.ACTIONS_RUNTIME_TOKEN = service.jobToken();
  const merge = await mergeJob(number, planId, opts.inputs);
  return { plan, planId, matrix, shards, merge };
}

async function mergeJob(number: number, planId: string, inputs: Record<string, string> = {}): Promise<JobOutcome> {
  return runMerge(await context({ mode: 'merge', 'plan-id': planId, ...inputs }), target(number), OPTIONS);
}

const BUG_1 = finding({ path: 'src/f1.ts', line: 3, severity: 'high', title: 'Unchecked compute in f1', suggestion: 'export const f1_3 = safeCompute();' });
const BUG_3 = finding({ path: 'src/f3.ts', line: 3, severity: 'medium', title: 'Compute result unused in f3' });
const BUG_4 = finding({ path: 'src/f4.ts', line: 3, severity: 'low', title: 'Naming in f4' });
const BUG_5 = finding({ path: 'src/f5.ts', line: 3, severity: 'critical', title: 'Compute throws in f5', suggestion: 'export const f5_3 = tryCompute();' });
const BUG_6 = finding({ path: 'src/f6.ts', line: 2, severity: 'medium', title: 'Old line in f6', side: 'RIGHT' });
const BUGS = [BUG_1, BUG_3, BUG_4, BUG_5, BUG_6];

/** The model: each chunk reports the bugs on its file; the verifier drops the naming finding. */
function scriptBugs(bugs: Finding[] = BUGS): void {
  scriptReviewModel(model, {
    chunk: (req) => findingsReply(bugs.filter((f) => f.path === chunkFile(req)), `Changes ${chunkFile(req)}.`),
    verify: (req) => verdictsReply(req, (f) => (f.title.startsWith('Naming') ? { verdict: 'drop', confidence: 0.3, reason: 'A matter of taste.' } : { verdict: 'keep', confidence: 0.9, reason: 'The code shows it.' })),
  });
}

test('the merged review equals the unsharded one, finding for finding and line for line; a re-run of the merge posts nothing more', async () => {
  const head = await changeFiles(6);
  await servePull(1, head);
  await servePull(2, head);
  scriptBugs();

  const before = model.responseRequests.length;
  const unsharded = await runReview(await context({ mode: 'review' }), target(1), OPTIONS);
  const unshardedRequests = model.responseRequests.slice(before);
  const mid = model.responseRequests.length;
  const run = await sharded(2);
  const shardedRequests = model.responseRequests.slice(mid);

  // The plan: 6 chunks, 2 per shard, 3 shards; its status comment said so before any shard ran.
  expect(run.matrix).toEqual(['1/3', '2/3', '3/3']);
  expect(run.plan.conclusion).toBe('planned');
  expect(run.planId).toMatch(/^[0-9a-f]{64}$/);
  const planned = fake.requestsTo('POST', '/repos/:o/:r/issues/:n/comments').map((r) => (r.body as { body: string }).body).find((b) => b.includes('review in progress: 3 shards'));
  expect(planned).toContain('- [ ] Shard 2 of 3 — chunks 3–4 (`src/f3.ts`, `src/f4.ts`): waiting');
  expect(planned).toContain(`<!-- codex-ci-action:plan:${run.planId}:none -->`);
  for (const s of run.shards) expect(s.status).toBe('fulfilled');
  // Each shard edited its own line of the shared comment.
  const edits = fake.requestsTo('PATCH', '/repos/:o/:r/issues/comments/:id').map((r) => (r.body as { body: string }).body);
  for (const k of [1, 2, 3]) expect(edits.some((b) => new RegExp(`- \\[x\\] Shard ${k} of 3 — .*: all 2 done`).test(b))).toBe(true);

  // Every chunk was reviewed exactly once, by the shard it belongs to; each shard built its own base thread.
  const kinds = (reqs: ModelRequest[], kind: string) => reqs.filter((r) => turnKind(r) === kind);
  expect(kinds(unshardedRequests, 'chunk').map(chunkFile).sort()).toEqual(FILES(6));
  expect(kinds(shardedRequests, 'chunk').map(chunkFile).sort()).toEqual(FILES(6));
  expect(kinds(unshardedRequests, 'setup')).toHaveLength(1);
  expect(kinds(shardedRequests, 'setup')).toHaveLength(3);
  expect(service.artifacts.map((a) => a.name).sort()).toEqual([1, 2, 3].map((k) => shardArtifactName(2, { index: k, count: 3 }, run.planId, 1)));

  // The same review: body and every inline comment (place, side, text, suggestion and its proof).
  expect(reviewsOf(1)).toHaveLength(1);
  expect(reviewsOf(2)).toHaveLength(1);
  const [one, merged] = [reviewsOf(1)[0]!, reviewsOf(2)[0]!];
  expect(merged.commit_id).toBe(head);
  expect(merged.body).toBe(one.body);
  expect(merged.comments.map((c) => ({ ...c, body: sameThreads(c.body) }))).toEqual(one.comments.map((c) => ({ ...c, body: sameThreads(c.body) })));
  expect(merged.comments).toHaveLength(4);
  expect(merged.comments.find((c) => c.path === 'src/f1.ts')!.body).toContain('```suggestion\nexport const f1_3 = safeCompute();\n```');
  expect(merged.comments.find((c) => c.path === 'src/f1.ts')!.body).toContain('applies cleanly to the lines it replaces');
  // The same outputs and the same gate.
  expect(run.merge.conclusion).toBe(unsharded.conclusion);
  expect(run.merge.outputs.findings).toBe(unsharded.outputs.findings);
  expect(run.merge.outputs['findings-count']).toBe('4');
  expect(JSON.parse(run.merge.outputs.findings!).map((f: Finding) => fingerprint(f))).toEqual([BUG_5, BUG_1, BUG_3, BUG_6].map(fingerprint));
  // The same status comment, but for the links and the cost.
  const table = (n: number) => statusOf(n)[0]!.body.split('\n').filter((l) => l.startsWith('| ') || l.startsWith('Reviewed commit'));
  expect(table(2)).toEqual(table(1));
  expect(statusOf(2)).toHaveLength(1);
  expect(statusOf(2)[0]!.body).toContain('6 of 6 chunk(s) reviewed');
  expect(statusOf(2)[0]!.body.trimEnd().endsWith(`<!-- codex-ci-action:reviewed:${head} -->`)).toBe(true);
  // The job summary: one row per shard, and the base threads' cost.
  expect(run.merge.summary).toMatch(/\| 2 of 3 \| 2 \| 2 \| 1 \| \d+ \/ \d+ \/ \d+ \| \d+ \/ \d+ \/ \d+ \| [\d.]+ s \| done \|/);
  expect(run.merge.summary).toContain('Each shard builds its own base thread');
  expect(run.merge.summary).toContain('Naming in f4');

  // A re-run of the merge job (the same plan, the reviewed mark now moved) finds its review and posts nothing.
  const posts = fake.requestsTo('POST', '/repos/:o/:r/pulls/:n/reviews').length;
  const again = await mergeJob(2, run.planId);
  expect(fake.requestsTo('POST', '/repos/:o/:r/pulls/:n/reviews')).toHaveLength(posts);
  expect(reviewsOf(2)).toHaveLength(1);
  expect(statusOf(2)).toHaveLength(1);
  expect(again.outputs['review-url']).toBe('');
  expect(again.outputs['findings-count']).toBe('4');
  expect(statusOf(2)[0]!.body).toContain('6 of 6 chunk(s) reviewed');
  expect(statusOf(2)[0]!.body).toContain('Nothing new to post: every finding was already reported.');
});

test('a shard that never uploaded makes the run incomplete: every posted text names its files, none says the code is clean', async () => {
  const head = await changeFiles(6);
  await servePull(3, head);
  // Only shard 2's files have findings; shard 3's files are clean, shard 2 never runs.
  scriptBugs([BUG_1]);
  const run = await sharded(3, { skip: [2], inputs: { 'fail-on-severity': 'critical' } });

  expect(run.merge.conclusion).toBe('incomplete');
  const status = statusOf(3)[0]!.body;
  expect(status).toContain('4 of 6 chunk(s) reviewed');
  expect(status).not.toContain('No issues found');
  expect(status).toMatch(/Chunk 3 of 6 \(`src\/f3.ts`\): not reviewed: shard 2 of 3 uploaded no results/);
  expect(status).toMatch(/Chunk 4 of 6 \(`src\/f4.ts`\)/);
  // The review of what was reviewed says what was not.
  const posted = reviewsOf(3)[0]!;
  expect(posted.body).toContain('### Not reviewed');
  expect(posted.body).toContain('`src/f3.ts`');
  expect(posted.body).toContain('`src/f4.ts`');
  // The mark stays: the next run reviews from the last commit really reviewed.
  expect(status).not.toContain(`codex-ci-action:reviewed:${head}`);
  // The gate cannot pass code it has not seen.
  expect(run.merge.failure).toContain('2 chunk(s) could not be reviewed');
  expect(run.merge.summary).toContain('| 2 of 3 | 2 | 0 | 0 |');
  expect(run.merge.summary).toContain('**no results**');
  expect(run.merge.summary).not.toContain('No issues found');
});

test('a shard given another plan refuses to run, and the merge refuses artifacts of another plan or unreadable ones', async () => {
  const head = await changeFiles(8);
  await servePull(4, head);
  scriptBugs([BUG_3]);
  const other = 'e'.repeat(64);
  process.env.ACTIONS_RUNTIME_TOKEN = service.jobToken();
  const plan = await runPlan(await context({ mode: 'plan', 'max-shards': '4' }), target(4), OPTIONS);
  const planId = plan.outputs['plan-id']!;
  expect(JSON.parse(plan.outputs.matrix!)).toEqual({ shard: ['1/4', '2/4', '3/4', '4/4'] });

  // Shard 1 was handed another plan-id (a stale plan): it refuses before any model call.
  const refused = runShard(await context({ mode: 'review', shard: '1/4', 'plan-id': other, 'max-shards': '4' }), target(4), OPTIONS);
  await expect(refused).rejects.toThrow(/was given plan-id eeeeeeeeeeee…, but the pull request at its head `[0-9a-f]{7}` now plans as/);
  expect(model.responseRequests).toHaveLength(0);
  // Shard 2 works; shards 3 and 4 have artifacts under their names, one from another plan, one that is not JSON.
  await runShard(await context({ mode: 'review', shard: '2/4', 'plan-id': planId, 'max-shards': '4' }), target(4), OPTIONS);
  const good = service.artifacts.find((a) => a.name === shardArtifactName(4, { index: 2, count: 4 }, planId, 1))!;
  expect(good).toBeDefined();
  const dir = await mkdtemp(join(tmpdir(), 'forged-'));
  const forge = async (k: number, text: string) => {
    await writeFile(join(dir, SHARD_RESULT_FILE), text);
    await new DefaultArtifactClient().uploadArtifact(shardArtifactName(4, { index: k, count: 4 }, planId, 1), [join(dir, SHARD_RESULT_FILE)], dir);
  };
  const shard2 = JSON.parse(await unzipResult(good.content)) as Record<string, unknown>;
  await forge(3, JSON.stringify({ ...shard2, planId: other, shard: { index: 3, count: 4 } }));
  await forge(4, '{"v":1,"planId":');

  process.env.ACTIONS_RUNTIME_TOKEN = service.jobToken();
  const merge = await mergeJob(4, planId, { 'max-shards': '4' });
  expect(merge.conclusion).toBe('incomplete');
  expect(merge.summary).toContain('Shard 1 of 4 uploaded no results for this plan');
  expect(merge.summary).toContain('1 artifact(s) of it from other plans were left alone');
  expect(merge.summary).toMatch(/Shard 3 of 4: its artifact codex-review-pr4-shard-3-of-4-\w+ was refused: it is from another plan/);
  expect(merge.summary).toMatch(/Shard 4 of 4: its artifact codex-review-pr4-shard-4-of-4-\w+ was refused: shard-result.json is not JSON/);
  const status = statusOf(4)[0]!.body;
  expect(status).toContain('2 of 8 chunk(s) reviewed');
  for (const f of ['src/f1.ts', 'src/f2.ts', 'src/f5.ts', 'src/f6.ts', 'src/f7.ts', 'src/f8.ts']) expect(status).toContain(`\`${f}\``);
  // Only shard 2's finding is posted, and the review names the six files nobody reviewed.
  expect(reviewsOf(4)).toHaveLength(1);
  expect(reviewsOf(4)[0]!.comments.map((c) => c.path)).toEqual(['src/f3.ts']);
  expect(reviewsOf(4)[0]!.body).toContain('`src/f8.ts`');
});

test('a shard whose app-server dies mid-way uploads what it finished and why it stopped; the merge names the rest', async () => {
  const head = await changeFiles(6);
  await servePull(5, head);
  let pid: (() => number) | undefined;
  scriptReviewModel(model, {
    chunk: (req) => {
      // Shard 2 reviews f3, then f4 (max-parallel 1): its app-server is killed during f4's turn.
      if (chunkFile(req) === 'src/f4.ts' && pid) process.kill(pid(), 'SIGKILL');
      return findingsReply([BUG_1, BUG_3].filter((f) => f.path === chunkFile(req)));
    },
  });
  const run = await sharded(5, {
    shardInputs: (k): Record<string, string> => (k === 2 ? { 'max-parallel': '1' } : {}),
    shardContext: (k, ctx) => {
      if (k === 2) pid = trackAppServerPid(ctx);
    },
  });
  const second = run.shards[1]!;
  expect(second.status).toBe('fulfilled');
  const failed = (second as PromiseFulfilledResult<JobOutcome>).value;
  expect(failed.conclusion).toBe('failure');
  expect(failed.failure).toMatch(/shard 2 of 3 failed: The review stopped: codex app-server was killed by SIGKILL/);

  expect(run.merge.conclusion).toBe('incomplete');
  // f3 was finished before the kill: its finding is posted; f4 is named as not reviewed, with the cause.
  expect(reviewsOf(5)[0]!.comments.map((c) => c.path).sort()).toEqual(['src/f1.ts', 'src/f3.ts']);
  const status = statusOf(5)[0]!.body;
  expect(status).toContain('5 of 6 chunk(s) reviewed');
  expect(status).toMatch(/Chunk 4 of 6 \(`src\/f4.ts`\): codex app-server was killed by SIGKILL/);
  expect(status).not.toContain('No issues found');
  expect(run.merge.summary).toMatch(/\| 2 of 3 \| 2 \| 1 \| 1 \| .* \*\*failed\*\*: shard 2 of 3 failed: The review stopped: codex app-server was killed by SIGKILL/);
});

test('an incremental push reviewed sharded carries the earlier findings and resolves the thread of the one it fixed', async () => {
  const head1 = await changeFiles(4);
  await servePull(6, head1);
  scriptBugs([BUG_1, BUG_3]);
  const first = await sharded(6, { inputs: { 'chunks-per-shard': '1' } });
  expect(first.merge.conclusion).toBe('findings');
  expect(reviewsOf(6)[0]!.comments).toHaveLength(2);

  // The push fixes f1 and touches f2; f3's finding stays open.
  const head2 = await commit({ 'src/f1.ts': [[3, 'export const f1_3 = safeCompute();']], 'src/f2.ts': [[7, 'export const f2_7 = 77;']] });
  await servePull(6, head2);
  const before = model.responseRequests.length;
  scriptReviewModel(model, {
    chunk: (req) => {
      const shown = lastUserText(req).includes(`id ${fingerprint(BUG_1)}`);
      return { message: JSON.stringify({ summary: 'The push fixes f1.', findings: [], addressed: shown ? [fingerprint(BUG_1)] : [] }) };
    },
  });
  const second = await sharded(6, { inputs: { 'chunks-per-shard': '1' } });

  // Two chunks (the push's two files), one per shard; f1's prompt carried the earlier finding on it.
  expect(second.matrix).toEqual(['1/2', '2/2']);
  const chunks = model.responseRequests.slice(before).filter((r) => turnKind(r) === 'chunk');
  expect(chunks.map(chunkFile).sort()).toEqual(['src/f1.ts', 'src/f2.ts']);
  const f1 = lastUserText(chunks.find((r) => chunkFile(r) === 'src/f1.ts')!);
  expect(f1).toContain('## Incremental review');
  expect(f1).toContain(`id ${fingerprint(BUG_1)}`);
  expect(f1).not.toContain('Compute result unused in f3');
  // The merge answered and resolved f1's thread once, and kept f3's finding open (it counts for the conclusion).
  const comment = fake.reviewComments.find((c) => c.path === 'src/f1.ts' && c.in_reply_to_id === undefined)!;
  expect([...fake.resolvedThreads]).toEqual([comment.id]);
  expect(fake.reviewComments.filter((c) => c.in_reply_to_id === comment.id).map((c) => c.body)).toEqual([expect.stringContaining(`Addressed in ${head2.slice(0, 7)}.`)]);
  const status = statusOf(6)[0]!.body;
  expect(status).toContain(`only the changes since \`${head1.slice(0, 7)}\``);
  expect(status).toContain('Unchecked compute in f1 (thread resolved)');
  expect(status).toContain('1 finding(s) of earlier reviews are still open (1 medium)');
  expect(status.trimEnd().endsWith(`<!-- codex-ci-action:reviewed:${head2} -->`)).toBe(true);
  expect(second.merge.conclusion).toBe('findings');
  expect(reviewsOf(6)).toHaveLength(1);
});

test('the merge reads the artifact list through a 5xx, and fails saying so when the list is refused, posting nothing', async () => {
  const head = await changeFiles(2);
  await servePull(7, head);
  process.env.ACTIONS_RUNTIME_TOKEN = service.jobToken();
  const plan = await runPlan(await context({ mode: 'plan' }), target(7), OPTIONS);
  const planId = plan.outputs['plan-id']!;
  expect(JSON.parse(plan.outputs.matrix!)).toEqual({ shard: ['1/1'] });

  service.failNext('ListArtifacts', 1, { status: 403, code: 'permission_denied', msg: 'this token may not read artifacts' });
  await expect(mergeJob(7, planId)).rejects.toThrow(/The shards' results could not be read from this workflow run's artifacts \(.*this token may not read artifacts.*\), so nothing was merged/);
  expect(statusOf(7)[0]!.body).toContain('## Codex review: failed ❌');
  expect(statusOf(7)[0]!.body).toContain('it must run in the same run as the shards');
  expect(reviewsOf(7)).toHaveLength(0);

  // Busy once: the client retries, and the merge goes on (here to say that its one shard never uploaded).
  service.failNext('ListArtifacts', 1, { status: 503, code: 'unavailable', msg: 'busy' });
  const merge = await mergeJob(7, planId);
  expect(service.calls.filter((c) => c.method === 'ListArtifacts')).toHaveLength(3);
  expect(merge.conclusion).toBe('incomplete');
  expect(statusOf(7)[0]!.body).not.toContain('No issues found');
  expect(statusOf(7)[0]!.body).toContain('0 of 2 chunk(s) reviewed');
});

test('the Action runs mode plan without credentials or checkout and sets matrix and plan-id; mode merge needs the artifact service', async () => {
  const head = await changeFiles(3);
  await servePull(8, head);
  const dir = await mkdtemp(join(tmpdir(), 'runner-'));
  const eventPath = join(dir, 'event.json');
  await writeFile(eventPath, JSON.stringify({ pull_request: { number: 8 } }));
  const env = (inputs: Record<string, string>): NodeJS.ProcessEnv => ({
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    GITHUB_EVENT_NAME: 'pull_request',
    GITHUB_EVENT_PATH: eventPath,
    GITHUB_REPOSITORY: `${OWNER}/${REPO}`,
    GITHUB_API_URL: fake.url,
    GITHUB_WORKSPACE: dir,
    CODEX_CI_GITHUB_TIME_UNIT_MS: '0',
    RUNNER_TEMP: join(dir, 'temp'),
    'INPUT_GITHUB-TOKEN': 'ghs_shard_shell_token_0123456789',
    'INPUT_CHUNKS-PER-SHARD': '1',
    ...Object.fromEntries(Object.entries(inputs).map(([k, v]) => [`INPUT_${k.toUpperCase()}`, v])),
  });
  const planned = await withStepFiles(dir, () => run(env({ mode: 'plan' })));
  // Three small files are one chunk at the default chunk budget: one shard.
  expect(planned.outputs).toContain('{"shard":["1/1"]}');
  const planId = /plan-id<<(\S+)\n([0-9a-f]{64})\n/.exec(planned.outputs)?.[2];
  expect(planId).toMatch(/^[0-9a-f]{64}$/);
  expect(planned.summary).toContain('## Codex review plan');
  expect(statusOf(8)[0]!.body).toContain('review in progress: 1 shard');

  // No ACTIONS_RESULTS_URL in this step's environment: the merge says what it needs and posts nothing.
  const merged = await withStepFiles(dir, () => run(env({ mode: 'merge', 'plan-id': planId! })));
  expect(merged.outputs).toMatch(/conclusion<<\S+\nfailure\n/);
  expect(merged.summary).toContain('no artifact service (ACTIONS_RESULTS_URL and ACTIONS_RUNTIME_TOKEN)');
  expect(reviewsOf(8)).toHaveLength(0);
  expect(statusOf(8)[0]!.body).toContain('## Codex review: failed ❌');
});

/** The shard-result.json inside an artifact's zip, read with unzip (a test helper; the action uses @actions/artifact). */
async function unzipResult(zip: Buffer): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'unzip-'));
  await writeFile(join(dir, 'a.zip'), zip);
  return (await execa('unzip', ['-p', join(dir, 'a.zip'), SHARD_RESULT_FILE])).stdout;
}
