// Create-or-update of the one pull request a branch may have, plus the default branch lookup.
import { z } from 'zod';
import type { Repo } from '../context.js';
import type { GitHub } from './octokit.js';
import { log } from '../log.js';

// GitHub's words for the answers this file handles; matched as substrings of the 422 error message.
/** POST /pulls for a head that already has an open pull request into that base. */
export const ERROR_PULL_REQUEST_EXISTS = 'A pull request already exists';
/** Drafts are not available for private repositories on some plans. */
export const ERROR_DRAFTS_NOT_SUPPORTED = 'Draft pull requests are not supported';
/** 403 when the repository (or organization) setting forbids GITHUB_TOKEN to open pull requests. */
export const ERROR_ACTIONS_MAY_NOT_CREATE_PRS = 'GitHub Actions is not permitted to create or approve pull requests';

/** True when `error` is GitHub refusing a pull request because of the repository's Actions settings. */
export function isActionsPullRequestsDisabled(error: unknown): boolean {
  const e = error as { status?: unknown; message?: unknown };
  return e?.status === 403 && String(e.message ?? '').includes(ERROR_ACTIONS_MAY_NOT_CREATE_PRS);
}

const pullSchema = z
  .object({
    number: z.number(),
    html_url: z.string(),
    title: z.string(),
    body: z.string().nullish(),
    draft: z.boolean().nullish(),
    base: z.object({ ref: z.string() }).loose(),
    head: z.object({ ref: z.string(), label: z.string().nullish() }).loose(),
  })
  .loose();

/** A pull request as fix mode reports it. */
export interface PullRequest {
  number: number;
  url: string;
  title: string;
  base: string;
}

/** What to open or update. */
export interface PullRequestSpec {
  /** Branch in `repo` holding the change. */
  head: string;
  base: string;
  title: string;
  body: string;
  draft: boolean;
}

/** The open pull request from `head` (a branch of `repo`), if any. */
export async function findOpenPullRequest(github: GitHub, repo: Repo, head: string): Promise<PullRequest | undefined> {
  const { data } = await github.rest.pulls.list({ ...repo, head: `${repo.owner}:${head}`, state: 'open', per_page: 10 });
  const pull = z.array(pullSchema).parse(data).find((p) => p.head.ref === head);
  return pull && toPullRequest(pull);
}

/**
 * Opens a pull request for `spec.head`, or — when one is already open for that branch — updates its title, body
 * and base, so running twice for the same branch leaves one pull request.
 */
export async function createOrUpdatePullRequest(
  github: GitHub,
  repo: Repo,
  spec: PullRequestSpec,
): Promise<{ pull: PullRequest; created: boolean }> {
  const existing = await findOpenPullRequest(github, repo, spec.head);
  if (existing) return { pull: await updatePullRequest(github, repo, existing.number, spec), created: false };
  try {
    return { pull: await createPullRequest(github, repo, spec, spec.draft), created: true };
  } catch (error) {
    // Another run opened it between our list and create: update that one instead.
    if (!isUnprocessable(error, ERROR_PULL_REQUEST_EXISTS)) throw error;
    const raced = await findOpenPullRequest(github, repo, spec.head);
    if (!raced) throw error;
    return { pull: await updatePullRequest(github, repo, raced.number, spec), created: false };
  }
}

async function createPullRequest(github: GitHub, repo: Repo, spec: PullRequestSpec, draft: boolean): Promise<PullRequest> {
  try {
    const { data } = await github.rest.pulls.create({
      ...repo,
      head: spec.head,
      base: spec.base,
      title: spec.title,
      body: spec.body,
      draft,
      maintainer_can_modify: false,
    });
    return toPullRequest(pullSchema.parse(data));
  } catch (error) {
    if (draft && isUnprocessable(error, ERROR_DRAFTS_NOT_SUPPORTED)) {
      log.warning('This repository does not support draft pull requests; opening a ready-for-review one instead.');
      return createPullRequest(github, repo, spec, false);
    }
    throw error;
  }
}

async function updatePullRequest(github: GitHub, repo: Repo, number: number, spec: PullRequestSpec): Promise<PullRequest> {
  const { data } = await github.rest.pulls.update({
    ...repo,
    pull_number: number,
    title: spec.title,
    body: spec.body,
    base: spec.base,
  });
  return toPullRequest(pullSchema.parse(data));
}

/** The repository's default branch. */
export async function getDefaultBranch(github: GitHub, repo: Repo): Promise<string> {
  const { data } = await github.rest.repos.get({ ...repo });
  return z.object({ default_branch: z.string() }).loose().parse(data).default_branch;
}

function toPullRequest(pull: z.infer<typeof pullSchema>): PullRequest {
  return { number: pull.number, url: pull.html_url, title: pull.title, base: pull.base.ref };
}

/** True for a 422 whose message (or one of its `errors`) contains `text`. */
export function isUnprocessable(error: unknown, text: string): boolean {
  const e = error as { status?: unknown; message?: unknown; response?: { data?: unknown } };
  if (e?.status !== 422) return false;
  const haystack = [String(e.message ?? ''), JSON.stringify(e.response?.data ?? '')].join('\n');
  return haystack.includes(text);
}
