// Delivers a committed-to-be change: a pull request from a fix branch, a push onto the failing branch, or a patch file;
// a refusal is quoted in the remote's own words.
import { z } from 'zod';
import type { RunContext } from '../../base/context.js';
import { ACTIONS_BOT, gitAuthEnv, GitError, type CommitInfo, type Git } from '../../base/git.js';
import {
  createOrUpdatePullRequest,
  getDefaultBranch,
  isActionsPullRequestsDisabled,
} from '../../base/github/pull-requests.js';
import { redact } from '../../base/text/redact.js';
import { githubErrorInfo } from '../../base/github/errors.js';
import { runKey, type FailingRun } from './failing-run.js';
import { gitWords, pushHint } from './remote-words.js';
import type { DeliveryReport } from './report.js';
import { writePatch } from './saved-patch.js';
import { log } from '../../base/log.js';

/** What to deliver: the staged change on top of `baseSha`, and the words that go with it. */
export interface DeliveryPlan {
  run: FailingRun;
  /** The commit the change applies to (the workspace HEAD the agent started from). */
  baseSha: string;
  verified: boolean;
  /** `git diff --cached --binary baseSha`. */
  diff: string;
  commitMessage: string;
  title: string;
  body: string;
}

/** The fix could not be delivered; the message says what failed, quotes what the remote said, and what to do. */
export class DeliveryError extends Error {
  /** The fix branch, when it was pushed before the failure. */
  readonly pushedBranch: string | undefined;
  /** What failed, in one sentence. */
  readonly headline: string;
  /** The remote's own words (git's stderr, GitHub's answer), quoted as they came (secrets redacted). */
  readonly remote: string | undefined;
  /** What to do, only where the remote's words say why. */
  readonly hint: string | undefined;

  constructor(headline: string, options: { cause?: unknown; pushedBranch?: string; remote?: string; hint?: string } = {}) {
    const remote = options.remote ? `\n${options.remote.split('\n').map((l) => `  ${l}`).join('\n')}` : '';
    super(`${headline}${remote}${options.hint ? `\n${options.hint}` : ''}`, { cause: options.cause });
    this.name = 'DeliveryError';
    this.headline = headline;
    this.pushedBranch = options.pushedBranch;
    this.remote = options.remote;
    this.hint = options.hint;
  }
}

const REMOTE = 'origin';

/** `<prefix><failing-branch>-<run-id>`: fixed per failing run, so handling the same run again updates one branch. */
export function fixBranchName(prefix: string, run: Pick<FailingRun, 'branch' | 'id' | 'sha'>): string {
  return `${prefix}${run.branch}-${runKey(run)}`;
}

/**
 * Why an existing fix branch whose tip is `tipSha` must not be overwritten, or undefined when it holds one of this
 * action's own fixes of `baseSha` (one commit made as the bot on that parent: a previous handling of the same run).
 * Anything else — someone's commit on top, a branch of that name made by hand — is left alone.
 */
export function overwriteRefusal(branch: string, tipSha: string, tip: CommitInfo | undefined, baseSha: string): string | undefined {
  const tip12 = tipSha.slice(0, 12);
  if (!tip) return `The fix branch \`${branch}\` moved while it was being read (its tip ${tip12} could not be fetched). Re-run this job.`;
  const isBot = (who: { email: string }) => who.email.toLowerCase() === ACTIONS_BOT.email.toLowerCase();
  const onBase = tip.parents.length === 1 && tip.parents[0] === baseSha;
  if (isBot(tip.author) && isBot(tip.committer) && onBase) return undefined;
  const by = isBot(tip.author) ? (isBot(tip.committer) ? undefined : tip.committer) : tip.author;
  const what = by ? `made by ${by.name} <${by.email}>` : `not a fix of the failing commit ${baseSha.slice(0, 12)}`;
  return (
    `The fix branch \`${branch}\` has commits from someone else (its tip ${tip12} was ${what}) and was not overwritten. ` +
    'Merge or delete that branch, then re-run this job.'
  );
}

/**
 * Why `fix-delivery: push` may not push onto the failing branch (it is the default branch), or undefined.
 * Checked before the agent runs, so a refused push costs no model time.
 */
export async function pushRefusal(ctx: RunContext, run: FailingRun): Promise<string | undefined> {
  const fromPayload = z
    .object({ repository: z.object({ default_branch: z.string() }).loose() })
    .loose()
    .safeParse(ctx.event.payload);
  const defaultBranch = fromPayload.success
    ? fromPayload.data.repository.default_branch
    : await getDefaultBranch(ctx.github, ctx.repo);
  if (run.branch !== defaultBranch) return undefined;
  return (
    `'fix-delivery: push' would commit straight onto \`${run.branch}\`, the repository's default branch. ` +
    "Fixes for the default branch go through a pull request: use 'fix-delivery: pull-request'."
  );
}

