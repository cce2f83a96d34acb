// A change as a GitHub ```suggestion``` in a review thread: only when it is one hunk inside the commented lines.
import type { ThreadComment } from '../../base/github/review-threads.js';

/**
 * The new text of the root comment's lines when `diff` (against the head) changes only those lines of its file, in
 * one hunk; a suggestion in that thread then replaces exactly them. Undefined otherwise (the caller gives a patch).
 */
export async function singleHunkSuggestion(
  diff: string,
  root: Pick<ThreadComment, 'path' | 'line' | 'startLine' | 'side'>,
  readNew: (path: string) => Promise<string>,
): Promise<string | undefined> {
  if (root.side !== 'RIGHT' || root.line === null || !root.path) return undefined;
  const files = diff.split('\n').filter((l) => l.startsWith('diff --git '));
  if (files.length !== 1 || !diff.includes(`\n+++ b/${root.path}\n`)) return undefined;
  const body = diff.slice(diff.indexOf('\n@@'));
  const hunks = body.split('\n').filter((l) => l.startsWith('@@ '));
  if (hunks.length !== 1) return undefined;
  const header = /^@@ -(\d+)(?:,\d+)? \+\d+(?:,\d+)? @@/.exec(hunks[0]!);
  if (!header) return undefined;
  const first = root.startLine ?? root.line;
  const last = root.line;
  let old = Number(header[1]);
  let delta = 0;
  for (const line of body.split('\n').slice(2)) {
    if (line.startsWith('\\')) continue;
    if (line.startsWith('-')) {
      if (old < first || old > last) return undefined;
      old++;
      delta--;
    } else if (line.startsWith('+')) {
      // Inserted before old line `old`: inside the range when it lands between its first and just after its last line.
      if (old < first || old > last + 1) return undefined;
      delta++;
    } else {
      old++;
    }
  }
  const lines = (await readNew(root.path)).split('\n');
  return lines.slice(first - 1, last + delta).join('\n');
}
