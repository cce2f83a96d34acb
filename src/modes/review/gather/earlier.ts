// Findings of earlier reviews on a pull request: which are still open, which a push addressed, and what to do in
// their threads (reply, resolve). Pure: the I/O is in resolve.ts.
import type { ReviewThread } from '../../../base/github/threads.js';
import type { PostedReviewComment } from '../../../base/github/reviews.js';
import { parseCommentHeading } from '../deliver/compose.js';
import { lineOn, type FileDiff } from './diff.js';
import { fingerprintsIn } from '../../../base/text/markers.js';
import { isOurs } from '../../../base/github/reviews.js';
import { type Severity } from '../../../base/options.js';

/** Marks this action's "Addressed in …" replies, so a later run does not reply twice. */
export const ADDRESSED_MARKER = '<!-- codex-ci-action:addressed -->';

/** A finding this action posted inline before, with the state of its thread. */
export interface EarlierFinding {
  fp: string;
  /** The thread's first comment (REST id): replies go to it. */
  commentId: number;
  path: string;
  /** Where GitHub shows it on the latest commit; null once outdated (the lines changed). */
  line: number | null;
  severity: Severity | undefined;
  title: string;
  /** The comment's text without its marker line. */
  body: string;
  /** The GraphQL thread id, when the threads could be read. */
  threadId: string | undefined;
  resolved: boolean;
  /** Someone other than this action wrote in the thread: it is theirs to resolve. */
  humanReplied: boolean;
  /** This action already replied that the finding was addressed. */
  answered: boolean;
}

/**
 * The earlier findings: top-level review comments of this action (its token, with a fingerprint marker), joined with
 * their replies (REST) and their threads (GraphQL, when available: `threads` undefined means unknown).
 */
export function earlierFindings(
  comments: readonly PostedReviewComment[],
  threads: readonly ReviewThread[] | undefined,
  self: string | undefined,
): EarlierFinding[] {
  const threadOf = new Map<number, ReviewThread>();
  for (const t of threads ?? []) {
    const first = t.comments[0];
    if (first) threadOf.set(first.databaseId, t);
  }
  const out: EarlierFinding[] = [];
  for (const c of comments) {
    if (c.inReplyTo !== undefined || c.path === undefined || !isOurs(c.user, self)) continue;
    const fps = fingerprintsIn(c.body);
    if (!fps || fps.length !== 1) continue;
    const replies = comments.filter((r) => r.inReplyTo === c.id);
    const thread = threadOf.get(c.id);
    const others = [...replies.map((r) => r.user), ...(thread?.comments.slice(1).map((x) => x.author) ?? [])];
    const heading = parseCommentHeading(c.body);
    out.push({
      fp: fps[0]!,
      commentId: c.id,
      path: c.path,
      line: c.line,
      severity: heading?.severity,
      title: heading?.title ?? c.body.split('\n', 1)[0]!.slice(0, 120),
      body: c.body.trimEnd().split('\n').slice(0, -1).join('\n').trim(),
      threadId: thread?.id,
      resolved: thread?.isResolved ?? false,
      humanReplied: others.some((u) => !isOurs(u, self) && !isGraphqlSelf(u, self)),
      answered: replies.some((r) => isOurs(r.user, self) && r.body.includes(ADDRESSED_MARKER)),
    });
  }
  return out;
}

// GraphQL names a GitHub App's account "github-actions" with type Bot; isOurs already accepts every Bot.
function isGraphqlSelf(user: { login: string; type?: string | undefined } | null, self: string | undefined): boolean {
  return user !== null && self !== undefined && user.login.toLowerCase() === self.toLowerCase();
}

/** The open earlier findings on these paths: what a chunk's model turn is shown. */
export function openOn(earlier: readonly EarlierFinding[], paths: readonly string[]): EarlierFinding[] {
  const set = new Set(paths);
  return earlier.filter((e) => !e.resolved && set.has(e.path));
}

/**
 * True when the push changed the code a finding is about: GitHub marked the comment outdated, or its line lies in a
 * hunk (changed lines and their context) of the push's diff of that file.
 */
export function codeChanged(e: EarlierFinding, changed: readonly FileDiff[]): boolean {
  const file = changed.find((f) => f.path === e.path);
  if (!file) return false;
  if (e.line === null) return true;
  return file.hunks.some((h) => {
    const lines = h.lines.map((l) => lineOn(l, 'RIGHT')).filter((n): n is number => n !== null);
    return lines.length > 0 && e.line! >= Math.min(...lines) && e.line! <= Math.max(...lines);
  });
}

/** What to do in one earlier finding's thread. */
export interface ThreadAction {
  finding: EarlierFinding;
  reply: string;
  /** Resolve the thread too (never when a person replied in it, or resolving is turned off). */
  resolve: boolean;
}

/**
 * For each open earlier finding the model says is addressed and whose code the push changed: a reply "Addressed in
 * <sha>", and resolving the thread when nobody but this action wrote in it and `resolveThreads` is on. A thread this
 * action already answered gets no second reply.
 */
export function planThreadActions(
  earlier: readonly EarlierFinding[],
  addressed: ReadonlySet<string>,
  changed: readonly FileDiff[],
  headSha: string,
  resolveThreads: boolean,
): ThreadAction[] {
  return earlier
    .filter((e) => !e.resolved && addressed.has(e.fp) && codeChanged(e, changed))
    .filter((e) => !e.answered || (resolveThreads && !e.humanReplied && e.threadId !== undefined))
    .map((e) => ({
      finding: e,
      reply: e.answered ? '' : `Addressed in ${headSha.slice(0, 7)}.\n\n${ADDRESSED_MARKER}`,
      resolve: resolveThreads && !e.humanReplied && e.threadId !== undefined,
    }));
}
