// Loop and trust guards: when fix mode must not act on a failing run at all (checked before any model call).
import { z } from 'zod';
import type { Repo } from '../../base/context.js';
import { ACTIONS_BOT, type GitIdentity } from '../../base/git.js';
import { githubErrorInfo } from '../../base/github/errors.js';
import type { GitHub } from '../../base/github/octokit.js';
import type { FailingRun } from './failing-run.js';
import { type RunOptions } from '../../base/options.js';

/** The inputs the guards read. */
export type GuardInputs = Pick<RunOptions, 'fixBranchPrefix' | 'allowForks' | 'allowUsers' | 'allowBots'>;

// A run that did not fail has nothing to fix; `null` is an in-job run that has not concluded yet. Only 'failure', as
// in plan.ts (mode auto skips every other conclusion of a workflow_run, timed_out included): both paths agree.
const FIXABLE_CONCLUSION = 'failure';
// Collaborator permissions that may push to the repository (maintain is reported as write, role_name says maintain).
const WRITE_PERMISSIONS = new Set(['admin', 'maintain', 'write']);

/**
 * Why the run must be skipped, from what is known about it without asking GitHub; undefined when it may be fixed.
 * A commit made with the identity fixes are committed as (ACTIONS_BOT) is the action's own and never fixed again.
 */
export function staticSkipReason(run: FailingRun, inputs: GuardInputs, repo: Repo): string | undefined {
  if (run.conclusion !== null && run.conclusion !== FIXABLE_CONCLUSION) {
    return `Run ${run.id ?? ''} concluded '${run.conclusion}', not 'failure': there is nothing to fix.`;
  }
  if (run.branch.startsWith(inputs.fixBranchPrefix)) {
    return (
      `The failing branch \`${run.branch}\` starts with the fix branch prefix \`${inputs.fixBranchPrefix}\`: ` +
      'it holds one of this action\'s own fixes, and fixing it again could loop.'
    );
  }
  const author = run.headAuthor;
  if (author && sameIdentity(ACTIONS_BOT, author)) {
    return `The failing commit was made by ${author.name || author.email}, the identity this action commits fixes with: not fixing its own work again.`;
  }
  const ownRepo = `${repo.owner}/${repo.repo}`.toLowerCase();
  if (run.headRepository && run.headRepository.toLowerCase() !== ownRepo && !inputs.allowForks) {
    return (
      `The failing commit comes from the fork ${run.headRepository}. Code from a fork is not run with this ` +
      "repository's credentials unless 'allow-forks: true' is set."
    );
  }
  return undefined;
}

/**
 * Why the run's actor may not trigger a fix, or undefined when they may. Bots only when listed in allow-bots;
 * users in allow-users when it is set, else users with write access to the repository. The actor is the one who
 * started the failing run (see FailingRun.actor): on a re-run, not whoever re-ran it.
 */
export async function actorSkipReason(
  github: GitHub,
  repo: Repo,
  actor: FailingRun['actor'],
  inputs: GuardInputs,
): Promise<string | undefined> {
  if (!actor) return 'The failing run has no known actor, so it cannot be checked against allow-users / allow-bots.';
  const login = actor.login;
  if (isBot(actor)) {
    if (inputs.allowBots.some((b) => sameLogin(b, login))) return undefined;
    return `The failing run was started by the bot ${login}, which is not listed in 'allow-bots'.`;
  }
  if (inputs.allowUsers.length > 0) {
    if (inputs.allowUsers.some((u) => sameLogin(u, login))) return undefined;
    return `The failing run was started by ${login}, who is not listed in 'allow-users'.`;
  }
  let permission: string;
  try {
    const { data } = await github.rest.repos.getCollaboratorPermissionLevel({ ...repo, username: login });
    const parsed = z.object({ permission: z.string(), role_name: z.string().nullish() }).loose().parse(data);
    permission = WRITE_PERMISSIONS.has(parsed.role_name ?? '') ? parsed.role_name! : parsed.permission;
  } catch (error) {
    const status = (error as { status?: unknown }).status;
    if (status === 404) return `The failing run was started by ${login}, who is not a collaborator of ${repo.owner}/${repo.repo}.`;
    if (typeof status === 'number' && status < 500) {
      return `Could not check ${login}'s permission on ${repo.owner}/${repo.repo} (${githubErrorInfo(error).summary}); list trusted users in 'allow-users'.`;
    }
    throw error;
  }
  if (WRITE_PERMISSIONS.has(permission)) return undefined;
  return `The failing run was started by ${login}, who has '${permission}' access; fixes run only for users with write access or listed in 'allow-users'.`;
}

function isBot(actor: { login: string; type: string | undefined }): boolean {
  return actor.type === 'Bot' || /\[bot\]$/i.test(actor.login);
}

// `dependabot` in allow-bots matches the login `dependabot[bot]`.
function sameLogin(listed: string, login: string): boolean {
  const norm = (s: string) => s.toLowerCase().replace(/\[bot\]$/, '');
  return norm(listed) === norm(login);
}

function sameIdentity(bot: GitIdentity, author: GitIdentity): boolean {
  const eq = (a: string, b: string) => a !== '' && a.toLowerCase() === b.toLowerCase();
  return eq(bot.email, author.email) || eq(bot.name, author.name);
}
