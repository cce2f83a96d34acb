// `mode: review` with `shard: K/N`, one job of a sharded review's matrix: recomputes the plan, refuses another plan,
// reviews only its own chunks (its own base thread, a fork per chunk, verification, suggestions proved) and uploads
// what it found as a workflow artifact for the merge job. It posts nothing on the pull request but its progress line.
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunContext } from '../../../base/context.js';
import type { ArtifactStore } from '../../../base/artifacts/artifact-store.js';
import { log } from '../../../base/log.js';
import type { ShardSpec } from '../../../base/options.js';
import { type JobOutcome } from '../../../base/outcome.js';
import { redact } from '../../../base/text/redact.js';
import { saveThreads } from '../../../base/threads/threads.js';
import { startReviewAgent, type AgentResult, type ReviewAgent } from '../agent/agent.js';
import { addUsage, ZERO_USAGE, type ChunkOutcome, type TokenUsage } from '../agent/forks.js';
import { setupPrompt } from '../agent/prompts.js';
import { proveSuggestions } from '../check/prove-suggestions.js';
import { planMarkIn } from '../deliver/status.js';
import { DEFAULT_CHUNK_TOKENS } from '../gather/chunks.js';
import { readConventions, type ConventionFile } from '../gather/conventions.js';
import { chunkTasks, readScopedRules } from '../gather/prepare.js';
import { readUserPrompt } from '../gather/user-prompt.js';
import { reportOf } from '../report/pull-report.js';
import type { ReviewOptions } from '../run-review.js';
import type { ReviewTarget } from '../target.js';
import { shardName, type ShardPlan } from './shard-plan.js';
import { SHARD_RESULT_FILE, shardArtifactName, shardResultOf, type ShardWork } from './shard-result.js';
import { withShardLine, type ShardLine } from './shard-status.js';
import { readShardedPull } from './sharded-pull.js';

/** A job of a sharded review cannot work on the plan it was given. */
export class ShardPlanError extends Error {
  override name = 'ShardPlanError';
}

export const NO_ARTIFACT_SERVICE =
  "The jobs of a sharded review hand their results over as workflow artifacts, but the runner gave this step no artifact service (ACTIONS_RESULTS_URL and ACTIONS_RUNTIME_TOKEN): run 'shard' and 'mode: merge' as jobs of a GitHub Actions workflow.";

/**
 * Why a job given `planId` cannot work on `plan`, in words that say what to do; undefined when it can. The plan-id
 * digests the head, the chunks and the inputs that decide them, so a push since the plan job, or other inputs in this
 * job, give another one.
 */
export function planMismatch(plan: ShardPlan, planId: string, headSha: string, spec?: ShardSpec): string | undefined {
  if (plan.planId !== planId) {
    return (
      `This job was given plan-id ${planId.slice(0, 12)}…, but the pull request at its head \`${headSha.slice(0, 7)}\` now plans as ` +
      `${plan.planId.slice(0, 12)}…: it was pushed to since the plan job ran, or this job's inputs that decide the chunks (paths, paths-ignore, ` +
      'min-severity, max-shards, chunks-per-shard) differ from the plan job\'s. Give the plan, review and merge jobs the same inputs; a push starts a new review of the new head.'
    );
  }
  if (spec && spec.count !== plan.shards) {
    return `This job is ${shardName(spec)}, but the plan has ${plan.shards} shard(s): pass the plan job's matrix output to strategy.matrix (shard: \${{ matrix.shard }}).`;
  }
  return undefined;
}

