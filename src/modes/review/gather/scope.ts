// Decides what a run reviews of a pull request: only what changed since the last fully reviewed commit (through
// the compare API), or the whole diff, and says why when it cannot be incremental.
import type { Repo } from '../../../base/context.js';
import { compareCommits } from '../../../base/github/compare.js';
import type { GitHub } from '../../../base/github/octokit.js';
import { githubErrorInfo } from '../../../base/github/reviews.js';
import type { FileDiff } from './diff.js';
import { selectFiles, type GatheredPull } from './gather.js';
import type { Scope } from '../deliver/status.js';

/** What a run reviews of one pull request. */
export interface PullScope {
  scope: Scope;
  /** The files whose hunks the model sees: the pull request's, or the push's (limited to the pull request's files). */
  reviewFiles: FileDiff[];
  /** The push's changed files (incremental only): what decides whether an earlier finding's code changed. */
  changed: FileDiff[];
}

export interface ScopeOptions {
  /** The `incremental` input. */
  incremental: boolean;
  /** The trigger comment asked for a full review. */
  full: boolean;
  /** The last head commit this action fully reviewed, from the status comment. */
  lastReviewed: string | undefined;
  paths: readonly string[];
  pathsIgnore: readonly string[];
}

/** The scope of the review of `g`; a compare that fails or shows a rewritten history falls back to the full diff. */
export async function decideScope(github: GitHub, repo: Repo, g: GatheredPull, opts: ScopeOptions): Promise<PullScope> {
  const full = (reason?: string): PullScope => ({ scope: reason ? { kind: 'full', reason } : { kind: 'full' }, reviewFiles: g.files, changed: [] });
  const last = opts.lastReviewed;
  const head = g.pr.headSha;
  if (last === undefined) return full();
  if (opts.full) return full('a full review was asked for');
  if (!opts.incremental) return full('incremental is off');
  if (last === head) return full(`\`${short(last)}\` was reviewed before; asked again, it is reviewed in full`);
  let comparison;
  try {
    comparison = await compareCommits(github, repo, last, head);
  } catch (error) {
    return full(`GitHub could not compare \`${short(last)}\` with the new head (${githubErrorInfo(error).message}), so everything is reviewed again`);
  }
  if (comparison.status !== 'ahead') {
    return full(`the last reviewed commit \`${short(last)}\` is not an ancestor of the new head (force-push or rebase), so everything is reviewed again`);
  }
  if (comparison.truncated) return full('the push changes more files than GitHub compares, so everything is reviewed again');
  // Only files the pull request itself changes: a merge of the base branch brings changes that are not the PR's.
  const inPull = new Set(g.files.map((f) => f.path));
  const changed = selectFiles(comparison.files, opts.paths, opts.pathsIgnore).files.filter((f) => inPull.has(f.path));
  return { scope: { kind: 'incremental', from: last }, reviewFiles: changed, changed };
}

function short(sha: string): string {
  return sha.slice(0, 7);
}
