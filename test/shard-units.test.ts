// A sharded review's pure parts: the plan (shard count, slices, plan-id), the artifact's checks, the shared status
// comment's lines and marks, and the inputs and event plan of its jobs.
import { planRun, PlanError } from '../src/action/plan.js';
import { readInputs } from '../src/action/inputs.js';
import { chunkFiles, type Chunk } from '../src/modes/review/gather/chunks.js';
import { parsePatch, type FileDiff } from '../src/modes/review/gather/diff.js';
import { lastReviewedIn, planMarkIn, progressBody, type PlanMark } from '../src/modes/review/deliver/status.js';
import { chunkId, matrixOf, planShards, shardCount, type PlanSettings } from '../src/modes/review/shard/shard-plan.js';
import { parseArtifactName, readShardResult, shardArtifactName, shardResultOf, type ShardExpectation, type ShardWork } from '../src/modes/review/shard/shard-result.js';
import { plannedBody, waitingLines, withShardLine } from '../src/modes/review/shard/shard-status.js';
import { ZERO_USAGE, type ChunkOutcome } from '../src/modes/review/agent/forks.js';
import type { PullRequest } from '../src/base/github/pulls.js';
import { finding } from './support/review-fixtures.js';

const HEAD = 'a'.repeat(40);
const SETTINGS: PlanSettings = { maxShards: 4, chunksPerShard: 8, chunkTokens: 120, paths: [], pathsIgnore: [], minSeverity: 'low' };
const fileOf = (i: number): FileDiff => ({
  path: `src/f${i}.ts`,
  status: 'modified',
  hunks: parsePatch(`@@ -1,3 +1,3 @@\n line one of ${i}\n-old ${i}\n+new value number ${i} with some more text to fill the chunk\n line three`),
});
const chunksOf = (n: number): Chunk[] => chunkFiles(Array.from({ length: n }, (_, i) => fileOf(i + 1)), 60);
const pullOf = (chunks: Chunk[], head = HEAD, scopeBase?: string) => ({ number: 7, headSha: head, scopeBase, chunks });

