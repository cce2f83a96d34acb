// Posts one review per pull request (never losing it to a refused comment, never posting it twice); the status
// comment that summarises it is status-comment.ts's.
import type { Repo } from '../../../base/context.js';
import type { GitHub } from '../../../base/github/octokit.js';
import { createReview, githubErrorInfo, listReviewComments, listReviews, OWN_PULL_REQUEST_ERROR, probeComments, refusedCommentIndexes, type ReviewComment, isOurs } from '../../../base/github/reviews.js';
import { redact } from '../../../base/text/redact.js';
import {
  lineKey,
  location,
  REVIEW_MARKER,
  reviewBody,
  toReviewComment,
  type AlreadyPosted,
  type Placement,
  type ReviewContext,
} from './compose.js';
import { fingerprintsIn } from '../../../base/text/markers.js';
import { log } from '../../../base/log.js';

/** How posting a review went. */
export type PostResult =
  | { posted: true; htmlUrl: string; inline: number; movedToBody: number }
  /**
   * Not posted: `forbidden` when GitHub refused the token (403: read-only, e.g. a fork's pull_request event), else
   * GitHub failed otherwise. `markdown` is the whole review, for the job summary.
   */
  | { posted: false; forbidden: boolean; message: string; markdown: string };

export interface PostReviewArgs {
  pullNumber: number;
  event: 'COMMENT' | 'REQUEST_CHANGES';
  placement: Placement;
  /** The review body's context; its `headSha` is the reviewed commit (`commit_id`). */
  context: ReviewContext;
  secrets: readonly string[];
  /** Reviews on the pull request before this run: after a 5xx, a review not among them may be the one just sent. */
  knownReviewIds?: ReadonlySet<number>;
  /** Whose reviews are this action's (see `isOurs`); default: Bot accounts. */
  self?: string | undefined;
}

// Each submission after a 422 moves comments into the body or drops REQUEST_CHANGES; one more after a 5xx.
const MAX_SUBMISSIONS = 5;

/**
 * What this action already said on a pull request, from the comments and reviews of its token only, with their
 * fingerprints read from the final marker line only: text by anyone else (the pull request's author included), or
 * a marker quoted inside a body, cannot hide a finding. A live inline comment of ours also marks its line (where
 * GitHub shows it on the latest commit) as spoken for, so a finding that moved with the code is not said twice.
 * (Both conditions, author and marker, are required; either alone could be forged or could be another bot's.)
 */
export async function readPosted(
  github: GitHub,
  repo: Repo,
  pullNumber: number,
  self: string | undefined,
): Promise<AlreadyPosted & { reviewIds: Set<number> }> {
  const [comments, reviews] = await Promise.all([listReviewComments(github, repo, pullNumber), listReviews(github, repo, pullNumber)]);
  const fingerprints = new Set<string>();
  const lines = new Set<string>();
  for (const c of comments) {
    const fps = isOurs(c.user, self) ? fingerprintsIn(c.body) : undefined;
    if (!fps) continue;
    for (const fp of fps) fingerprints.add(fp);
    // `line` null: outdated, the code it was about is gone.
    if (c.path !== undefined && c.line !== null) lines.add(lineKey(c.path, c.side ?? 'RIGHT', c.line));
  }
  for (const r of reviews) {
    if (!isOurs(r.user, self) || !r.body.startsWith(REVIEW_MARKER)) continue;
    for (const fp of fingerprintsIn(r.body) ?? []) fingerprints.add(fp);
  }
  return { fingerprints, lines, reviewIds: new Set(reviews.map((r) => r.id)) };
}

/**
 * Posts one review with `commit_id` = the reviewed head. When GitHub answers 422 for inline comments, the refused
 * ones move into the body and the review is submitted again: the ones GitHub names, else the ones found by bisecting
 * with invisible pending reviews (all of them when that does not work out). When it refuses REQUEST_CHANGES on the
 * token's own pull request, the review is posted as COMMENT. A 5xx may come after GitHub created the review, so the
 * review is looked for before it is submitted once more. Any other refusal is returned with the whole review as
 * Markdown instead of thrown, so the review still reaches the job summary.
 */
