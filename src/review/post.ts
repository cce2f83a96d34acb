// Posts one review per pull request (never losing it to a refused comment) and keeps the sticky summary comment.
import * as core from '@actions/core';
import type { Repo } from '../context.js';
import { upsertStickyComment } from '../github/comments.js';
import type { GitHub } from '../github/octokit.js';
import {
  createReview,
  githubErrorInfo,
  OWN_PULL_REQUEST_ERROR,
  refusedCommentIndexes,
  type ReviewComment,
} from '../github/reviews.js';
import { redact } from '../redact.js';
import { location, reviewBody, SUMMARY_MARKER, toReviewComment, type Placement, type ReviewContext } from './compose.js';

/** How posting a review went. */
export type PostResult =
  | { posted: true; htmlUrl: string; inline: number; movedToBody: number; event: 'COMMENT' | 'REQUEST_CHANGES' }
  /**
   * Not posted: `forbidden` when GitHub refused the token (403: read-only, e.g. a fork's pull_request event), else
   * GitHub failed otherwise. `markdown` is the whole review, for the job summary.
   */
  | { posted: false; forbidden: boolean; message: string; markdown: string };

export interface PostReviewArgs {
  pullNumber: number;
  headSha: string;
  event: 'COMMENT' | 'REQUEST_CHANGES';
  placement: Placement;
  context: ReviewContext;
  secrets: readonly string[];
}

// Each retry either moves comments into the body or drops REQUEST_CHANGES, so a few rounds always suffice.
const MAX_ATTEMPTS = 4;

/**
 * Posts one review with `commit_id` = the reviewed head. When GitHub answers 422 for inline comments, the refused
 * ones (all of them, when GitHub does not say which) move into the body and the review is submitted again; when it
 * refuses REQUEST_CHANGES on the token's own pull request, the review is posted as COMMENT. Any other refusal is
 * returned with the whole review as Markdown instead of thrown, so the review still reaches the job summary.
 */
export async function postReview(github: GitHub, repo: Repo, args: PostReviewArgs): Promise<PostResult> {
  let placement = args.placement;
  let event = args.event;
  let refused = 0;
  let lastError: unknown;
  let lastMarkdown = '';
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const body = redact(reviewBody({ ...args.context, refusedInline: refused || undefined }, placement), args.secrets);
    const comments: ReviewComment[] = placement.inline.map(({ finding, anchor }) => {
      const comment = toReviewComment(finding, anchor);
      return { ...comment, body: redact(comment.body, args.secrets) };
    });
    lastMarkdown = asMarkdown(body, comments);
    try {
      const review = await createReview(github, repo, { pullNumber: args.pullNumber, commitId: args.headSha, event, body, comments });
      return { posted: true, htmlUrl: review.htmlUrl, inline: comments.length, movedToBody: refused, event };
    } catch (error) {
      lastError = error;
      const info = githubErrorInfo(error);
      const said = [info.message, ...info.details].join('; ');
      if (info.status !== 422) return { posted: false, forbidden: info.status === 403, message: said, markdown: lastMarkdown };
      if (event === 'REQUEST_CHANGES' && said.includes(OWN_PULL_REQUEST_ERROR)) {
        core.warning(`GitHub does not allow requesting changes on the token's own pull request #${args.pullNumber}; posting the review as a comment.`);
        event = 'COMMENT';
        continue;
      }
      if (placement.inline.length === 0) return { posted: false, forbidden: false, message: said, markdown: lastMarkdown };
      const indexes = refusedCommentIndexes(info, placement.inline.length) ?? placement.inline.map((_, i) => i);
      const moving = placement.inline.filter((_, i) => indexes.includes(i));
      core.warning(
        `GitHub refused inline comments on pull request #${args.pullNumber} (${said}); moving ${moving.length} of them ` +
          `(${moving.map((m) => location(m.finding)).join(', ')}) into the review body and submitting again.`,
      );
      placement = {
        inline: placement.inline.filter((_, i) => !indexes.includes(i)),
        outside: [...placement.outside, ...moving.map((m) => m.finding)],
      };
      refused += moving.length;
    }
  }
  const info = githubErrorInfo(lastError);
  return { posted: false, forbidden: false, message: [info.message, ...info.details].join('; '), markdown: lastMarkdown };
}

/** The review as one Markdown text: the body, then each inline comment under its location. */
function asMarkdown(body: string, comments: readonly ReviewComment[]): string {
  const inline = comments.map((c) => {
    const lines = c.start_line !== undefined ? `${c.start_line}-${c.line}` : `${c.line}`;
    return `#### \`${c.path}:${lines}\`${c.side === 'LEFT' ? ' (old version)' : ''}\n\n${c.body}`;
  });
  return [body, ...(inline.length > 0 ? ['', '### Inline comments', '', inline.join('\n\n')] : [])].join('\n');
}

/** Creates or edits the pull request's sticky summary comment; any failure is a warning: the review is what matters. */
export async function postSticky(
  github: GitHub,
  repo: Repo,
  pullNumber: number,
  body: string,
  secrets: readonly string[],
): Promise<{ htmlUrl: string; created: boolean } | undefined> {
  try {
    return await upsertStickyComment(github, repo, pullNumber, SUMMARY_MARKER, redact(body, secrets));
  } catch (error) {
    const info = githubErrorInfo(error);
    core.warning(`Could not write the summary comment on pull request #${pullNumber}: ${info.message}`);
    return undefined;
  }
}
