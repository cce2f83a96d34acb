// Delivers one reviewed pull request: merge its chunks' findings, skip what earlier runs posted, prove suggestions,
// post the review, answer earlier findings' threads, finish the status comment. Never throws.
import type { RunContext } from '../../../base/context.js';
import { githubErrorInfo } from '../../../base/github/reviews.js';
import { location, placeFindings, planPost, type Placement } from './compose.js';
import { planThreadActions } from '../gather/earlier.js';
import { type ChunkOutcome } from '../agent/forks.js';
import { postReview, readPosted, reviewMarkdown, type PostResult } from './post.js';
import { type PullRun, type ScopedPull } from '../gather/prepare.js';
import type { FileDiff } from '../gather/diff.js';
import type { Keyed } from '../keyed.js';
import type { PlanMark } from './status.js';
import { applyThreadActions } from './resolve.js';
import { doneBody } from './status.js';
import { proveSuggestions, withProofs, type ProveResult } from '../check/prove-suggestions.js';
import { type PullReport, reportOf } from '../report/pull-report.js';
import { log } from '../../../base/log.js';


/** What delivery needs of a pull request's run: its scope and status comment (an unsharded run's, or a merge's). */
export type DeliveredPull = ScopedPull & Pick<PullRun, 'fail' | 'ruleNotes'> & { plan?: PlanMark };

/** Proves the suggestions about to be posted in full; a merge uses what its shards proved. */
export type Prover = (pull: { number: number; headSha: string; files: readonly FileDiff[] }, fresh: readonly Keyed[]) => Promise<Pick<ProveResult, 'proofs' | 'notes'>>;

/**
 * Merges a pull request's chunk results, skips what earlier runs posted, posts the review, answers the threads of
 * earlier findings the push addressed, and writes the final status comment.
 * Never throws: a GitHub failure becomes this pull request's post failure, so the rest of a batch still goes out.
 */
export async function deliver(
  ctx: RunContext,
  run: DeliveredPull,
  outcomes: ChunkOutcome[],
  self: string | undefined,
  started: number,
  earlierPosts: ReturnType<typeof readPosted>,
  prove: Prover = (pull, fresh) => proveSuggestions(ctx, pull, fresh),
): Promise<PullReport> {
  const { inputs, github, repo, secrets } = ctx;
  const g = run.g;
  const pr = g.pr;
  const { report, summary, usage } = reportOf(g, outcomes, { ...inputs, ruleNotes: run.ruleNotes });
  report.scope = run.scope;
  report.filesReviewed = run.reviewFiles.length;
  const { notReviewed, leftOut } = report;
  let kept = report.kept;

  let post: PostResult | null = null;
  let newCount = 0;
  try {
    // Inline comments and review bodies of earlier runs both say what was reported; the cap applies after.
    const posted = await earlierPosts;
    const plan = planPost(kept, posted, inputs.maxComments);
    // Suggestions about to be posted in full are checked against the head first (a scratch worktree, never the workspace).
    const proved = await prove({ number: pr.number, headSha: pr.headSha, files: g.files }, plan.fresh);
    plan.fresh = withProofs(plan.fresh, proved.proofs);
    kept = withProofs(kept, proved.proofs);
    report.kept = kept;
    report.verification!.notes.push(...proved.notes);
    newCount = plan.fresh.length + plan.overCap.length;
    if (newCount > 0) {
      post = await postReview(github, repo, {
        pullNumber: pr.number,
        event: inputs.reviewEvent,
        placement: placeFor(run, plan.fresh),
        context: { headSha: pr.headSha, summary, alreadyPosted: plan.alreadyPosted, overCap: plan.overCap, maxComments: inputs.maxComments, notReviewed, leftOut },
        secrets,
        knownReviewIds: posted.reviewIds,
        self,
      });
      if (post.posted) log.info(`#${pr.number}: posted ${post.htmlUrl} (${post.inline} inline, ${newCount - post.inline} in the body).`);
      else if (post.forbidden) log.warning(forbiddenReview(pr.number, post.message));
      else log.warning(`#${pr.number}: the review could not be posted (${post.message}); it is in the job summary instead.`);
    } else {
      log.info(`#${pr.number}: no new findings to post${plan.alreadyPosted > 0 ? ` (${plan.alreadyPosted} already reported)` : ''}.`);
    }

    const threads = await answerAddressed(ctx, run, outcomes);
    const complete = report.chunksOk === report.chunksTotal && (post === null || post.posted);
    await run.status.finish(
      doneBody({
        headSha: pr.headSha,
        summary,
        kept,
        minSeverity: inputs.minSeverity,
        reviewUrl: post?.posted ? post.htmlUrl : undefined,
        newCount,
        notReviewed,
        scope: run.scope,
        files: run.reviewFiles.length,
        chunksOk: report.chunksOk,
        chunksTotal: report.chunksTotal,
        usage,
        durationMs: Date.now() - started,
        runUrl: run.runUrl,
        addressed: threads.addressed,
        stillOpen: threads.stillOpen,
        // Only a complete review moves the mark: the next run then reviews from the last commit really reviewed.
        reviewed: complete ? pr.headSha : run.lastReviewed,
        plan: run.plan,
        leftOut: leftOut.length,
      }),
    );
    return { ...report, newCount, post, addressed: threads.addressed, stillOpen: threads.stillOpen };
  } catch (error) {
    const message = githubErrorInfo(error).summary;
    if (post?.posted) {
      log.warning(`#${pr.number}: the review was posted, but then GitHub failed: ${message}`);
      await run.fail(`the review was posted (${post.htmlUrl}), but then GitHub failed: ${message}`);
      return { ...report, newCount, post };
    }
    log.warning(`#${pr.number}: GitHub failed while posting the review (${message}); it is in the job summary instead.`);
    await run.fail(`GitHub failed while posting the review (${message}); the review is in the job summary of the workflow run.`);
    // What was not posted is every finding, placed as it would have been (earlier runs could not be checked).
    const context = { headSha: pr.headSha, summary, alreadyPosted: 0, overCap: [], maxComments: inputs.maxComments, notReviewed, leftOut };
    const markdown = reviewMarkdown(context, placeFor(run, kept), secrets);
    return { ...report, post: { posted: false, forbidden: false, message, markdown } };
  }
}