export async function postReview(github: GitHub, repo: Repo, args: PostReviewArgs): Promise<PostResult> {
  const headSha = args.context.headSha;
  let placement = args.placement;
  let event = args.event;
  let refused = 0;
  let resubmittedAfter5xx = false;
  let lastSaid = '';
  let lastMarkdown = '';
  // Probes for refused comments, over all rounds: one round of bisection plus two.
  const probes = { left: Math.ceil(Math.log2(Math.max(1, placement.inline.length))) + 2 };
  for (let submission = 0; submission < MAX_SUBMISSIONS; submission++) {
    const body = redact(reviewBody({ ...args.context, refusedInline: refused || undefined }, placement), args.secrets);
    const comments = renderComments(placement, args.secrets);
    lastMarkdown = asMarkdown(body, comments);
    try {
      const review = await createReview(github, repo, { pullNumber: args.pullNumber, commitId: headSha, event, body, comments });
      return { posted: true, htmlUrl: review.htmlUrl, inline: comments.length, movedToBody: refused };
    } catch (error) {
      const info = githubErrorInfo(error);
      lastSaid = info.summary;
      if (info.status === undefined || info.status >= 500) {
        // GitHub may have created the review and failed after: look before sending it again.
        const created = await findCreatedReview(github, repo, args, headSha);
        if (created) {
          log.info(`GitHub answered ${info.status ?? 'with an error'} but created the review of #${args.pullNumber}: ${created}.`);
          return { posted: true, htmlUrl: created, inline: comments.length, movedToBody: refused };
        }
        if (resubmittedAfter5xx) break;
        resubmittedAfter5xx = true;
        log.warning(`GitHub failed to take the review of #${args.pullNumber} (${lastSaid}); submitting it once more.`);
        continue;
      }
      // A 403 that is a rate limit (the throttling plugin gave up) is GitHub failing, not a read-only token.
      const forbidden = info.status === 403 && !/rate limit/i.test(info.message);
      if (info.status !== 422) return { posted: false, forbidden, message: lastSaid, markdown: lastMarkdown };
      if (event === 'REQUEST_CHANGES' && lastSaid.includes(OWN_PULL_REQUEST_ERROR)) {
        log.warning(`GitHub does not allow requesting changes on the token's own pull request #${args.pullNumber}; posting the review as a comment.`);
        event = 'COMMENT';
        continue;
      }
      if (placement.inline.length === 0) break;
      const indexes = refusedCommentIndexes(info, placement.inline.length) ?? (await bisectRefused(github, repo, args.pullNumber, headSha, comments, probes));
      const moving = placement.inline.filter((_, i) => indexes.includes(i));
      log.warning(
        `GitHub refused inline comments on pull request #${args.pullNumber} (${lastSaid}); moving ${moving.length} of them ` +
          `(${moving.map((m) => location(m.finding)).join(', ')}) into the review body and submitting again.`,
      );
      placement = {
        inline: placement.inline.filter((_, i) => !indexes.includes(i)),
        outside: [...placement.outside, ...moving.map((m) => m.finding)],
      };
      refused += moving.length;
    }
  }
  return { posted: false, forbidden: false, message: lastSaid, markdown: lastMarkdown };
}

function renderComments(placement: Placement, secrets: readonly string[]): ReviewComment[] {
  return placement.inline.map(({ finding, anchor }) => {
    const comment = toReviewComment(finding, anchor);
    return { ...comment, body: redact(comment.body, secrets) };
  });
}

/** The web address of a review of ours on `headSha` that was not there before this run, if GitHub has one. */
async function findCreatedReview(github: GitHub, repo: Repo, args: PostReviewArgs, headSha: string): Promise<string | undefined> {
  try {
    const reviews = await listReviews(github, repo, args.pullNumber);
    const ours = reviews.filter(
      (r) =>
        !args.knownReviewIds?.has(r.id) &&
        r.commitId === headSha &&
        r.state !== 'PENDING' &&
        r.body.startsWith(REVIEW_MARKER) &&
        isOurs(r.user, args.self),
    );
    return ours.at(-1)?.htmlUrl;
  } catch (error) {
    log.warning(`Could not list the reviews of #${args.pullNumber} to check for a review GitHub created: ${githubErrorInfo(error).summary}`);
    return undefined;
  }
}

/**
 * Finds the comments GitHub refuses when its 422 does not say which, by posting halves as pending reviews (which
 * nobody else sees, and which are deleted at once). Each round follows the half that fails (or, when the first half
 * passes, the other), so one refused comment costs about log2(n) probes; a later 422 starts another round. When the
 * probes shared by all rounds run out, every comment still suspected moves; on any other answer from GitHub, all do.
 */
async function bisectRefused(
  github: GitHub,
  repo: Repo,
  pullNumber: number,
  headSha: string,
  comments: ReviewComment[],
  probes: { left: number },
): Promise<number[]> {
  const all = comments.map((_, i) => i);
  let suspects = all;
  try {
    while (suspects.length > 1) {
      if (probes.left <= 0) {
        log.warning(`Stopped narrowing down the refused comments of #${pullNumber} after too many tries.`);
        return suspects;
      }
      probes.left--;
      const half = suspects.slice(0, Math.ceil(suspects.length / 2));
      const accepted = await probeComments(github, repo, pullNumber, headSha, half.map((i) => comments[i]!));
      suspects = accepted ? suspects.slice(half.length) : half;
    }
    return suspects;
  } catch (error) {
    log.warning(`Could not narrow down the refused comments of #${pullNumber} (${githubErrorInfo(error).summary}); moving all of them.`);
    return all;
  }
}

/** The review as one Markdown text, as postReview would send it: for the job summary when it cannot be sent. */
export function reviewMarkdown(context: ReviewContext, placement: Placement, secrets: readonly string[]): string {
  return asMarkdown(redact(reviewBody(context, placement), secrets), renderComments(placement, secrets));
}

/** The review as one Markdown text: the body, then each inline comment under its location. */
function asMarkdown(body: string, comments: readonly ReviewComment[]): string {
  const inline = comments.map((c) => {
    const lines = c.start_line !== undefined ? `${c.start_line}-${c.line}` : `${c.line}`;
    return `#### \`${c.path}:${lines}\`${c.side === 'LEFT' ? ' (old version)' : ''}\n\n${c.body}`;
  });
  return [body, ...(inline.length > 0 ? ['', '### Inline comments', '', inline.join('\n\n')] : [])].join('\n');
}