/** Reviews this job's shard and uploads its results; throws (after uploading the failure) when it cannot. */
export async function runShard(ctx: RunContext, target: ReviewTarget, options: ReviewOptions = {}): Promise<JobOutcome> {
  const startedAt = Date.now();
  const { inputs, github, repo, secrets } = ctx;
  const spec = inputs.shard!;
  const planId = inputs.planId!;
  const store = ctx.artifacts;
  if (!store) throw new ShardPlanError(NO_ARTIFACT_SERVICE);
  const number = target.prNumbers[0]!;
  const name = shardArtifactName(number, spec, planId, Number(ctx.env.GITHUB_RUN_ATTEMPT ?? '1') || 1);
  let agent: ReviewAgent | undefined;
  let conventions: Promise<ConventionFile[]> | undefined;
  let uploaded = false;
  let headSha: string | undefined;
  // Once this shard's line is on the status comment, a failure shows there too.
  let showFailure: ((why: string) => Promise<void>) | undefined;
  const upload = async (work: ShardWork) => {
    uploaded = true;
    await uploadResult(ctx, store, name, work);
  };
  const failureWork = (failure: string): ShardWork => ({
    planId, pr: number, headSha, shard: spec, slice: [], outcomes: [], proofs: new Map(), notes: [],
    baseUsage: ZERO_USAGE, totalUsage: ZERO_USAGE, baseThreadId: undefined, startedAt, durationMs: Date.now() - startedAt, failure,
  });
  try {
    const pull = await readShardedPull(ctx, target, {
      chunkTokens: options.chunkTokens ?? DEFAULT_CHUNK_TOKENS,
      statusIntervalMs: options.statusIntervalMs,
      planned: planId,
      // The app-server and the conventions need only the pull request: they start while its files are read.
      onOpen: (pr) => {
        agent = startReviewAgent(ctx);
        conventions = readConventions(github, repo, pr.baseSha);
        conventions.catch(() => {}); // awaited below, when there are chunks to review
      },
    });
    if (pull.kind === 'skipped') {
      return { conclusion: 'skipped', outputs: {}, summary: `## Codex review: ${shardName(spec)}\n\n#${number} is not reviewed: ${redact(pull.reason, secrets)}.\n` };
    }
    const { g, scoped, plan } = pull;
    headSha = g.pr.headSha;
    const refused = planMismatch(plan, planId, g.pr.headSha, spec);
    if (refused) {
      await upload(failureWork(`${shardName(spec)} refused to run: ${refused}`));
      throw new ShardPlanError(refused);
    }
    const slice = plan.slices[spec.index - 1]!;
    const tasks = chunkTasks(scoped, await readScopedRules(pull.rules, scoped), undefined, slice);
    log.info(`#${number}: ${shardName(spec)} reviews ${tasks.length} of ${scoped.chunks.length} chunk(s).`);

    // Progress: this shard's line of the status comment, edited in the comment as it is then (the other shards edit theirs).
    const line: ShardLine = { spec, slice, done: 0, failed: 0, state: 'running' };
    const ours = (current: string) => (planMarkIn(current)?.planId === planId ? withShardLine(current, { ...line }) : undefined);
    scoped.status.update(ours);
    showFailure = (why) => {
      Object.assign(line, { state: 'failed', note: why });
      return scoped.status.finish(ours);
    };

    const notes: string[] = [];
    let result: AgentResult = { ok: true, threadId: '', usage: ZERO_USAGE, outcomes: [], staged: [] };
    if (tasks.length > 0) {
      const files = await conventions!;
      const userPrompt = await readUserPrompt(ctx, [g], notes);
      result = await agent!.run({
        tasks,
        setup: setupPrompt({ repo, baseRef: g.pr.baseRef, baseSha: g.pr.baseSha, conventions: files, userPrompt }),
        conventions: files.map((c) => c.path),
        onChunkDone: (o) => {
          if (o.ok) line.done++;
          else line.failed++;
          scoped.status.update(ours);
        },
      });
    }
    // The app-server closes meanwhile (run() started it); the finally awaits it.
    const failure = result.ok ? undefined : result.error;
    // Stored before the merge posts the comments that name them, as an unsharded review stores them before it posts.
    if (result.ok) await saveThreads(ctx.threadStore, result.staged);

    // Suggestions are proved here, where the checkout is: every reported one, since which of them the merge posts in
    // full (max-comments, findings already posted) is decided only there.
    const { report } = reportOf(g, result.outcomes, inputs);
    const proved = await proveSuggestions(ctx, { number, headSha: g.pr.headSha, files: g.files }, report.kept);
    const chunkUsage = result.outcomes.reduce((u, o) => addUsage(u, o.usage), ZERO_USAGE);
    const work: ShardWork = {
      planId, pr: number, headSha: g.pr.headSha, shard: spec, slice, outcomes: result.outcomes, proofs: proved.proofs,
      notes: proved.notes,
      baseUsage: minus(result.usage, chunkUsage), totalUsage: result.usage, baseThreadId: result.threadId,
      startedAt, durationMs: Date.now() - startedAt, failure: failure && `${shardName(spec)} failed: ${failure}`,
    };
    await upload(work);

    if (failure) await showFailure(failure);
    else {
      line.state = 'done';
      await scoped.status.finish(ours);
    }
    return shardOutcome(work, name, report.kept.length, report.failedChunks, secrets);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (!uploaded) {
      // The merge learns why this shard's chunks are missing instead of finding nothing.
      await upload(failureWork(`${shardName(spec)} failed: ${message}`)).catch((e: unknown) =>
        log.warning(`Could not upload the failure of ${shardName(spec)}: ${(e as Error).message}`),
      );
    }
    await showFailure?.(message);
    throw error;
  } finally {
    await agent?.close().catch(() => {});
  }
}

