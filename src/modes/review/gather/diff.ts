// A pull request file's patch as hunks of numbered lines: what chunks render and what findings anchor to.
import parseDiff from 'parse-diff';

/** One line of a hunk with its number on each side (null where the line does not exist on that side). */
export interface DiffLine {
  kind: 'add' | 'del' | 'context';
  /** Line number in the old version (LEFT side). */
  old: number | null;
  /** Line number in the new version (RIGHT side). */
  new: number | null;
  /** The line without its diff marker. */
  text: string;
}

/** One `@@` hunk. */
export interface Hunk {
  header: string;
  lines: DiffLine[];
}

/** A reviewable file of a pull request. */
export interface FileDiff {
  path: string;
  /** The old name of a renamed file. */
  previousPath?: string;
  /** GitHub's file status: added, modified, renamed, copied, changed. */
  status: string;
  hunks: Hunk[];
}

export type Side = 'RIGHT' | 'LEFT';

/** Parses a GitHub `patch` (hunks only, no file headers) into numbered lines. */
export function parsePatch(patch: string): Hunk[] {
  const files = parseDiff(patch);
  const chunks = files.flatMap((f) => f.chunks);
  return chunks.map((chunk) => ({
    header: chunk.content,
    lines: chunk.changes
      // parse-diff repeats the previous line for "\ No newline at end of file"; it is not a line of the file.
      .filter((c) => !c.content.startsWith('\\'))
      .map((c): DiffLine => {
        const text = c.content.slice(1);
        if (c.type === 'add') return { kind: 'add', old: null, new: c.ln, text };
        if (c.type === 'del') return { kind: 'del', old: c.ln, new: null, text };
        return { kind: 'context', old: c.ln1, new: c.ln2, text };
      }),
  }));
}

/** The line number of `line` on `side`, or null when the line is not on that side. */
export function lineOn(line: DiffLine, side: Side): number | null {
  return side === 'RIGHT' ? line.new : line.old;
}

/** Index of the hunk that shows line `n` on `side`, or -1. */
export function hunkIndexOf(file: FileDiff, side: Side, n: number): number {
  return file.hunks.findIndex((h) => h.lines.some((l) => lineOn(l, side) === n));
}

/** Where a comment goes: GitHub's line / start_line / side, all inside one hunk of the diff. */
export interface Anchor {
  path: string;
  line: number;
  startLine: number | null;
  side: Side;
}

/**
 * Anchors a finding to the diff: `line` (and `start_line`, when given) must be shown on `side` by the same hunk,
 * which is what GitHub accepts for a review comment. Returns null when the finding cannot be placed inline.
 */
export function anchor(
  file: FileDiff | undefined,
  f: { path: string; line: number; start_line: number | null; side: Side },
): Anchor | null {
  if (!file) return null;
  // A range given last line first is the same range, in order.
  const last = f.start_line !== null && f.start_line > f.line ? f.start_line : f.line;
  const first = last === f.line ? f.start_line : f.line;
  const at = hunkIndexOf(file, f.side, last);
  if (at < 0) return null;
  const startLine = first === last ? null : first;
  if (startLine !== null && !file.hunks[at]!.lines.some((l) => lineOn(l, f.side) === startLine)) return null;
  return { path: file.path, line: last, startLine, side: f.side };
}

const MAX_LINE_CHARS = 2000;

/** Renders lines with an `L<old>` and an `R<new>` column and the diff marker, one per line. */
export function renderLines(lines: readonly DiffLine[]): string {
  const width = Math.max(3, ...lines.map((l) => String(Math.max(l.old ?? 0, l.new ?? 0)).length + 1));
  return lines
    .map((l) => {
      const left = (l.old === null ? '' : `L${l.old}`).padEnd(width);
      const right = (l.new === null ? '' : `R${l.new}`).padEnd(width);
      const marker = l.kind === 'add' ? '+' : l.kind === 'del' ? '-' : ' ';
      const text = l.text.length > MAX_LINE_CHARS ? `${l.text.slice(0, MAX_LINE_CHARS)}… [line truncated]` : l.text;
      return `${left} ${right} ${marker} ${text}`.trimEnd();
    })
    .join('\n');
}

/**
 * A file name as prompts show it: as is, or JSON-quoted when it holds control characters (git allows newlines in
 * names), so a name can never pass for another line of the prompt.
 */
export function displayPath(path: string): string {
  // eslint-disable-next-line no-control-regex
  return /[\u0000-\u001f\u007f\u2028\u2029]/.test(path) ? JSON.stringify(path) : path;
}

/** The heading a file's section starts with in a chunk. */
export function fileHeading(file: FileDiff, part?: { index: number; count: number }): string {
  const renamed = file.previousPath ? ` (renamed from ${displayPath(file.previousPath)})` : '';
  const of = part && part.count > 1 ? ` — part ${part.index} of ${part.count}` : '';
  return `### File: ${displayPath(file.path)}${renamed} [${file.status}]${of}`;
}
