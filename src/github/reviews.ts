// Pull request reviews and review comments: what was already posted, and posting one review.
import { z } from 'zod';
import type { Repo } from '../context.js';
import type { GitHub } from './octokit.js';

/** GitHub refuses REQUEST_CHANGES on a pull request opened by the token's own user with this message. */
export const OWN_PULL_REQUEST_ERROR = 'Can not request changes on your own pull request';
/** GitHub's 403 message when the token may not write (e.g. GITHUB_TOKEN on a fork's pull_request event). */
export const NOT_ACCESSIBLE_ERROR = 'Resource not accessible by integration';

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

const bodySchema = z.array(z.object({ body: z.string().nullable().optional() }));

/** Bodies of every review comment on the pull request (all pages). */
export async function listReviewCommentBodies(github: GitHub, repo: Repo, pullNumber: number): Promise<string[]> {
  const raw = await github.paginate(github.rest.pulls.listReviewComments, { ...repo, pull_number: pullNumber, per_page: 100 });
  return bodySchema.parse(raw).map((c) => c.body ?? '');
}

/** Bodies of every review on the pull request (all pages). */
export async function listReviewBodies(github: GitHub, repo: Repo, pullNumber: number): Promise<string[]> {
  const raw = await github.paginate(github.rest.pulls.listReviews, { ...repo, pull_number: pullNumber, per_page: 100 });
  return bodySchema.parse(raw).map((r) => r.body ?? '');
}

/** Posts one review with its inline comments; returns its web address. */
export async function createReview(github: GitHub, repo: Repo, review: NewReview): Promise<{ id: number; htmlUrl: string }> {
  const { data } = await github.rest.pulls.createReview({
    ...repo,
    pull_number: review.pullNumber,
    commit_id: review.commitId,
    event: review.event,
    body: review.body,
    comments: review.comments,
  });
  const parsed = z.object({ id: z.number(), html_url: z.string() }).parse(data);
  return { id: parsed.id, htmlUrl: parsed.html_url };
}

/** What GitHub said about a failed request: status, message and the texts of its `errors` list. */
export interface GitHubErrorInfo {
  status: number | undefined;
  message: string;
  details: string[];
}

const errorResponseSchema = z.object({
  response: z.object({
    data: z
      .object({
        message: z.string().optional(),
        errors: z.array(z.union([z.string(), z.object({ message: z.string().optional(), field: z.string().optional() }).loose()])).optional(),
      })
      .loose()
      .optional(),
  }),
});

/** Reads an Octokit error's status and GitHub's messages; other errors give their own message. */
export function githubErrorInfo(error: unknown): GitHubErrorInfo {
  const status =
    typeof error === 'object' && error !== null && 'status' in error && typeof error.status === 'number' ? error.status : undefined;
  const parsed = errorResponseSchema.safeParse(error);
  const data = parsed.success ? parsed.data.response.data : undefined;
  const details = (data?.errors ?? []).map((e) =>
    typeof e === 'string' ? e : [e.field, e.message].filter((s) => s !== undefined).join(' '),
  );
  const message = data?.message ?? (error instanceof Error ? error.message : String(error));
  return { status, message, details };
}

/**
 * The indexes of comments GitHub names in a 422 (e.g. `comments[2]`), or undefined when it does not say which
 * one it refused — its usual "Line could not be resolved" names none.
 */
export function refusedCommentIndexes(info: GitHubErrorInfo, commentCount: number): number[] | undefined {
  const text = [info.message, ...info.details].join('\n');
  const indexes = [...text.matchAll(/comments\[(\d+)\]/g)].map((m) => Number(m[1])).filter((i) => i < commentCount);
  return indexes.length > 0 ? [...new Set(indexes)] : undefined;
}