describe('planShards', () => {
  it('asks for one shard per chunks-per-shard, at most max-shards, and one for a small or empty pull request', () => {
    expect(chunksOf(30)).toHaveLength(30);
    expect(shardCount(0, SETTINGS)).toBe(1);
    expect(shardCount(1, SETTINGS)).toBe(1);
    expect(shardCount(8, SETTINGS)).toBe(1);
    expect(shardCount(9, SETTINGS)).toBe(2);
    expect(shardCount(30, SETTINGS)).toBe(4);
    expect(shardCount(30, { ...SETTINGS, chunksPerShard: 10 })).toBe(3);
    expect(matrixOf(3)).toBe('{"shard":["1/3","2/3","3/3"]}');
  });

  it('splits the chunks into contiguous slices whose sizes differ by at most one, covering each chunk once', () => {
    const chunks = chunksOf(30);
    const plan = planShards(pullOf(chunks), { ...SETTINGS, chunksPerShard: 10 });
    expect(plan.shards).toBe(3);
    expect(plan.slices.map((s) => s.map((c) => c.index))).toEqual([
      Array.from({ length: 10 }, (_, i) => i + 1),
      Array.from({ length: 10 }, (_, i) => i + 11),
      Array.from({ length: 10 }, (_, i) => i + 21),
    ]);
    const uneven = planShards(pullOf(chunksOf(10)), { ...SETTINGS, chunksPerShard: 3 });
    expect(uneven.slices.map((s) => s.length)).toEqual([2, 3, 2, 3]);
    expect(uneven.slices.flat().map((c) => c.index)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
    expect(planShards(pullOf([]), SETTINGS).slices).toEqual([[]]);
  });

  it('gives the same plan-id to the same pull request and inputs, and another to any change that moves a chunk', () => {
    const chunks = chunksOf(12);
    const id = planShards(pullOf(chunks), SETTINGS).planId;
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    expect(planShards(pullOf(chunksOf(12)), SETTINGS).planId).toBe(id);
    const others = [
      planShards(pullOf(chunks, 'b'.repeat(40)), SETTINGS),
      planShards(pullOf(chunks, HEAD, 'c'.repeat(40)), SETTINGS),
      planShards(pullOf(chunksOf(11)), SETTINGS),
      planShards(pullOf(chunkFiles(Array.from({ length: 12 }, (_, i) => fileOf(i + 1)), 100)), SETTINGS),
      planShards(pullOf(chunks), { ...SETTINGS, maxShards: 3 }),
      planShards(pullOf(chunks), { ...SETTINGS, chunksPerShard: 4 }),
      planShards(pullOf(chunks), { ...SETTINGS, paths: ['src/**'] }),
      planShards(pullOf(chunks), { ...SETTINGS, pathsIgnore: ['*.md'] }),
      planShards(pullOf(chunks), { ...SETTINGS, minSeverity: 'high' }),
      planShards(pullOf(chunks), { ...SETTINGS, chunkTokens: 121 }),
    ].map((p) => p.planId);
    expect(new Set([id, ...others]).size).toBe(others.length + 1);
    // A chunk's id is its files and the exact text of its hunks.
    const changed = { ...chunks[0]!, text: `${chunks[0]!.text} ` };
    expect(chunkId(changed)).not.toBe(chunkId(chunks[0]!));
  });
});

describe('the shard artifact', () => {
  const chunks = chunksOf(4);
  const plan = planShards(pullOf(chunks), { ...SETTINGS, chunksPerShard: 2 });
  const pr = { number: 7, headSha: HEAD } as PullRequest;
  const task = (c: Chunk) => ({ pr, allPaths: chunks.flatMap((x) => x.paths), chunk: c, chunkCount: chunks.length });
  const good = finding({ path: 'src/f3.ts', line: 2, title: 'Real bug', severity: 'high' });
  const outcomes: ChunkOutcome[] = [
    { task: task(chunks[2]!), ok: true, review: { summary: 's', findings: [good], dropped: [] }, attempts: 1, threadId: 't-3', usage: ZERO_USAGE, durationMs: 5, verification: { ok: true, verdicts: [{ verdict: 'keep', confidence: 0.9, reason: 'r' }], attempts: 1, usage: ZERO_USAGE } },
    { task: task(chunks[3]!), ok: false, error: 'the turn ran past timeout-minutes', attempts: 1, threadId: null, usage: ZERO_USAGE, durationMs: 9 },
  ];
  const work: ShardWork = {
    planId: plan.planId, pr: 7, headSha: HEAD, shard: { index: 2, count: 2 }, slice: plan.slices[1]!, outcomes,
    proofs: new Map([[ 'abcdef0123456789', { status: 'applies', note: 'applies cleanly' } ]]), notes: [], baseUsage: ZERO_USAGE, totalUsage: ZERO_USAGE,
    baseThreadId: 'base-1', startedAt: 1, durationMs: 2,
  };
  const expect2: ShardExpectation = { planId: plan.planId, pr: 7, headSha: HEAD, shard: { index: 2, count: 2 }, slice: plan.slices[1]!, allPaths: chunks.flatMap((c) => c.paths), minSeverity: 'low' };
  const json = JSON.stringify(shardResultOf(work));
  const edited = (change: (r: Record<string, unknown>) => void) => {
    const r = JSON.parse(json) as Record<string, unknown>;
    change(r);
    return JSON.stringify(r);
  };

  it('reads back what a shard wrote', () => {
    const read = readShardResult(json, expect2);
    expect(read.ok).toBe(true);
    if (read.ok) expect(read.result.outcomes.map((o) => [o.chunk, o.ok])).toEqual([[3, true], [4, false]]);
  });

  it.each([
    ['not JSON', '{"v":1,', /is not JSON/],
    ['another plan', edited((r) => (r.planId = 'f'.repeat(64))), /from another plan/],
    ['another shard', edited((r) => (r.shard = { index: 1, count: 2 })), /says it is shard 1 of 2/],
    ['another head', edited((r) => (r.headSha = 'b'.repeat(40))), /not of the head/],
    ['other chunks', edited((r) => (r.chunks = ['0000000000000000', '1111111111111111'])), /not the ones the plan gave/],
    ['a chunk of another shard', edited((r) => ((r.outcomes as Array<{ chunk: number }>)[0]!.chunk = 1)), /not this shard's/],
    ['a finding on a file the pull request does not change', edited((r) => ((r.outcomes as Array<{ review: { findings: Array<{ path: string }> } }>)[0]!.review.findings[0]!.path = 'etc/passwd')), /cannot be on this pull request/],
    ['verdicts that do not match the findings', edited((r) => ((r.outcomes as Array<{ verification: { verdicts: unknown[] } }>)[0]!.verification.verdicts = [])), /0 verdict\(s\) for 1 verified/],
    ['a field of the wrong type', edited((r) => (r.outcomes = 'all')), /does not have the shape/],
  ])('refuses an artifact with %s', (_what, text, why) => {
    const read = readShardResult(text, expect2);
    expect(read.ok).toBe(false);
    if (!read.ok) expect(read.why).toMatch(why);
  });

  it('accepts the failure a shard recorded before it knew its chunks', () => {
    const failure = shardResultOf({ ...work, headSha: undefined, slice: [], outcomes: [], proofs: new Map(), failure: 'shard 2 of 2 failed: GitHub is down' });
    const read = readShardResult(JSON.stringify(failure), expect2);
    expect(read.ok && read.result.failure).toBe('shard 2 of 2 failed: GitHub is down');
  });

  it('is named per pull request, shard, plan and run attempt', () => {
    const name = shardArtifactName(7, { index: 2, count: 3 }, plan.planId, 1);
    expect(name).toBe(`codex-review-pr7-shard-2-of-3-${plan.planId.slice(0, 12)}`);
    expect(parseArtifactName(name)).toEqual({ pr: 7, shard: { index: 2, count: 3 }, planPrefix: plan.planId.slice(0, 12), attempt: 1 });
    expect(parseArtifactName(shardArtifactName(7, { index: 2, count: 3 }, plan.planId, 3))?.attempt).toBe(3);
    expect(parseArtifactName('codex-fix-12')).toBeUndefined();
  });
});

describe('the shared status comment', () => {
  const chunks = chunksOf(5);
  const plan = planShards(pullOf(chunks), { ...SETTINGS, chunksPerShard: 2 });
  const mark: PlanMark = { planId: plan.planId, base: 'c'.repeat(40) };
  const body = plannedBody({ headSha: HEAD, scope: { kind: 'full' }, files: 5, chunks: 5, shards: waitingLines(plan.slices), runUrl: undefined, reviewed: 'd'.repeat(40), plan: mark });

  it('shows every shard waiting and records the plan above the reviewed mark', () => {
    expect(body).toContain('5 files in 5 chunks · review in progress: 3 shards');
    expect(body).toContain('- [ ] Shard 1 of 3 — chunk 1 (`src/f1.ts`): waiting');
    expect(body).toContain('- [ ] Shard 2 of 3 — chunks 2–3 (`src/f2.ts`, `src/f3.ts`): waiting');
    expect(planMarkIn(body)).toEqual(mark);
    expect(lastReviewedIn(body)).toBe('d'.repeat(40));
    expect(planMarkIn(progressBody({ headSha: HEAD, scope: { kind: 'full' }, files: 1, chunks: [], runUrl: undefined, reviewed: undefined }))).toBeUndefined();
    // Quoted anywhere but at the end, a plan mark does not count.
    expect(planMarkIn(`<!-- codex-ci-action:plan:${plan.planId}:none -->\nlater\ntext`)).toBeUndefined();
  });

  it('lets each shard replace only its own line, and leaves a comment without it alone', () => {
    const slice = plan.slices[1]!;
    const running = withShardLine(body, { spec: { index: 2, count: 3 }, slice, done: 1, failed: 0, state: 'running' })!;
    const both = withShardLine(running, { spec: { index: 3, count: 3 }, slice: plan.slices[2]!, done: 2, failed: 0, state: 'done' })!;
    expect(both).toContain('- [ ] Shard 1 of 3 — chunk 1 (`src/f1.ts`): waiting');
    expect(both).toContain('- [ ] Shard 2 of 3 — chunks 2–3 (`src/f2.ts`, `src/f3.ts`): 1 of 2 done');
    expect(both).toContain('- [x] Shard 3 of 3 — chunks 4–5 (`src/f4.ts`, `src/f5.ts`): all 2 done');
    const failed = withShardLine(both, { spec: { index: 2, count: 3 }, slice, done: 1, failed: 0, state: 'failed', note: 'the app-server died' })!;
    expect(failed).toContain('- [x] Shard 2 of 3 — chunks 2–3 (`src/f2.ts`, `src/f3.ts`): failed: the app-server died');
    expect(planMarkIn(failed)).toEqual(mark);
    expect(withShardLine('## Codex review summary\n\nDone.', { spec: { index: 2, count: 3 }, slice, done: 0, failed: 0, state: 'running' })).toBeUndefined();
  });
});

describe('the inputs and the plan of the sharded jobs', () => {
  const env = (inputs: Record<string, string>) => ({
    GITHUB_WORKSPACE: '/w',
    'INPUT_OPENAI-API-KEY': 'sk-test-key-0000',
    ...Object.fromEntries(Object.entries(inputs).map(([k, v]) => [`INPUT_${k.toUpperCase()}`, v])),
  });
  const id = 'a'.repeat(64);

  it('reads shard, plan-id, max-shards and chunks-per-shard, and says what a shard or the merge lacks', () => {
    expect(readInputs(env({ mode: 'review', shard: '2/3', 'plan-id': id, 'max-shards': '6', 'chunks-per-shard': '3' }))).toMatchObject({
      shard: { index: 2, count: 3 },
      planId: id,
      maxShards: 6,
      chunksPerShard: 3,
    });
    expect(() => readInputs(env({ mode: 'review', shard: '2/3' }))).toThrow("'shard' needs 'plan-id': pass the plan job's output");
    expect(() => readInputs(env({ mode: 'merge' }))).toThrow("'mode: merge' needs 'plan-id'");
    expect(() => readInputs(env({ mode: 'auto', shard: '1/2', 'plan-id': id }))).toThrow("Input 'shard' is set, so 'mode' must be review");
    expect(() => readInputs(env({ mode: 'review', shard: '4/3', 'plan-id': id }))).toThrow(/Input 'shard' has value "4\/3": expected K\/N/);
    expect(() => readInputs(env({ mode: 'merge', 'plan-id': 'abc' }))).toThrow(/Input 'plan-id' has value "abc"/);
    expect(() => readInputs(env({ 'max-shards': '0' }))).toThrow(/Input 'max-shards' has value "0": expected an integer from 1 to 64/);
    // The plan and the merge call no model: they need no credentials (the shards do).
    expect(readInputs({ GITHUB_WORKSPACE: '/w', INPUT_MODE: 'plan' }).mode).toBe('plan');
    expect(readInputs({ GITHUB_WORKSPACE: '/w', INPUT_MODE: 'merge', 'INPUT_PLAN-ID': id }).mode).toBe('merge');
    expect(() => readInputs({ GITHUB_WORKSPACE: '/w', INPUT_MODE: 'review', INPUT_SHARD: '1/2', 'INPUT_PLAN-ID': id })).toThrow(/No credentials/);
  });

  it('plans and merges one pull request as a review would find it, and refuses several', () => {
    const event = { name: 'pull_request', payload: { pull_request: { number: 12 } } };
    expect(planRun(readInputs(env({ mode: 'plan' })), event, 1)).toEqual({ job: 'plan', target: { prNumbers: [12], explicit: false } });
    expect(planRun(readInputs(env({ mode: 'merge', 'plan-id': id })), event, 1)).toEqual({ job: 'merge', target: { prNumbers: [12], explicit: false } });
    expect(() => planRun(readInputs(env({ mode: 'plan', 'pr-number': '1,2' })), event, 1)).toThrow(PlanError);
    const reply = { name: 'pull_request_review_comment', payload: { action: 'created', pull_request: { number: 12 }, comment: { id: 5, body: 'why?', in_reply_to_id: 4, user: { login: 'a', type: 'User' }, author_association: 'OWNER' } } };
    expect(planRun(readInputs(env({ mode: 'plan' })), reply, 1)).toMatchObject({ job: 'skip' });
  });
});
