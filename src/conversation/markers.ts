// Hidden markers of the conversation: which thread produced a finding, and which comments are the action's replies.

/** Marks this action's replies in review threads and on pull requests (the loop guard reads it). */
export const REPLY_MARKER = '<!-- codex-ci-action:reply -->';

const THREAD_PREFIX = 'codex-ci-action:thread:';
const THREAD_LINE = /^<!-- codex-ci-action:thread:([0-9a-zA-Z][0-9a-zA-Z_-]{0,127}) -->$/;

/** The line a finding's comment carries, just above its fingerprint line: the Codex thread that produced it. */
export function threadMarker(threadId: string): string {
  return `<!-- ${THREAD_PREFIX}${threadId} -->`;
}

/**
 * The thread recorded in one of this action's finding comments: read from the line above the final (fingerprint)
 * line only, as fingerprints are, so a marker quoted anywhere else does not count.
 */
export function threadIdIn(body: string): string | undefined {
  const lines = body.trimEnd().split('\n');
  const line = lines.at(-2)?.trim() ?? '';
  return THREAD_LINE.exec(line)?.[1];
}

/**
 * True when a body ends with one of this action's markers: its answers, its findings (whose comments fire the
 * event too when the token is an app's), its "Addressed in" replies. The loop guard skips them all.
 */
export function isOwnReply(body: string): boolean {
  return /<!-- codex-ci-action:[a-z]+(?::[^\n]*)? -->$/.test(body.trimEnd());
}

/** Model or user text must not forge this action's markers, which are HTML comments. */
export function defuseMarkers(text: string): string {
  return text.replace(/<!--/g, '&lt;!--');
}
