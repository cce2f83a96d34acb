// `mode: merge`, the last job of a sharded review (needs: the review matrix, if: always()): downloads the shards'
// artifacts of this run, checks them against the plan it recomputes, and delivers exactly what an unsharded review
// delivers, through the same stages: one review, the status comment finished, the threads of addressed findings
// answered, the gate, outputs and job summary (with a row per shard). A re-run finds its review posted and adds nothing.
import { mkdir, mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunContext } from '../../../base/context.js';
import { log } from '../../../base/log.js';
import { type JobOutcome } from '../../../base/outcome.js';
import { redact } from '../../../base/text/redact.js';
import { deliver, type DeliveredPull, type Prover } from '../deliver/deliver-pull.js';
import { readPosted } from '../deliver/post.js';
import { failedBody, planMarkIn } from '../deliver/status.js';
import { DEFAULT_CHUNK_TOKENS } from '../gather/chunks.js';
import { chunkTasks, readScopedRules } from '../gather/prepare.js';
import { conclude, startNotes } from '../report/conclude.js';
import { jobSummary } from '../report/report.js';
import { writeSarifFile } from '../report/sarif-file.js';
import type { ReviewOptions } from '../run-review.js';
import type { ReviewTarget } from '../target.js';
import { collectShards, type CollectedShard } from './collect.js';
import { mergeShards, shardsSection } from './merged.js';
import { NO_ARTIFACT_SERVICE, planMismatch, ShardPlanError } from './run-shard.js';
import { readShardedPull } from './sharded-pull.js';
import { ZERO_USAGE } from '../agent/forks.js';

/** Merges the shards' results into one review of the pull request. */
export async function runMerge(ctx: RunContext, target: ReviewTarget, options: ReviewOptions = {}): Promise<JobOutcome> {
  const started = Date.now();
  const { inputs, github, repo, secrets } = ctx;
  const planId = inputs.planId!;
  const notes = startNotes(inputs);
  const pull = await readShardedPull(ctx, target, { chunkTokens: options.chunkTokens ?? DEFAULT_CHUNK_TOKENS, statusIntervalMs: options.statusIntervalMs, planned: planId });
  if (pull.kind === 'skipped') {
    const summary = jobSummary({ conclusion: 'skipped', reports: [], skipped: [{ number: pull.number, title: pull.title, reason: pull.reason }], usage: ZERO_USAGE, durationMs: Date.now() - started, notes, secrets });
    return { conclusion: 'skipped', outputs: { conclusion: 'skipped', findings: '[]', 'findings-count': '0', 'review-url': '', 'thread-id': '' }, summary };
  }
  const { g, scoped, plan, mark, self } = pull;
  const pr = g.pr;
  // Only a status comment that still shows this plan is this job's to fail: a newer run (a push) may be writing it.
  const fail = (message: string) =>
    scoped.status.finish((current) =>
      planMarkIn(current)?.planId === planId ? failedBody({ headSha: pr.headSha, message, runUrl: scoped.runUrl, reviewed: scoped.lastReviewed, plan: { planId, base: mark.base } }) : undefined,
    );
  // Nothing is posted for a plan the shards did not work on, nor when what they did cannot be read: no text may say
  // that code was reviewed when this job cannot tell.
  const refused = planMismatch(plan, planId, pr.headSha);
  if (refused || !ctx.artifacts) {
    const message = refused ?? NO_ARTIFACT_SERVICE;
    await fail(message);
    throw new ShardPlanError(message);
  }
  const posted = readPosted(github, repo, pr.number, self);
  posted.catch(() => {}); // awaited by the delivery
  let collected: CollectedShard[];
  try {
    // RUNNER_TEMP exists on a runner; a job started elsewhere may name one not made yet.
    await mkdir(ctx.tempDir, { recursive: true });
    const dir = await mkdtemp(join(ctx.tempDir, 'codex-shards-'));
    const expectations = plan.slices.map((slice, k) => ({
      planId, pr: pr.number, headSha: pr.headSha, shard: { index: k + 1, count: plan.shards }, slice, allPaths: g.allPaths, minSeverity: inputs.minSeverity,
    }));
    collected = await log.group(`Read the results of ${plan.shards} shard(s)`, () => collectShards(ctx.artifacts!, expectations, dir));
  } catch (error) {
    const message =
      `The shards' results could not be read from this workflow run's artifacts (${(error as Error).message}), so nothing was merged. ` +
      'Re-run the merge job; it reads the artifacts of its own workflow run, so it must run in the same run as the shards (needs: the review matrix).';
    await fail(message);
    throw new Error(message, { cause: error });
  }
  const rules = await readScopedRules(pull.rules, scoped);
  const merged = mergeShards(collected, chunkTasks(scoped, rules), inputs);
  for (const c of collected) if (!c.found) notes.push(`${c.why.charAt(0).toUpperCase()}${c.why.slice(1)}.`);
  const prove: Prover = (_pull, fresh) => Promise.resolve({ proofs: new Map(fresh.flatMap((f) => (merged.proofs.has(f.fp) ? [[f.fp, merged.proofs.get(f.fp)!]] : []))), notes: merged.notes });
  const run: DeliveredPull = { ...scoped, fail, plan: mark, ruleNotes: rules.notes };
  // The review's time runs from the first shard's start (the runners' clocks agree closely enough for a summary).
  const from = merged.startedAt !== undefined && merged.startedAt <= started ? merged.startedAt : started;
  const report = await log.group('Post the review', () => deliver(ctx, run, merged.outcomes, self, from, posted, prove));
  options.observe?.([report]);
  const outcome = conclude(ctx, [report], { started: from, notes, skipped: [], usage: merged.usage, baseThreadId: merged.baseThreadIds[0] });
  return {
    ...outcome,
    summary: outcome.summary + redact(shardsSection(merged), secrets),
    outputs: { ...outcome.outputs, 'sarif-file': await writeSarifFile(ctx, [report]) },
  };
}
