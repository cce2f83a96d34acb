// Issue (conversation) comments: one sticky comment per pull request, found by a hidden marker and edited in place.
import { z } from 'zod';
import type { Repo } from '../context.js';
import type { GitHub } from './octokit.js';
import { statusOf } from './pulls.js';

const commentSchema = z.array(z.object({ id: z.number(), body: z.string().nullable().optional(), html_url: z.string() }));

/**
 * Edits the comment whose body starts with `marker`, or creates one. `body` must start with `marker`, so the
 * next run finds it. A marked comment that cannot be edited (someone else's) is left alone and a new one created.
 */
export async function upsertStickyComment(
  github: GitHub,
  repo: Repo,
  issueNumber: number,
  marker: string,
  body: string,
): Promise<{ id: number; htmlUrl: string; created: boolean }> {
  if (!body.startsWith(marker)) throw new Error('A sticky comment body must start with its marker.');
  const raw = await github.paginate(github.rest.issues.listComments, { ...repo, issue_number: issueNumber, per_page: 100 });
  const existing = commentSchema.parse(raw).filter((c) => (c.body ?? '').startsWith(marker));
  // The newest one is the one a previous run edited last, if there are several.
  for (const comment of existing.reverse()) {
    try {
      await github.rest.issues.updateComment({ ...repo, comment_id: comment.id, body });
      return { id: comment.id, htmlUrl: comment.html_url, created: false };
    } catch (error) {
      const status = statusOf(error);
      if (status !== 403 && status !== 404) throw error;
    }
  }
  const { data } = await github.rest.issues.createComment({ ...repo, issue_number: issueNumber, body });
  const created = z.object({ id: z.number(), html_url: z.string() }).parse(data);
  return { id: created.id, htmlUrl: created.html_url, created: true };
}

const authoredCommentSchema = z.array(
  z.object({
    id: z.number(),
    body: z.string().nullable().optional(),
    html_url: z.string(),
    user: z.object({ login: z.string(), type: z.string().optional() }).nullable().optional(),
  }),
);

/** An issue comment found by its marker. */
export interface MarkedComment {
  id: number;
  body: string;
  htmlUrl: string;
}

/**
 * The newest comment whose body starts with `marker` and whose author `isOurs` accepts: a marked comment by anyone
 * else (the pull request's author, say) is never taken for ours, so it can neither be edited nor trusted.
 */
export async function findMarkedComment(
  github: GitHub,
  repo: Repo,
  issueNumber: number,
  marker: string,
  isOurs: (user: { login: string; type?: string | undefined } | null) => boolean,
): Promise<MarkedComment | undefined> {
  const raw = await github.paginate(github.rest.issues.listComments, { ...repo, issue_number: issueNumber, per_page: 100 });
  const found = authoredCommentSchema
    .parse(raw)
    .filter((c) => (c.body ?? '').startsWith(marker) && isOurs(c.user ?? null))
    .at(-1);
  return found ? { id: found.id, body: found.body ?? '', htmlUrl: found.html_url } : undefined;
}

/** Creates an issue comment. */
export async function createIssueComment(github: GitHub, repo: Repo, issueNumber: number, body: string): Promise<MarkedComment> {
  const { data } = await github.rest.issues.createComment({ ...repo, issue_number: issueNumber, body });
  const created = z.object({ id: z.number(), html_url: z.string() }).parse(data);
  return { id: created.id, body, htmlUrl: created.html_url };
}

/** Replaces the body of an issue comment. */
export async function editIssueComment(github: GitHub, repo: Repo, commentId: number, body: string): Promise<void> {
  await github.rest.issues.updateComment({ ...repo, comment_id: commentId, body });
}

/** Adds a reaction (e.g. `eyes`) to an issue comment; GitHub answers 200 when it is already there. */
export async function reactToIssueComment(github: GitHub, repo: Repo, commentId: number, content: 'eyes' | '+1'): Promise<void> {
  await github.rest.reactions.createForIssueComment({ ...repo, comment_id: commentId, content });
}
