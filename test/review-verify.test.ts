// The verification pass and proven suggestions end to end: the real codex app-server, a scripted model, the fake
// GitHub and a real git checkout of the pull request's head.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunContext } from '../src/base/context.js';
import { CHUNK_HEADING } from '../src/modes/review/agent/prompts.js';
import { runReview } from '../src/modes/review/run-review.js';
import { VERDICTS_JSON_SCHEMA } from '../src/modes/review/check/verify.js';
import { testContext } from './support/context.js';
import { FakeGitHub, type FakePullRequest } from './support/fake-github.js';
import type { TestRepo } from './support/git-repo.js';
import { assistantText, ModelServer, userText } from './support/model-server.js';
import {
  captureStdout,
  closeReviewRig,
  finding,
  findingsReply,
  findingsToVerify,
  modifyPatch,
  scriptReviewModel,
  serveContents,
  startReviewRig,
  turnKind,
  verdictsReply,
} from './support/review-fixtures.js';
import { type ReviewTarget } from '../src/modes/review/target.js';

const OWNER = 'octo';
const REPO = 'demo';
const BASE = 'b2'.repeat(20);

// The head of the pull request: src/app.ts as it reads after the change (line 3 was changed).
const APP_LINES = [
  'export function run(input: string) {',
  '  const data = load(input);',
  '  const limit = Number(process.env.LIMIT);',
  '  const out = data.slice(0, limit);',
  '  return out;',
  '}',
];
const APP_BEFORE = [...APP_LINES.slice(0, 2), '  const limit = 10;', ...APP_LINES.slice(3)];

let fake: FakeGitHub;
let model: ModelServer;
let workspace: TestRepo;
let stdout: ReturnType<typeof captureStdout>;
let pr: FakePullRequest;

beforeEach(async () => {
  ({ stdout, fake, model, workspace } = await startReviewRig({
    'src/app.ts': `${APP_LINES.join('\n')}\n`,
    'src/other.ts': 'export const other = 1;\n',
  }));
  serveContents(fake, { owner: OWNER, repo: REPO, sha: BASE, files: { 'AGENTS.md': 'Errors must be typed.\n' } });
  pr = fake.addPullRequest({
    owner: OWNER,
    repo: REPO,
    number: 5,
    title: 'Read the limit from the environment',
    body: 'Makes the limit configurable.',
    // The workspace holds the head: the checkout's own commit.
    head: { ref: 'feature', sha: workspace.headSha },
    base: { ref: 'main', sha: BASE },
    files: [{ filename: 'src/app.ts', status: 'modified', patch: modifyPatch(APP_BEFORE, 3, APP_LINES[2]!) }],
  });
});

afterEach(async () => {
  await closeReviewRig({ stdout, fake, model, workspace });
});

function context(inputs: Record<string, string> = {}): Promise<RunContext> {
  return testContext({ githubUrl: fake.url, modelUrl: model.url, workdir: workspace.dir, repo: { owner: OWNER, repo: REPO }, inputs: { mode: 'review', ...inputs } });
}

const target: ReviewTarget = { prNumbers: [5], explicit: false };
const verifyRequests = () => model.responseRequests.filter((r) => turnKind(r) === 'verify');

