// Cost of a re-review: a full review vs an incremental one of a push that changes 2 files of a 200-file pull
// request, on the real app-server, a scripted model (fixed time per chunk), the fake GitHub and real git.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { SUMMARY_MARKER } from '../src/modes/review/deliver/compose.js';
import { runReview } from '../src/modes/review/run-review.js';
import { reviewedMarker } from '../src/modes/review/deliver/status.js';
import { testContext } from '../test/support/context.js';
import { diffFiles, FakeGitHub } from '../test/support/fake-github.js';
import { createRepo } from '../test/support/git-repo.js';
import { ModelServer, type ModelRequest } from '../test/support/model-server.js';
import { findingsReply, scriptReviewModel, serveContents, turnKind } from '../test/support/review-fixtures.js';
import { type ReviewTarget } from '../src/modes/review/target.js';

const FILES = 200;
const LINES = 30;
const MODEL_MS = Number(process.env.BENCH_MODEL_MS ?? 300);
const target: ReviewTarget = { prNumbers: [5], explicit: false };

const source = (i: number, variant: string) =>
  Array.from({ length: LINES }, (_, l) => `export const v${i}_${l} = compute(${l}, '${variant}-${i}-${l}');`).join('\n') + '\n';

test('full vs incremental re-review of a 2-file push to a 200-file pull request', async () => {
  jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  const fake = await FakeGitHub.start();
  const model = await ModelServer.start();
  const files = Object.fromEntries(Array.from({ length: FILES }, (_, i) => [`src/f${i}.ts`, source(i, 'base')]));
  const repo = await createRepo(files);
  try {
    const base = repo.headSha;
    await repo.git('checkout', '--quiet', '-b', 'feature');
    for (let i = 0; i < FILES; i++) await writeFile(join(repo.dir, `src/f${i}.ts`), source(i, 'pr'));
    await repo.git('commit', '--quiet', '-am', 'change every file');
    const head1 = await repo.git('rev-parse', 'HEAD');
    for (const i of [7, 150]) await writeFile(join(repo.dir, `src/f${i}.ts`), source(i, 'push'));
    await repo.git('commit', '--quiet', '-am', 'change two files');
    const head2 = await repo.git('rev-parse', 'HEAD');

    fake.useGitRepo('octo', 'demo', repo.dir);
    serveContents(fake, { owner: 'octo', repo: 'demo', sha: base, files: {} });
    const servePull = async (head: string) =>
      fake.addPullRequest({ owner: 'octo', repo: 'demo', number: 5, head: { ref: 'feature', sha: head }, base: { ref: 'main', sha: base }, files: await diffFiles(repo.dir, base, head) });
    scriptReviewModel(model, { chunk: () => findingsReply([], 'Fine.', MODEL_MS) });
    const ctx = (inputs: Record<string, string> = {}) =>
      testContext({ githubUrl: fake.url, modelUrl: model.url, workdir: repo.dir, repo: { owner: 'octo', repo: 'demo' }, inputs: { mode: 'review', ...inputs } });

    const measure = async (label: string, inputs: Record<string, string>) => {
      const from = model.responseRequests.length;
      const started = performance.now();
      const outcome = await runReview(await ctx(inputs), target);
      const ms = performance.now() - started;
      const requests: ModelRequest[] = model.responseRequests.slice(from);
      const chars = requests.reduce((n, r) => n + r.raw.length, 0);
      const chunks = requests.filter((r) => turnKind(r) === 'chunk').length;
      return { label, conclusion: outcome.conclusion, requests: requests.length, chunks, tokens: Math.round(chars / 4), ms };
    };

    // As after a first review of head1: the status comment records it. The push is then reviewed both ways.
    const status = fake.addIssueComment({ owner: 'octo', repo: 'demo', number: 5, body: `${SUMMARY_MARKER}\n\n${reviewedMarker(head1)}` });
    await servePull(head2);
    const full = await measure('push, full (incremental: false)', { incremental: 'false' });
    // The full run moved the mark to head2; put it back on head1 so the incremental run compares head1...head2.
    status.body = `${SUMMARY_MARKER}\n\n${reviewedMarker(head1)}`;
    const incremental = await measure('push, incremental', {});
    jest.restoreAllMocks();

    const line = (m: typeof full) =>
      `${m.label}: ${m.requests} model requests (${m.chunks} chunks), ~${m.tokens} tokens sent, ${(m.ms / 1000).toFixed(1)} s, ${m.conclusion}`;
    console.log(
      [
        `${FILES}-file pull request, push changes 2 files, model ${MODEL_MS} ms per chunk turn`,
        line(full),
        line(incremental),
        `incremental / full: tokens ${(incremental.tokens / full.tokens).toFixed(3)}, wall time ${(incremental.ms / full.ms).toFixed(3)}`,
      ].join('\n'),
    );
    expect(incremental.chunks).toBe(1);
    expect(full.chunks).toBeGreaterThan(1);
  } finally {
    jest.restoreAllMocks();
    await fake.close();
    await model.close();
    await repo.cleanup();
  }
});