/** Delivers the staged change as `ctx.inputs.fixDelivery` says; an unverified change only with open-unverified. */
export async function deliver(ctx: RunContext, git: Git, plan: DeliveryPlan): Promise<DeliveryReport> {
  const { inputs } = ctx;
  if (inputs.fixDelivery === 'patch') {
    // A patch is not applied anywhere by itself: it is written even when unverified, for a later job to judge.
    return { kind: 'patch', path: await writePatch(ctx.tempDir, plan.run, plan.diff) };
  }
  if (!plan.verified && !inputs.openUnverified) {
    return {
      kind: 'none',
      reason:
        'Nothing was pushed: the test command still fails with the change. ' +
        "Set 'open-unverified: true' to get a draft pull request marked [unverified] in such cases.",
    };
  }
  const remoteUrl = await git.remoteUrl(REMOTE);
  // The token reaches only the git processes that talk to the remote, through their environment.
  const auth = gitAuthEnv(remoteUrl, ctx.githubToken);
  const sha = await git.commitIndex(plan.baseSha, plan.commitMessage, ACTIONS_BOT);
  if (inputs.fixDelivery === 'push') {
    try {
      await git.push(REMOTE, sha, plan.run.branch, { auth });
    } catch (error) {
      if (!(error instanceof GitError)) throw error;
      throw new DeliveryError(`Could not push the fix onto \`${plan.run.branch}\`; git said:`, {
        cause: error,
        remote: gitWords(error.stderr, ctx.secrets),
        hint: pushHint(error.stderr, { branch: plan.run.branch, onto: 'failing-branch' }),
      });
    }
    return { kind: 'push', branch: plan.run.branch, sha };
  }

  const branch = fixBranchName(inputs.fixBranchPrefix, plan.run);
  let refusal: string | undefined;
  try {
    // A previous handling of this run left its fix there: that is replaced. Anyone else's commits are not.
    const current = await git.remoteBranchSha(REMOTE, branch, auth);
    if (current !== undefined) {
      await git.fetchBranchTip(REMOTE, branch, auth);
      refusal = overwriteRefusal(branch, current, await git.commitInfo(current), plan.baseSha);
    }
    // The lease (on what the branch held when it was checked) stops a push that races another one.
    if (!refusal) await git.push(REMOTE, sha, branch, { expect: current ?? null, auth });
  } catch (error) {
    if (!(error instanceof GitError)) throw error;
    throw new DeliveryError(`Could not push the fix branch \`${branch}\`; git said:`, {
      cause: error,
      remote: gitWords(error.stderr, ctx.secrets),
      hint: pushHint(error.stderr, { branch, onto: 'fix-branch' }),
    });
  }
  if (refusal) throw new DeliveryError(refusal);
  log.info(`Pushed ${sha} to ${branch}.`);
  let opened: Awaited<ReturnType<typeof createOrUpdatePullRequest>>;
  try {
    opened = await createOrUpdatePullRequest(ctx.github, ctx.repo, {
      head: branch,
      base: inputs.baseBranch ?? plan.run.branch,
      title: redact(plan.title, ctx.secrets),
      body: redact(plan.body, ctx.secrets),
      // An unverified fix is never ready for review.
      draft: plan.verified ? inputs.draft : true,
    });
  } catch (error) {
    throw pullRequestRefused(error, branch, ctx.secrets);
  }
  const { pull, created } = opened;
  log.info(`${created ? 'Opened' : 'Updated'} pull request #${pull.number}: ${pull.url}`);
  return { kind: 'pull-request', url: pull.url, number: pull.number, created, branch };
}

/** GitHub's refusal to open or update the pull request, in its words; the branch is already pushed. */
function pullRequestRefused(error: unknown, branch: string, secrets: readonly string[]): DeliveryError {
  const refusal = githubErrorInfo(error);
  const headline = `The fix is on branch \`${branch}\`, but the pull request could not be opened`;
  if (refusal.status === undefined) {
    const cause = error instanceof Error ? error.message : String(error);
    return new DeliveryError(`${headline}: ${redact(cause, secrets)}`, { cause: error, pushedBranch: branch });
  }
  let hint: string | undefined;
  if (isActionsPullRequestsDisabled(error)) {
    hint =
      "Enable 'Allow GitHub Actions to create and approve pull requests' in the repository's Actions settings, " +
      "or pass a GitHub App token as 'github-token'.";
  } else if (refusal.acceptedPermissions) {
    hint = `GitHub says this request needs the token permission(s): ${refusal.acceptedPermissions}.`;
  }
  return new DeliveryError(`${headline}; GitHub answered ${refusal.status}${refusal.request ? ` to ${refusal.request}` : ''}:`, {
    cause: error,
    pushedBranch: branch,
    remote: redact(refusal.said, secrets),
    hint,
  });
}