/**
 * The log line for a review GitHub refused with 403: besides GitHub's words, why a fork's pull request gets that
 * answer and what to do, so the cause is in the log and not only in the job summary.
 */
export function forbiddenReview(number: number, said: string): string {
  return (
    `#${number}: GitHub refused to post the review. ${said} The whole review is in the job summary instead. ` +
    'On pull_request events GitHub gives pull requests from forks a read-only GITHUB_TOKEN, which cannot post reviews, ' +
    "whatever the workflow's permissions say. To review them, run the review on pull_request_target (it reads the diff " +
    "through the API; never check out and run the pull request's code there) or from a workflow_run workflow; for " +
    "pull requests from branches of this repository, grant 'pull-requests: write' in the workflow's permissions."
  );
}

/**
 * Inline where the pull request's diff shows the line. In an incremental review, LEFT lines are lines of the last
 * reviewed commit, not of the base the pull request's diff shows: those findings go in the body.
 */
function placeFor(run: DeliveredPull, findings: Parameters<typeof placeFindings>[0]): Placement {
  if (run.scope.kind !== 'incremental') return placeFindings(findings, run.g.files);
  const placed = placeFindings(findings.filter((f) => f.side === 'RIGHT'), run.g.files);
  return { inline: placed.inline, outside: [...placed.outside, ...findings.filter((f) => f.side === 'LEFT')] };
}

/**
 * Replies to (and resolves, where allowed) the threads of earlier findings the model says the push addressed and
 * whose code the push changed; returns them, and the earlier findings still open, for the status and the summary.
 */
async function answerAddressed(
  ctx: RunContext,
  run: DeliveredPull,
  outcomes: readonly ChunkOutcome[],
): Promise<{ addressed: NonNullable<PullReport['addressed']>; stillOpen: NonNullable<PullReport['stillOpen']> }> {
  if (run.scope.kind !== 'incremental') return { addressed: [], stillOpen: [] };
  // Only ids the chunk was shown count: a reply cannot name a finding it was never given.
  const said = new Set<string>();
  for (const o of outcomes) {
    if (!o.ok) continue;
    const shown = new Set(o.task.incremental?.earlier.map((e) => e.fp) ?? []);
    for (const fp of o.review.addressed ?? []) if (shown.has(fp)) said.add(fp);
  }
  const actions = planThreadActions(run.earlier, said, run.changed, run.g.pr.headSha, ctx.inputs.resolveThreads);
  const results = await applyThreadActions(ctx.github, ctx.repo, run.g.pr.number, actions);
  const done = new Set(actions.map((a) => a.finding.fp));
  const where = (e: { path: string; line: number | null }) => (e.line === null ? e.path : location({ path: e.path, line: e.line, start_line: null, side: 'RIGHT' }));
  return {
    addressed: results.map((r) => ({ location: where(r.action.finding), title: r.action.finding.title, resolved: r.resolved || (r.action.finding.resolved ?? false) })),
    stillOpen: run.earlier
      .filter((e) => !e.resolved && !done.has(e.fp) && !(said.has(e.fp) && e.answered))
      .map((e) => ({ location: where(e), title: e.title, severity: e.severity })),
  };
}


