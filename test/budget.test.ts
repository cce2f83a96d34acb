// Budgets (max-tokens, max-turns) across every thread of a run, against the real app-server and the scripted model.
import { BudgetExhaustedError, budgetSummary, estimateCost, RunBudget } from '../src/base/codex/budget.js';
import { runFix } from '../src/modes/fix/run-fix.js';
import { runReview } from '../src/modes/review/run-review.js';
import { startCodexRig, type CodexRig } from './support/codex.js';
import { testContext } from './support/context.js';
import { FakeGitHub } from './support/fake-github.js';
import { RUN_ID, startFixScenario } from './support/fix-scenario.js';
import { createRepo } from './support/git-repo.js';
import { lastUserText, ModelServer } from './support/model-server.js';
import { addedPatch, captureStdout, finding, findingsReply, scriptReviewModel, serveContents, turnKind } from './support/review-fixtures.js';

// The scripted model reports 100 input (40 cached) + 10 output tokens per round trip.
const PER_REQUEST = 110;

let rig: CodexRig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

test('max-tokens interrupts the running turn, says why, and no new turn starts', async () => {
  const budget = new RunBudget({ maxTokens: 3 * PER_REQUEST });
  rig = await startCodexRig({ budget });
  // A model that never stops running commands: only the budget ends this turn.
  rig.model.respond(() => ({ exec: 'echo still working' }));
  const thread = await rig.server.startThread({ sandbox: 'read-only', approvalPolicy: 'never' });

  const result = await thread.run('Work forever.', { phase: 'chunks' });

  expect(result.status).toBe('interrupted');
  expect(result.error).toBe(`stopped by the budget: the run reached max-tokens (${budget.tokens} of ${3 * PER_REQUEST} tokens used)`);
  expect(budget.tokens).toBeGreaterThanOrEqual(3 * PER_REQUEST);
  // The commands that completed before the stop are kept in the result.
  expect(result.items.filter((i) => i.type === 'commandExecution').length).toBeGreaterThanOrEqual(2);
  const requests = rig.model.responseRequests.length;
  await expect(thread.run('One more.')).rejects.toThrow(BudgetExhaustedError);
  await expect((await rig.server.startThread()).run('Another thread.')).rejects.toThrow('Not started: the run reached max-tokens');
  expect(rig.model.responseRequests.length).toBe(requests);
  expect(budget.byPhase.get('chunks')!.inputTokens).toBeGreaterThan(0);
});

test('max-turns counts turns across threads and refuses the next one without a model call', async () => {
  const budget = new RunBudget({ maxTurns: 2 });
  rig = await startCodexRig({ budget });
  rig.model.respond(() => ({ message: 'ok' }));
  const first = await rig.server.startThread({ sandbox: 'read-only', approvalPolicy: 'never' });
  expect((await first.run('one')).status).toBe('completed');
  const fork = await first.fork({ sandbox: 'read-only' });
  expect((await fork.run('two')).status).toBe('completed');
  await expect(first.run('three')).rejects.toThrow('Not started: the run used all 2 turns of max-turns.');
  expect(rig.model.responseRequests).toHaveLength(2);
});

test('tokens per phase and the estimated cost (cached input at its own price)', () => {
  const budget = new RunBudget();
  budget.add('base', { inputTokens: 1_000_000, cachedInputTokens: 400_000, outputTokens: 100_000 });
  budget.add('chunks', { inputTokens: 2_000_000, cachedInputTokens: 0, outputTokens: 0 });
  const prices = { input: 1.25, cached: 0.125, output: 10 };
  // 600k × 1.25 + 400k × 0.125 + 100k × 10, per million.
  expect(estimateCost(budget.byPhase.get('base')!, prices)).toBeCloseTo(0.75 + 0.05 + 1, 10);
  const text = budgetSummary(budget, prices);
  expect(text).toContain('| base | 1000000 | 400000 | 100000 | $1.8000 |');
  expect(text).toContain('| chunks | 2000000 | 0 | 0 | $2.5000 |');
  expect(text).toContain('| **total** | 3000000 | 400000 | 100000 | $4.3000 |');
  expect(budgetSummary(budget, undefined)).not.toContain('$');
  expect(text).not.toContain('budget stopped');
});

