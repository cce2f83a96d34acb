// Hidden markers of the conversation: which thread (and stored version) wrote a comment, and which are the action's replies.

/** Marks this action's replies in review threads and on pull requests (the loop guard reads it). */
export const REPLY_MARKER = '<!-- codex-ci-action:reply -->';

const THREAD_PREFIX = 'codex-ci-action:thread:';
const THREAD_LINE = /^<!-- codex-ci-action:thread:([0-9a-zA-Z][0-9a-zA-Z_-]{0,127})(?:@(v[0-9]{1,4}-[0-9a-f]{8,32}))? -->$/;

/** A stored thread: its id and, for a thread stored again after it was continued, which stored version. */
export interface StoredThreadRef {
  threadId: string;
  version?: string;
}

/**
 * The line a finding's comment (just above its fingerprint line) or an answer (just above its reply marker) carries:
 * the Codex thread that wrote it, and the version stored after the answer when there is one.
 */
export function threadMarker(threadId: string, version?: string): string {
  return `<!-- ${THREAD_PREFIX}${threadId}${version ? `@${version}` : ''} -->`;
}

/**
 * The thread recorded in one of this action's comments: read from the line above the final (marker) line only, as
 * fingerprints are, so a marker quoted anywhere else does not count.
 */
export function storedThreadIn(body: string): StoredThreadRef | undefined {
  const lines = body.trimEnd().split('\n');
  const match = THREAD_LINE.exec(lines.at(-2)?.trim() ?? '');
  if (!match) return undefined;
  return match[2] ? { threadId: match[1]!, version: match[2] } : { threadId: match[1]! };
}

/** The thread id recorded in one of this action's comments (see storedThreadIn). */
export function threadIdIn(body: string): string | undefined {
  return storedThreadIn(body)?.threadId;
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

/** The hidden marker each posted finding carries, so a re-run can tell what was already said. */
export const FINGERPRINT_PREFIX = 'codex-ci-action:fp:';

/**
 * The HTML comment that carries the fingerprints of what a posted body reports: one for an inline comment, every
 * finding of a review body. It is always the body's last line, the only place a re-run reads it from.
 */
export function fingerprintMarker(fps: string | readonly string[]): string {
  return `<!-- ${FINGERPRINT_PREFIX}${(typeof fps === 'string' ? [fps] : fps).join(' ')} -->`;
}

const MARKER_LINE = /^<!-- codex-ci-action:fp:([0-9a-f]{16}(?: [0-9a-f]{16})*) -->$/;

/**
 * The fingerprints of a body this action posted, read from its final line only: markers anywhere else (quoted by
 * someone, or smuggled in through model or pull request text) do not count. Undefined when there is no marker line.
 */
export function fingerprintsIn(text: string): string[] | undefined {
  const last = text.trimEnd().split('\n').at(-1)?.trim() ?? '';
  const match = MARKER_LINE.exec(last);
  return match ? match[1]!.split(' ') : undefined;
}