test('a finding the verifier refutes is not posted and is listed as dropped with its reason; a kept one is posted with its confidence', async () => {
  scriptReviewModel(model, {
    chunk: () =>
      findingsReply([
        finding({ path: 'src/app.ts', line: 3, severity: 'high', title: 'LIMIT may be NaN', body: 'Number(undefined) is NaN; slice(0, NaN) returns [].' }),
        finding({ path: 'src/app.ts', line: 2, severity: 'medium', title: 'load may return null', body: 'data could be null.' }),
        finding({ path: 'src/app.ts', line: 4, severity: 'low', title: 'slice copies the array', body: 'Could be slow.' }),
        // Below min-severity: never reported, so never verified (no tokens spent on it).
        finding({ path: 'src/app.ts', line: 5, severity: 'info', title: 'Consider a named constant', body: 'Style.' }),
      ]),
    verify: (req) =>
      verdictsReply(req, (f) =>
        f.title === 'load may return null'
          ? { verdict: 'drop', confidence: 0.9, reason: 'load() is typed to return an array and never returns null.' }
          : f.title === 'slice copies the array'
            ? { verdict: 'keep', confidence: 0.3, reason: 'Only matters for huge inputs.' }
            : { verdict: 'keep', confidence: 0.85, reason: 'LIMIT is unset in the default environment.' },
      ),
  });
  const outcome = await runReview(await context({ 'min-confidence': '0.5' }), target);

  // One verification turn per chunk, in a fork of the chunk's thread: it carries the chunk's diff and its findings,
  // and asks for the verdicts schema.
  const verify = verifyRequests();
  expect(verify).toHaveLength(1);
  expect(userText(verify[0]!)).toContain(CHUNK_HEADING);
  expect(assistantText(verify[0]!)).toContain('load may return null');
  expect(verify[0]!.body.text?.format?.schema).toEqual(VERDICTS_JSON_SCHEMA);
  expect(findingsToVerify(verify[0]!).map((f) => f.title)).toEqual(['LIMIT may be NaN', 'load may return null', 'slice copies the array']);

  // Only the kept finding at or above min-confidence reaches the pull request, with its severity and confidence.
  expect(fake.reviews).toHaveLength(1);
  const posted = JSON.stringify([fake.reviews, fake.issueComments]);
  expect(posted).not.toContain('load may return null');
  expect(posted).not.toContain('slice copies the array');
  expect(posted).not.toContain('never returns null');
  const [comment] = fake.reviews[0]!.comments;
  expect(fake.reviews[0]!.comments).toHaveLength(1);
  expect(comment!.body).toContain('LIMIT may be NaN');
  expect(comment!.body).toContain('Severity: high · Confidence: 0.85');
  expect(comment!.body).toContain('LIMIT is unset in the default environment.');

  // Outputs carry the verdict and confidence of what was reported.
  const findings = JSON.parse(outcome.outputs.findings!) as Array<Record<string, unknown>>;
  expect(findings).toEqual([expect.objectContaining({ title: 'LIMIT may be NaN', severity: 'high', confidence: 0.85, verdict: 'keep' })]);
  expect(outcome.outputs['findings-count']).toBe('1');

  // The job summary lists what was dropped and why, and counts per severity.
  expect(outcome.summary).toContain('| high | 0.85 | `src/app.ts:3` | LIMIT may be NaN |');
  expect(outcome.summary).toContain('**Dropped by verification** (not posted on the pull request)');
  expect(outcome.summary).toContain('- medium `src/app.ts:2` — load may return null: refuted: load() is typed to return an array and never returns null.');
  expect(outcome.summary).toContain('- low `src/app.ts:4` — slice copies the array: confidence 0.30 is below min-confidence 0.5: Only matters for huge inputs.');
  expect(outcome.summary).toContain('| high | 1 | 0 |');
  expect(outcome.summary).toContain('| medium | 0 | 1 |');
  expect(outcome.summary).toContain('| low | 0 | 1 |');

  // The verification turn's tokens are in the totals (setup, chunk, verify: 100 input each from the scripted model)
  // and shown on their own.
  expect(outcome.usage).toEqual({ inputTokens: 300, cachedInputTokens: 120, outputTokens: 30 });
  expect(outcome.summary).toContain('**Verification:** 100 input (40 cached), 10 output tokens (included in the totals)');
});

test('a verification that fails twice refutes nothing: its findings are posted unverified, and the summary says so', async () => {
  scriptReviewModel(model, {
    chunk: () => findingsReply([finding({ path: 'src/app.ts', line: 3, severity: 'high', title: 'LIMIT may be NaN' })]),
    verify: () => ({ message: '{"verdicts": "all good"}' }),
  });
  const outcome = await runReview(await context(), target);

  expect(model.responseRequests.filter((r) => turnKind(r) === 'verify-retry')).toHaveLength(1);
  // Not dropped: a verifier that could not answer refutes nothing.
  expect(fake.reviews[0]!.comments).toHaveLength(1);
  expect(fake.reviews[0]!.comments[0]!.body).not.toContain('Confidence');
  const findings = JSON.parse(outcome.outputs.findings!) as Array<Record<string, unknown>>;
  expect(findings[0]).toMatchObject({ title: 'LIMIT may be NaN', confidence: null, verdict: null });
  expect(outcome.summary).toMatch(/The verification of chunk 1 of 1 failed \(the verdicts did not match the schema twice; .*\); its 1 finding\(s\) are reported unverified\./);
});

