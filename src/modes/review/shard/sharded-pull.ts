// What every job of a sharded review reads first, the same way: the pull request, its scope and chunks (as an
// unsharded review decides them, gather/prepare.ts scopePull) and the plan that splits the chunks into shards.
import type { RunContext } from '../../../base/context.js';
import type { PullRequest } from '../../../base/github/pulls.js';
import { tokenLogin } from '../../../base/github/reviews.js';
import { log } from '../../../base/log.js';
import { lastReviewedIn, planMarkIn, type PlanMark } from '../deliver/status.js';
import { readPull, readPullFiles, type GatheredPull } from '../gather/gather.js';
import { scopePull, type ScopedPull } from '../gather/prepare.js';
import type { ReviewTarget } from '../target.js';
import { RuleReader } from '../../../base/rules/rule-reader.js';
import { githubRuleTree } from '../../../base/rules/rule-tree.js';
import { planShards, skippedPlanId, type ShardPlan } from './shard-plan.js';

/** A sharded job's pull request with its scope and plan, or why it is not reviewed (every job skips it alike). */
export type ShardedPull =
  | { kind: 'skipped'; number: number; title: string | undefined; reason: string; planId: string }
  | { kind: 'review'; g: GatheredPull; self: string | undefined; scoped: ScopedPull; plan: ShardPlan; mark: PlanMark; rules: RuleReader };

export interface ShardedPullOptions {
  chunkTokens: number;
  statusIntervalMs?: number | undefined;
  /**
   * The plan-id a shard or the merge was given: its scope is decided from the commit that plan recorded in the status
   * comment (a merge re-run finds the reviewed mark already moved). The plan job itself passes none.
   */
  planned?: string | undefined;
  /** Called once the pull request is known to be reviewed, before its files are read (to start codex meanwhile). */
  onOpen?: (pr: PullRequest) => void;
}

/** Reads one pull request and plans its shards; writes nothing. */
export async function readShardedPull(ctx: RunContext, target: ReviewTarget, opts: ShardedPullOptions): Promise<ShardedPull> {
  const { github, repo, inputs } = ctx;
  const number = target.prNumbers[0]!;
  const gatherOptions = { explicit: target.explicit, paths: inputs.paths, pathsIgnore: inputs.pathsIgnore };
  const head = await readPull(github, repo, number, gatherOptions);
  if (head.kind === 'skipped') {
    log.info(`#${number}: skipped, ${head.reason}.`);
    return { kind: 'skipped', number, title: head.pr?.title, reason: head.reason, planId: skippedPlanId(number, head.reason) };
  }
  opts.onOpen?.(head.pr);
  const [g, self] = await Promise.all([readPullFiles(github, repo, head.pr, gatherOptions), tokenLogin(github)]);
  if (g.files.length === 0) {
    const reason = g.skipped.length > 0 ? `no reviewable files (${g.skipped.length} skipped)` : 'no changed files';
    log.info(`#${number}: ${reason}.`);
    return { kind: 'skipped', number, title: g.pr.title, reason, planId: skippedPlanId(number, reason) };
  }
  const planned = opts.planned;
  // The nested rules decide the chunking (files under the same rules stay together), so every job reads them alike.
  const rules = new RuleReader(githubRuleTree(github, repo));
  const scoped = await scopePull(ctx, g, {
    rules,
    self,
    chunkTokens: opts.chunkTokens,
    full: target.full === true,
    statusIntervalMs: opts.statusIntervalMs,
    ...(planned ? { scopeBase: (body: string) => plannedBase(body, planned) } : {}),
  });
  const plan = planShards(
    { number, headSha: g.pr.headSha, scopeBase: scoped.scopeBase, chunks: scoped.chunks },
    {
      maxShards: inputs.maxShards,
      chunksPerShard: inputs.chunksPerShard,
      chunkTokens: opts.chunkTokens,
      paths: inputs.paths,
      pathsIgnore: inputs.pathsIgnore,
      minSeverity: inputs.minSeverity,
    },
  );
  log.info(`#${number}: ${scoped.chunks.length} chunk(s) of ${scoped.reviewFiles.length} file(s) in ${plan.shards} shard(s); plan-id ${plan.planId}.`);
  return { kind: 'review', g, self, scoped, plan, mark: { planId: plan.planId, base: scoped.scopeBase }, rules };
}

/** The commit the plan `planId` decided its scope from, when the status comment records it; else the reviewed mark. */
function plannedBase(body: string, planId: string): string | undefined {
  const mark = planMarkIn(body);
  return mark?.planId === planId ? mark.base : lastReviewedIn(body);
}
