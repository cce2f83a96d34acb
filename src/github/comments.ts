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
