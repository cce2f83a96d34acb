// Reads the earlier findings of a pull request (REST comments + GraphQL threads) and carries out thread actions.
import type { Repo } from '../../../base/context.js';
import type { GitHub } from '../../../base/github/octokit.js';
import { githubErrorInfo, listReviewComments } from '../../../base/github/reviews.js';
import { listReviewThreads, replyToReviewComment, resolveReviewThread, type ReviewThread } from '../../../base/github/threads.js';
import { earlierFindings, type EarlierFinding, type ThreadAction } from '../gather/earlier.js';
import { log } from '../../../base/log.js';

/**
 * This action's earlier findings on the pull request. Without the threads (GraphQL refused or failed), nothing is
 * resolved later: a thread that cannot be checked for human replies is never resolved.
 */
export async function readEarlier(github: GitHub, repo: Repo, pullNumber: number, self: string | undefined): Promise<EarlierFinding[]> {
  const comments = await listReviewComments(github, repo, pullNumber);
  let threads: ReviewThread[] | undefined;
  try {
    threads = await listReviewThreads(github, repo, pullNumber);
  } catch (error) {
    log.warning(
      `Could not read the review threads of #${pullNumber} through GraphQL (${githubErrorInfo(error).message}); ` +
        'earlier findings are still shown to the model, but no thread is resolved in this run.',
    );
  }
  return earlierFindings(comments, threads, self);
}

/** How one thread action went. */
export interface ThreadResult {
  action: ThreadAction;
  replied: boolean;
  resolved: boolean;
  error?: string;
}

/** Replies and resolves, one thread after another; a failure is reported and the rest go on. */
export async function applyThreadActions(github: GitHub, repo: Repo, pullNumber: number, actions: readonly ThreadAction[]): Promise<ThreadResult[]> {
  const results: ThreadResult[] = [];
  for (const action of actions) {
    const result: ThreadResult = { action, replied: false, resolved: false };
    try {
      if (action.reply !== '') {
        await replyToReviewComment(github, repo, pullNumber, action.finding.commentId, action.reply);
        result.replied = true;
      }
      if (action.resolve && action.finding.threadId !== undefined) {
        await resolveReviewThread(github, action.finding.threadId);
        result.resolved = true;
      }
    } catch (error) {
      result.error = githubErrorInfo(error).message;
      log.warning(`Could not answer the thread of the earlier finding at ${action.finding.path} on #${pullNumber}: ${result.error}`);
    }
    results.push(result);
  }
  return results;
}