test('suggestions are checked in a scratch worktree of the head: one that does not apply and one that breaks test-command lose their committable block; a proven one says so', async () => {
  scriptReviewModel(model, {
    chunk: () =>
      findingsReply([
        // Applies, and the tests pass with it.
        finding({ path: 'src/app.ts', line: 3, severity: 'high', title: 'LIMIT may be NaN', suggestion: '  const limit = Number(process.env.LIMIT ?? 10);' }),
        // Repeats line 2, which it does not replace: committed, that line would be there twice.
        finding({
          path: 'src/app.ts',
          line: 3,
          severity: 'medium',
          title: 'Validate the limit',
          suggestion: '  const data = load(input);\n  const limit = Math.max(1, Number(process.env.LIMIT));',
        }),
        // Applies, but breaks the tests.
        finding({ path: 'src/app.ts', start_line: 4, line: 5, severity: 'medium', title: 'Return early', suggestion: '  return data.slice(0, limit); // BROKEN' }),
      ]),
  });
  const before = await workspace.git('status', '--porcelain');
  const outcome = await runReview(
    await context({ 'verify-suggestions': 'tests', 'test-command': '! grep -rq BROKEN src && grep -q "export function run" src/app.ts' }),
    target,
  );

  const comments = fake.reviews[0]!.comments;
  const body = (title: string) => comments.find((c) => c.body.includes(title))!.body;
  expect(body('LIMIT may be NaN')).toContain('```suggestion\n  const limit = Number(process.env.LIMIT ?? 10);\n```');
  expect(body('LIMIT may be NaN')).toContain('✅ Suggestion checked: applies cleanly; `! grep -rq BROKEN src && grep -q "export function run" src/app.ts` passes with it.');

  expect(body('Validate the limit')).not.toContain('```suggestion');
  expect(body('Validate the limit')).toContain('Suggested fix:\n```\n  const data = load(input);');
  expect(body('Validate the limit')).toContain(
    '⚠️ Not offered as a committable suggestion: it does not apply: it starts with line 2, which it does not replace: committed, that line would appear twice.',
  );

  expect(body('Return early')).not.toContain('```suggestion');
  expect(body('Return early')).toContain('⚠️ Not offered as a committable suggestion: `! grep -rq BROKEN src');
  expect(body('Return early')).toContain('fails with it applied (it passes on the head without it).');

  const findings = JSON.parse(outcome.outputs.findings!) as Array<{ title: string; suggestion_check: string | null }>;
  expect(Object.fromEntries(findings.map((f) => [f.title, f.suggestion_check]))).toEqual({
    'LIMIT may be NaN': 'proven',
    'Validate the limit': 'does-not-apply',
    'Return early': 'breaks-tests',
  });

  // Batched: the head alone, then all three together (fails), then each half: four runs of test-command.
  expect(stdout.text().match(/Suggestions of #5: \d+ applied, /g)).toHaveLength(4);

  // The user's workspace is untouched: same status, same file, no worktree left behind.
  expect(await workspace.git('status', '--porcelain')).toBe(before);
  expect(await readFile(join(workspace.dir, 'src/app.ts'), 'utf8')).toBe(`${APP_LINES.join('\n')}\n`);
  expect((await workspace.git('worktree', 'list', '--porcelain')).match(/^worktree /gm)).toHaveLength(1);
});

test('without the head in the workspace, suggestions stay as they are and the summary says why they were not checked', async () => {
  pr.head.sha = 'c3'.repeat(20);
  scriptReviewModel(model, {
    chunk: () => findingsReply([finding({ path: 'src/app.ts', line: 3, severity: 'high', title: 'LIMIT may be NaN', suggestion: '  const limit = 10;' })]),
  });
  const outcome = await runReview(await context({ 'verify-suggestions': 'tests', 'test-command': 'false' }), target);
  const body = fake.reviews[0]!.comments[0]!.body;
  expect(body).toContain('```suggestion\n  const limit = 10;\n```');
  expect(body).not.toContain('Suggestion checked');
  expect(outcome.summary).toContain(`the workspace does not hold its head commit ${'c3'.repeat(6)}`);
});

test('tests that already fail on the head prove nothing: the suggestion stays committable as "applies", and the summary says why it was not tested', async () => {
  scriptReviewModel(model, {
    chunk: () => findingsReply([finding({ path: 'src/app.ts', line: 3, severity: 'high', title: 'LIMIT may be NaN', suggestion: '  const limit = 10;' })]),
  });
  const outcome = await runReview(await context({ 'verify-suggestions': 'tests', 'test-command': 'exit 3' }), target);
  const body = fake.reviews[0]!.comments[0]!.body;
  expect(body).toContain('```suggestion\n  const limit = 10;\n```');
  expect(body).toContain('✅ Suggestion checked: applies cleanly to the lines it replaces (tests not run).');
  expect(outcome.summary).toContain('were checked to apply but not tested: `exit 3` cannot prove them, because it fails on the head without any suggestion: `exit 3` failed with exit code 3');
});

test('with sandbox danger-full-access the pull request\'s code is never run to test suggestions', async () => {
  scriptReviewModel(model, {
    chunk: () => findingsReply([finding({ path: 'src/app.ts', line: 3, severity: 'high', title: 'LIMIT may be NaN', suggestion: '  const limit = 10;' })]),
  });
  const marker = join(workspace.dir, '..', 'tests-ran');
  const outcome = await runReview(await context({ 'verify-suggestions': 'tests', 'test-command': `touch ${marker}`, sandbox: 'danger-full-access' }), target);
  await expect(readFile(marker)).rejects.toThrow(/ENOENT/);
  expect(fake.reviews[0]!.comments[0]!.body).toContain('applies cleanly to the lines it replaces (tests not run)');
  expect(outcome.summary).toContain("sandbox is 'danger-full-access': the pull request's code is not run outside the sandbox");
});

test('verification runs in each chunk\'s own max-parallel slot, forked from that chunk: concurrent across chunks, never above max-parallel', async () => {
  const added = (name: string) => ({
    filename: `src/${name}.ts`,
    status: 'added',
    patch: [`@@ -0,0 +1,12 @@`, ...Array.from({ length: 12 }, (_, i) => `+export const ${name}${i} = ${i}; // ${'x'.repeat(60)}`)].join('\n'),
  });
  fake.addPullRequest({
    owner: OWNER,
    repo: REPO,
    number: 6,
    title: 'Three new modules',
    head: { ref: 'modules', sha: workspace.headSha },
    base: { ref: 'main', sha: BASE },
    files: [added('alpha'), added('beta'), added('gamma')],
  });
  // The first verification request is held until another request reaches the model (or 20 s pass): with the pass
  // running concurrently across chunks, another slot's request comes while it waits; run one after the other, none would.
  let held: 'released by another request' | 'gave up waiting' | undefined;
  scriptReviewModel(model, {
    chunk: (req) => {
      const file = /This chunk covers \(untrusted names\):\n`{3,}\n([^\n]+)\n/.exec(userText(req).split(CHUNK_HEADING).at(-1)!)![1]!;
      return findingsReply([finding({ path: file, line: 2, severity: 'medium', title: `Issue in ${file}` })]);
    },
    verify: async (req) => {
      if (held === undefined) {
        held = 'gave up waiting';
        const seen = model.requests.length;
        for (let waited = 0; waited < 20_000 && held === 'gave up waiting'; waited += 20) {
          if (model.requests.length > seen) held = 'released by another request';
          else await new Promise((r) => setTimeout(r, 20));
        }
      }
      return verdictsReply(req);
    },
  });
  const outcome = await runReview(await context({ 'max-parallel': '2' }), { prNumbers: [6], explicit: false }, { chunkTokens: 300 });

  expect(held).toBe('released by another request');
  const chunks = model.responseRequests.filter((r) => turnKind(r) === 'chunk');
  const verifies = verifyRequests();
  expect(chunks.length).toBeGreaterThanOrEqual(3);
  // Every chunk had a finding, so every chunk got its verification turn.
  expect(verifies.length).toBe(chunks.length);
  // Each verification is a fork of its own chunk's thread: it carries that chunk's finding, and no other's.
  for (const v of verifies) {
    const titles = findingsToVerify(v).map((f) => f.title);
    expect(titles).toHaveLength(1);
    expect(assistantText(v)).toContain(titles[0]);
  }
  // Measured at the model server: never more than max-parallel requests in flight.
  const all = [...chunks, ...verifies];
  const inFlightAt = (t: number) => all.filter((r) => r.receivedAt <= t && t < (r.finishedAt ?? Infinity)).length;
  expect(Math.max(...all.map((r) => inFlightAt(r.receivedAt)))).toBeLessThanOrEqual(2);
  expect(outcome.outputs['findings-count']).toBe('3');
});
