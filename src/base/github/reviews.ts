// Pull request reviews and review comments: what was already posted, and posting one review.
import { z } from 'zod';
import type { Repo } from '../context.js';
import { githubErrorInfo, type GitHubErrorInfo } from './errors.js';
import type { GitHub } from './octokit.js';
import { log } from '../log.js';

// Callers read GitHub errors through the one helper in errors.ts; re-exported where it used to live.
export { githubErrorInfo, type GitHubErrorInfo } from './errors.js';

/** GitHub refuses REQUEST_CHANGES on a pull request opened by the token's own user with this message. */
export const OWN_PULL_REQUEST_ERROR = 'Can not request changes on your own pull request';

/** An inline comment of a review. */
export interface ReviewComment {
  path: string;
  body: string;
  line: number;
  side: 'RIGHT' | 'LEFT';
  start_line?: number;
  start_side?: 'RIGHT' | 'LEFT';
}

/** A review to post. `event` is never APPROVE: this action only comments or requests changes. */
export interface NewReview {
  pullNumber: number;
  commitId: string;
  event: 'COMMENT' | 'REQUEST_CHANGES';
  body: string;
  comments: ReviewComment[];
}

const userSchema = z.object({ login: z.string(), type: z.string().optional() }).nullable().optional();

/** Who wrote a comment or review (null for a deleted account). */
export type Author = { login: string; type?: string | undefined } | null;

const reviewCommentSchema = z.array(
  z.object({
    id: z.number(),
    body: z.string().nullable().optional(),
    path: z.string().optional(),
    line: z.number().nullable().optional(),
    side: z.string().nullable().optional(),
    in_reply_to_id: z.number().optional(),
    user: userSchema,
  }),
);

/** A review comment as the list API gives it: `line` is mapped onto the latest commit, null once outdated. */
export interface PostedReviewComment {
  id: number;
  body: string;
  path: string | undefined;
  line: number | null;
  side: string | undefined;
  /** Set on a reply: the id of the thread's first comment. */
  inReplyTo: number | undefined;
  user: Author;
}

/** Every review comment on the pull request (all pages). */
export async function listReviewComments(github: GitHub, repo: Repo, pullNumber: number): Promise<PostedReviewComment[]> {
  const raw = await github.paginate(github.rest.pulls.listReviewComments, { ...repo, pull_number: pullNumber, per_page: 100 });
  return reviewCommentSchema.parse(raw).map((c) => ({
    id: c.id,
    body: c.body ?? '',
    path: c.path,
    line: c.line ?? null,
    side: c.side ?? undefined,
    inReplyTo: c.in_reply_to_id,
    user: c.user ?? null,
  }));
}

const reviewSchema = z.array(
  z.object({
    id: z.number(),
    body: z.string().nullable().optional(),
    html_url: z.string().optional(),
    commit_id: z.string().nullable().optional(),
    state: z.string().optional(),
    user: userSchema,
  }),
);

/** A review of the pull request. */
export interface PostedReview {
  id: number;
  body: string;
  htmlUrl: string;
  commitId: string | null;
  state: string | undefined;
  user: Author;
}

/** Every review on the pull request (all pages). */
export async function listReviews(github: GitHub, repo: Repo, pullNumber: number): Promise<PostedReview[]> {
  const raw = await github.paginate(github.rest.pulls.listReviews, { ...repo, pull_number: pullNumber, per_page: 100 });
  return reviewSchema.parse(raw).map((r) => ({
    id: r.id,
    body: r.body ?? '',
    htmlUrl: r.html_url ?? '',
    commitId: r.commit_id ?? null,
    state: r.state,
    user: r.user ?? null,
  }));
}

/**
 * The login the token acts as, when GitHub tells (a personal access token); undefined for GITHUB_TOKEN and app
 * tokens, which may not read /user — their comments are written by a Bot account anyway.
 */
export async function tokenLogin(github: GitHub): Promise<string | undefined> {
  try {
    const { data } = await github.rest.users.getAuthenticated({ request: { retries: 0 } });
    return z.object({ login: z.string() }).parse(data).login;
  } catch (error) {
    const info = githubErrorInfo(error);
    // 401/403/404 is what those tokens get: expected. Anything else is GitHub failing, and worth saying, since a
    // personal token's own earlier comments then go unrecognised.
    if (info.status !== 401 && info.status !== 403 && info.status !== 404) {
      log.warning(`Could not tell which user the token acts as (${info.summary}); comments a personal access token posted before may be repeated.`);
    }
    return undefined;
  }
}

/**
 * Posts one review with its inline comments; returns its web address. GitHub's answer is final: no automatic retry,
 * since a 5xx may come after the review was created (the caller checks before submitting again).
 */
export async function createReview(github: GitHub, repo: Repo, review: NewReview): Promise<{ id: number; htmlUrl: string }> {
  const { data } = await github.rest.pulls.createReview({
    ...repo,
    pull_number: review.pullNumber,
    commit_id: review.commitId,
    event: review.event,
    body: review.body,
    comments: review.comments,
    request: { retries: 0 },
  });
  const parsed = z.object({ id: z.number(), html_url: z.string() }).parse(data);
  return { id: parsed.id, htmlUrl: parsed.html_url };
}

/**
 * Checks whether GitHub accepts these inline comments without showing anything to anyone: creates a PENDING review
 * (no event; only its author sees it) and deletes it again. Resolves true when accepted, false on GitHub's 422
 * for the comments; throws on anything else (including a pending review that could not be deleted).
 */
export async function probeComments(github: GitHub, repo: Repo, pullNumber: number, commitId: string, comments: ReviewComment[]): Promise<boolean> {
  let id: number;
  try {
    const { data } = await github.rest.pulls.createReview({
      ...repo,
      pull_number: pullNumber,
      commit_id: commitId,
      comments,
      request: { retries: 0 },
    });
    id = z.object({ id: z.number() }).parse(data).id;
  } catch (error) {
    const info = githubErrorInfo(error);
    // "User can only have one pending review per pull request" is about the probe, not about the comments.
    if (info.status === 422 && !/pending review/i.test([info.message, ...info.details].join(' '))) return false;
    throw error;
  }
  await github.rest.pulls.deletePendingReview({ ...repo, pull_number: pullNumber, review_id: id });
  return true;
}

/**
 * The indexes of comments GitHub names in a 422 (e.g. `comments[2]`), or undefined when it does not say which
 * one it refused — its usual "Line could not be resolved" names none.
 */
export function refusedCommentIndexes(info: Pick<GitHubErrorInfo, 'status' | 'message' | 'details'>, commentCount: number): number[] | undefined {
  const text = [info.message, ...info.details].join('\n');
  const indexes = [...text.matchAll(/comments\[(\d+)\]/g)].map((m) => Number(m[1])).filter((i) => i < commentCount);
  return indexes.length > 0 ? [...new Set(indexes)] : undefined;
}

/** True when a comment or review was written by this action's token: a Bot account (GITHUB_TOKEN, an app) or `self`. */
export function isOurs(user: Author, self: string | undefined): boolean {
  if (!user) return false;
  return user.type === 'Bot' || (self !== undefined && user.login.toLowerCase() === self.toLowerCase());
}