/** Writes the shard's JSON and uploads it as the artifact `name`. */
async function uploadResult(ctx: RunContext, store: ArtifactStore, name: string, work: ShardWork): Promise<void> {
  // RUNNER_TEMP exists on a runner; a job started elsewhere may name one not made yet.
  await mkdir(ctx.tempDir, { recursive: true });
  const dir = await mkdtemp(join(ctx.tempDir, 'codex-shard-'));
  const file = join(dir, SHARD_RESULT_FILE);
  await writeFile(file, redact(JSON.stringify(shardResultOf(work)), ctx.secrets));
  try {
    const id = await store.upload(name, file);
    log.info(`Uploaded the results of ${shardName(work.shard)} as the workflow artifact ${name} (id ${id}).`);
  } catch (error) {
    throw new Error(
      `Could not upload the results of ${shardName(work.shard)} as the workflow artifact ${name}: ${(error as Error).message}. ` +
        'The merge job reports this shard\'s chunks as not reviewed; re-run this job.',
      { cause: error },
    );
  }
}

function minus(a: TokenUsage, b: TokenUsage): TokenUsage {
  return {
    inputTokens: Math.max(0, a.inputTokens - b.inputTokens),
    cachedInputTokens: Math.max(0, a.cachedInputTokens - b.cachedInputTokens),
    outputTokens: Math.max(0, a.outputTokens - b.outputTokens),
  };
}

/** The shard's own report: what it reviewed and uploaded; the review itself is the merge job's. */
function shardOutcome(work: ShardWork, artifact: string, findings: number, failedChunks: readonly string[], secrets: readonly string[]): JobOutcome {
  const ok = work.outcomes.filter((o) => o.ok).length;
  const conclusion = work.failure ? 'failure' : failedChunks.length > 0 ? 'incomplete' : findings > 0 ? 'findings' : 'success';
  const u = work.totalUsage;
  const rows = work.outcomes.map((o: ChunkOutcome) => {
    const files = o.task.chunk.paths.map((p) => `\`${p}\``).join(', ');
    return `| ${o.task.chunk.index} | ${files} | ${o.ok ? `${o.review.findings.length} finding(s)` : `not reviewed: ${o.error.replace(/\|/g, '\\|')}`} |`;
  });
  const summary = [
    `## Codex review: ${shardName(work.shard)}`,
    '',
    `**Conclusion:** ${conclusion} · **Chunks reviewed:** ${ok} of ${work.slice.length} · **Findings** (at or above min-severity, verified): ${findings} · ` +
      `**Tokens:** ${u.inputTokens} input (${u.cachedInputTokens} cached), ${u.outputTokens} output, of which the base thread ${work.baseUsage.inputTokens} input · ` +
      `**Time:** ${(work.durationMs / 1000).toFixed(1)} s`,
    '',
    `The merge job posts the review; this shard's results are the workflow artifact \`${artifact}\`.`,
    ...(work.failure ? ['', `> ${work.failure}`] : []),
    ...(rows.length > 0 ? ['', '| Chunk | Files | Result |', '| --- | --- | --- |', ...rows] : []),
  ].join('\n');
  return {
    conclusion,
    outputs: { conclusion, 'findings-count': String(findings), 'thread-id': work.baseThreadId ?? '' },
    summary: redact(summary, secrets),
    usage: u,
    ...(work.failure ? { failure: `${work.failure} Its results were uploaded; the merge job names the files it did not review.` } : {}),
  };
}