test('a budget reached mid-review: the chunks done are posted, the rest are not started, and the review says incomplete and why', async () => {
  const stdout = captureStdout();
  const fake = await FakeGitHub.start();
  const model = await ModelServer.start();
  const workspace = await createRepo({ 'src/app.ts': 'x\n' });
  try {
    serveContents(fake, { owner: 'octo', repo: 'demo', sha: 'b'.repeat(40), files: {} });
    const lines = (name: string) => Array.from({ length: 20 }, (_, i) => `export const ${name}${i} = compute(${i}, '${name}');`);
    fake.addPullRequest({
      owner: 'octo',
      repo: 'demo',
      number: 8,
      head: { ref: 'feature', sha: 'a'.repeat(40) },
      base: { ref: 'main', sha: 'b'.repeat(40) },
      files: ['a', 'b', 'c', 'd'].map((f) => ({ filename: `src/${f}.ts`, status: 'added', patch: addedPatch(lines(f)) })),
    });
    scriptReviewModel(model, {
      chunk: (req) => {
        const file = /This chunk covers \(untrusted names\):\n`{3,}\n([^\n]+)\n/.exec(lastUserText(req))![1]!;
        return findingsReply([finding({ path: file, line: 5, severity: 'low', title: `Issue in ${file}` })]);
      },
    });
    // Base turn + two chunk turns fit; the third would not start.
    const ctx = await testContext({
      githubUrl: fake.url,
      modelUrl: model.url,
      workdir: workspace.dir,
      inputs: { mode: 'review', verify: 'off', 'max-parallel': '1', 'max-tokens': String(3 * PER_REQUEST), 'price-per-million': '1.25/0.125/10' },
    });
    const outcome = await runReview(ctx, { prNumbers: [8], explicit: false }, { chunkTokens: 400 });

    const chunkTurns = model.responseRequests.filter((r) => turnKind(r) === 'chunk');
    expect(chunkTurns).toHaveLength(2);
    expect(outcome.conclusion).toBe('incomplete');
    // What was reviewed is posted; the summary names the limit.
    expect(fake.reviews).toHaveLength(1);
    expect(fake.reviews[0]!.comments.length + (fake.reviews[0]!.body.match(/Issue in/g)?.length ?? 0)).toBeGreaterThan(0);
    expect(outcome.summary).toContain('the run reached max-tokens');
    const budgetText = budgetSummary(ctx.budget, ctx.inputs.pricePerMillion);
    expect(budgetText).toMatch(/\| base \| 100 \| 40 \| 10 \| \$\d+\.\d{4} \|/);
    expect(budgetText).toMatch(/\| chunks \| 200 \| 80 \| 20 \|/);
    expect(budgetText).toContain('The budget stopped the run: the run reached max-tokens (330 of 330 tokens used)');
  } finally {
    stdout.restore();
    await fake.close();
    await model.close();
    await workspace.cleanup();
  }
}, 180_000);

test('a fix attempt cut short by max-tokens is not delivered and concludes incomplete, saying why', async () => {
  const stdout = captureStdout();
  const scenario = await startFixScenario();
  try {
    // An agent that keeps running commands: the budget, not the agent, ends the attempt.
    scenario.model.respond(() => ({ exec: 'echo still investigating' }));
    const ctx = await scenario.context({ 'max-tokens': String(3 * PER_REQUEST) });

    const outcome = await runFix(ctx, { runId: RUN_ID, source: 'workflow_run' });

    expect(outcome.conclusion).toBe('incomplete');
    expect(outcome.failure).toMatch(/stopped by the budget: the run reached max-tokens/);
    expect(outcome.outputs['pr-number']).toBeUndefined();
    expect(scenario.github.createdPulls).toHaveLength(0);
    expect(budgetSummary(ctx.budget, undefined)).toMatch(/\| fix attempts \| \d+ \|/);
  } finally {
    stdout.restore();
    await scenario.close();
  }
}, 180_000);
