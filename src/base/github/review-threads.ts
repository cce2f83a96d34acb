// Review threads: one review comment, the comments of its thread, a reply in it, and the pull request's head.
import { z } from 'zod';
import type { Repo } from '../context.js';
import type { GitHub } from './octokit.js';
import type { Author } from './reviews.js';

const commentSchema = z
  .object({
    id: z.number(),
    body: z.string().nullable().optional(),
    html_url: z.string().default(''),
    path: z.string().default(''),
    line: z.number().nullable().optional(),
    original_line: z.number().nullable().optional(),
    start_line: z.number().nullable().optional(),
    side: z.string().nullable().optional(),
    diff_hunk: z.string().nullable().optional(),
    commit_id: z.string().nullable().optional(),
    in_reply_to_id: z.number().nullable().optional(),
    created_at: z.string().optional(),
    user: z.object({ login: z.string(), type: z.string().optional() }).nullable().optional(),
  })
  .loose();

/** A review comment with what a reply needs: where it is, its diff hunk, who wrote it, which thread it is in. */
export interface ThreadComment {
  id: number;
  body: string;
  htmlUrl: string;
  path: string;
  /** The line on the latest commit, or where it was written when outdated. */
  line: number | null;
  /** First line of a multi-line comment, else null. */
  startLine: number | null;
  side: 'LEFT' | 'RIGHT';
  diffHunk: string;
  commitId: string;
  inReplyToId: number | null;
  user: Author;
}

function toThreadComment(raw: z.infer<typeof commentSchema>): ThreadComment {
  return {
    id: raw.id,
    body: raw.body ?? '',
    htmlUrl: raw.html_url,
    path: raw.path,
    line: raw.line ?? raw.original_line ?? null,
    startLine: raw.start_line ?? null,
    side: raw.side === 'LEFT' ? 'LEFT' : 'RIGHT',
    diffHunk: raw.diff_hunk ?? '',
    commitId: raw.commit_id ?? '',
    inReplyToId: raw.in_reply_to_id ?? null,
    user: raw.user ? { login: raw.user.login, type: raw.user.type } : null,
  };
}

/** One review comment (GET /repos/{owner}/{repo}/pulls/comments/{comment_id}). */
export async function getThreadComment(github: GitHub, repo: Repo, commentId: number): Promise<ThreadComment> {
  const { data } = await github.rest.pulls.getReviewComment({ ...repo, comment_id: commentId });
  return toThreadComment(commentSchema.parse(data));
}

/** The comments of the thread that starts at `rootId`, oldest first (the root included). */
export async function listThread(github: GitHub, repo: Repo, pullNumber: number, rootId: number): Promise<ThreadComment[]> {
  const raw = await github.paginate(github.rest.pulls.listReviewComments, { ...repo, pull_number: pullNumber, per_page: 100 });
  return z
    .array(commentSchema)
    .parse(raw)
    .map(toThreadComment)
    .filter((c) => c.id === rootId || c.inReplyToId === rootId)
    .sort((a, b) => a.id - b.id);
}

/** Replies in the thread of `rootId` (GitHub takes replies to a thread's first comment only). */
export async function replyInThread(
  github: GitHub,
  repo: Repo,
  pullNumber: number,
  rootId: number,
  body: string,
): Promise<{ id: number; htmlUrl: string }> {
  const { data } = await github.rest.pulls.createReplyForReviewComment({ ...repo, pull_number: pullNumber, comment_id: rootId, body });
  const parsed = z.object({ id: z.number(), html_url: z.string() }).parse(data);
  return { id: parsed.id, htmlUrl: parsed.html_url };
}

/** A comment on the pull request's conversation. */
export async function commentOnPull(github: GitHub, repo: Repo, pullNumber: number, body: string): Promise<{ id: number; htmlUrl: string }> {
  const { data } = await github.rest.issues.createComment({ ...repo, issue_number: pullNumber, body });
  const parsed = z.object({ id: z.number(), html_url: z.string() }).parse(data);
  return { id: parsed.id, htmlUrl: parsed.html_url };
}

/** Where a pull request's head is: its commit, branch, and repository (null when the fork was deleted). */
export interface PullHead {
  number: number;
  title: string;
  headSha: string;
  headRef: string;
  headRepo: string | null;
  baseRef: string;
  htmlUrl: string;
  state: string;
}

/** The head of a pull request. */
export async function getPullHead(github: GitHub, repo: Repo, pullNumber: number): Promise<PullHead> {
  const { data } = await github.rest.pulls.get({ ...repo, pull_number: pullNumber });
  const pr = z
    .object({
      number: z.number(),
      title: z.string(),
      state: z.string(),
      html_url: z.string(),
      head: z.object({ sha: z.string(), ref: z.string(), repo: z.object({ full_name: z.string() }).loose().nullable() }).loose(),
      base: z.object({ ref: z.string() }).loose(),
    })
    .loose()
    .parse(data);
  return {
    number: pr.number,
    title: pr.title,
    headSha: pr.head.sha,
    headRef: pr.head.ref,
    headRepo: pr.head.repo?.full_name ?? null,
    baseRef: pr.base.ref,
    htmlUrl: pr.html_url,
    state: pr.state,
  };
}
