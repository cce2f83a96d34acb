// `mode: plan`, the first job of a sharded review: reads the pull request as a review would, chunks it with the
// review's own chunker, splits the chunks into shards and says so in the status comment. No model, no codex.
import type { RunContext } from '../../../base/context.js';
import { reactToIssueComment } from '../../../base/github/comments.js';
import { githubErrorInfo } from '../../../base/github/reviews.js';
import { log } from '../../../base/log.js';
import { type JobOutcome } from '../../../base/outcome.js';
import { redact } from '../../../base/text/redact.js';
import { DEFAULT_CHUNK_TOKENS } from '../gather/chunks.js';
import type { ReviewOptions } from '../run-review.js';
import type { ReviewTarget } from '../target.js';
import { matrixOf } from './shard-plan.js';
import { plannedBody, waitingLines } from './shard-status.js';
import { readShardedPull } from './sharded-pull.js';

/** Plans the shards of one pull request's review; the outputs `matrix` and `plan-id` drive the later jobs. */
export async function runPlan(ctx: RunContext, target: ReviewTarget, options: ReviewOptions = {}): Promise<JobOutcome> {
  const { github, repo, secrets, inputs } = ctx;
  // The person who asked in a comment learns at once that it was heard (the plan is the first job to run).
  if (target.triggerCommentId !== undefined) {
    await reactToIssueComment(github, repo, target.triggerCommentId, 'eyes').catch((error: unknown) =>
      log.warning(`Could not react to the triggering comment: ${githubErrorInfo(error).message}`),
    );
  }
  const pull = await readShardedPull(ctx, target, { chunkTokens: options.chunkTokens ?? DEFAULT_CHUNK_TOKENS, statusIntervalMs: options.statusIntervalMs });
  if (pull.kind === 'skipped') {
    // One shard still: GitHub refuses an empty matrix, and every later job skips the pull request the same way.
    const summary = `## Codex review plan\n\n#${pull.number}${pull.title ? ` ${pull.title}` : ''} is not reviewed: ${pull.reason}.\n`;
    return { conclusion: 'skipped', outputs: { matrix: matrixOf(1), 'plan-id': pull.planId }, summary: redact(summary, secrets) };
  }
  const { g, scoped, plan, mark } = pull;
  await scoped.status.show(
    plannedBody({
      headSha: g.pr.headSha,
      scope: scoped.scope,
      files: scoped.reviewFiles.length,
      chunks: scoped.chunks.length,
      shards: waitingLines(plan.slices),
      runUrl: scoped.runUrl,
      reviewed: scoped.lastReviewed,
      plan: mark,
    }),
  );
  const rows = plan.slices.map((slice, k) => {
    const files = [...new Set(slice.flatMap((c) => c.paths))];
    const range = slice.length === 0 ? '–' : `${slice[0]!.index}–${slice.at(-1)!.index}`;
    return `| ${k + 1} of ${plan.shards} | ${range} | ${slice.length} | ${files.length} | ${slice.reduce((n, c) => n + c.tokens, 0)} |`;
  });
  const summary = [
    '## Codex review plan',
    '',
    `#${g.pr.number} at \`${g.pr.headSha.slice(0, 12)}\`: ${scoped.chunks.length} chunk(s) of ${scoped.reviewFiles.length} file(s) in ` +
      `**${plan.shards} shard(s)** (chunks-per-shard ${inputs.chunksPerShard}, max-shards ${inputs.maxShards}) · plan-id \`${plan.planId}\``,
    '',
    '| Shard | Chunks | Count | Files | Diff tokens (estimated) |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
  return { conclusion: 'planned', outputs: { matrix: matrixOf(plan.shards), 'plan-id': plan.planId }, summary: redact(summary, secrets) };
}
