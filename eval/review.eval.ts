// `npm run eval`: every case of eval/cases.ts through the action's review engine (runReview: the real codex
// app-server, the fake GitHub, a real git checkout of the head), scored for precision, recall and cost.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { runReview } from '../src/modes/review/run-review.js';
import { testContext } from '../test/support/context.js';
import { FakeGitHub } from '../test/support/fake-github.js';
import { createRepo } from '../test/support/git-repo.js';
import { ModelServer } from '../test/support/model-server.js';
import { captureStdout, finding, findingsReply, scriptReviewModel, serveContents, verdictsReply } from '../test/support/review-fixtures.js';
import { CASES, type EvalCase } from './cases.js';
import { defectLine, renderTable, type CaseResult, type Reported } from './score.js';
import { type PullReport } from '../src/modes/review/report/pull-report.js';
import { type ReviewTarget } from '../src/modes/review/target.js';

const OWNER = 'eval';
const REPO = 'cases';
const apiKey = process.env.OPENAI_API_KEY ?? process.env.CODEX_API_KEY;
const scripted = !apiKey;
const baseUrl = process.env.EVAL_BASE_URL ?? process.env.OPENAI_BASE_URL ?? 'https://api.openai.com/v1';
const modelName = process.env.EVAL_MODEL ?? '';
const only = process.env.EVAL_CASES?.split(',').map((s) => s.trim()).filter(Boolean);
const NOISE = 'Possible unhandled edge case (planted by the scripted model)';

/** The scripted model of the machinery check: the labelled defect plus one planted false finding; its verifier drops the planted one. */
function script(model: ModelServer, c: EvalCase, line: number | undefined): void {
  scriptReviewModel(model, {
    chunk: () =>
      findingsReply([
        ...(line !== undefined ? [finding({ path: c.path, line, severity: 'high', title: c.label })] : []),
        // Off target by construction: a file the defect is not in.
        finding({ path: 'src/elsewhere.ts', line: 1, severity: 'medium', title: NOISE }),
      ]),
    verify: (req) =>
      verdictsReply(req, (f) =>
        f.title === NOISE ? { verdict: 'drop', confidence: 0.8, reason: 'The code handles it.' } : { verdict: 'keep', confidence: 0.9, reason: 'Visible in the diff.' },
      ),
  });
}

async function runCase(c: EvalCase, number: number): Promise<CaseResult> {
  const line = defectLine(c);
  const base: CaseResult = { name: c.name, label: c.label, defectLine: line, off: [], on: [], tokens: zero(), verifyTokens: zero() };
  const repo = await createRepo({ [c.path]: c.before });
  const fake = await FakeGitHub.start();
  const model = scripted ? await ModelServer.start() : undefined;
  try {
    const baseSha = repo.headSha;
    await mkdir(dirname(join(repo.dir, c.path)), { recursive: true });
    await writeFile(join(repo.dir, c.path), c.after);
    await repo.git('commit', '--quiet', '-am', c.title);
    const headSha = await repo.git('rev-parse', 'HEAD');
    const diff = await repo.git('diff', baseSha, headSha, '--', c.path);
    const patch = diff.slice(diff.indexOf('@@'));
    serveContents(fake, { owner: OWNER, repo: REPO, sha: baseSha, files: {} });
    fake.addPullRequest({
      owner: OWNER,
      repo: REPO,
      number,
      title: c.title,
      body: c.description,
      head: { ref: `case-${number}`, sha: headSha },
      base: { ref: 'main', sha: baseSha },
      files: [{ filename: c.path, status: 'modified', patch }],
    });
    if (model) script(model, c, line);
    const ctx = await testContext({
      githubUrl: fake.url,
      modelUrl: model ? model.url : baseUrl,
      workdir: repo.dir,
      repo: { owner: OWNER, repo: REPO },
      inputs: { mode: 'review', 'min-severity': 'low', ...(apiKey ? { 'openai-api-key': apiKey, model: modelName } : {}) },
    });
    let reports: readonly PullReport[] = [];
    const target: ReviewTarget = { prNumbers: [number], explicit: true };
    const outcome = await runReview(ctx, target, { observe: (r) => (reports = r) });
    const report = reports[0];
    if (!report) return { ...base, error: `no review (${outcome.conclusion}: ${outcome.failure ?? 'no reason given'})` };
    const v = report.verification;
    const pick = (f: Reported): Reported => ({ path: f.path, line: f.line, start_line: f.start_line, title: f.title });
    const on = report.kept.map(pick);
    const off = [...on, ...(v?.dropped ?? []).map((d) => pick(d.finding))];
    const usage = outcome.usage ?? { inputTokens: 0, cachedInputTokens: 0, outputTokens: 0 };
    return {
      ...base,
      off,
      on,
      tokens: { input: usage.inputTokens, cached: usage.cachedInputTokens, output: usage.outputTokens },
      verifyTokens: v ? { input: v.usage.inputTokens, cached: v.usage.cachedInputTokens, output: v.usage.outputTokens } : zero(),
      ...(report.chunksOk < report.chunksTotal ? { error: `not reviewed: ${report.failedChunks.join('; ')}` } : {}),
    };
  } catch (error) {
    return { ...base, error: (error as Error).message };
  } finally {
    await fake.close();
    await model?.close();
    await repo.cleanup();
  }
}

function zero() {
  return { input: 0, cached: 0, output: 0 };
}

test('the review evaluation', async () => {
  const cases = CASES.filter((c) => !only || only.includes(c.name));
  expect(cases.length).toBeGreaterThan(0);
  const results: CaseResult[] = [];
  for (const [i, c] of cases.entries()) {
    // The action's own log lines (core.info, annotations) stay out of the report.
    const quiet = captureStdout();
    try {
      results.push(await runCase(c, i + 1));
    } finally {
      quiet.restore();
    }
    const r = results.at(-1)!;
    process.stdout.write(`${r.name}: ${r.error ? `error: ${r.error}` : `${r.off.length} finding(s) before verification, ${r.on.length} after`}\n`);
  }
  const paths = new Map(cases.map((c) => [c.name, c.path]));
  const table = renderTable(results, paths, { scripted, model: modelName, env: process.env });
  process.stdout.write(`\n## Review evaluation (${cases.length} cases)\n\n${table}\n`);
  if (process.env.EVAL_OUT) await writeFile(process.env.EVAL_OUT, `${table}\n`);
  // The machinery check must work end to end: against the script every case runs and scores exactly.
  if (scripted) {
    expect(results.filter((r) => r.error)).toEqual([]);
    for (const r of results) expect(r.on.length).toBe(r.defectLine === undefined ? 0 : 1);
  }
});
