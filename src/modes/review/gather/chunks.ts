// Splits a pull request's files into chunks under a token budget: whole files together, big files at hunk boundaries.
import { fileHeading, renderLines, type DiffLine, type FileDiff, type Hunk } from './diff.js';

/** Tokens per chunk when the caller does not say: room for the diff plus the base thread's history. */
export const DEFAULT_CHUNK_TOKENS = 12_000;

/** A rough token count: about four characters per token for code and English. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/** A rendered piece of one file: the whole file, or some of its hunks. */
export interface Piece {
  path: string;
  text: string;
}

/** What one fork reviews. */
export interface Chunk {
  /** 1-based. */
  index: number;
  /** Files that have at least one piece in this chunk, in order. */
  paths: string[];
  /** The rendered diff of the chunk. */
  text: string;
  tokens: number;
}

/** Renders a file, or some of its hunks, under its heading. */
export function renderFile(file: FileDiff, hunks: readonly Hunk[] = file.hunks, part?: { index: number; count: number }): string {
  const body = hunks.map((h) => `${h.header}\n${renderLines(h.lines)}`).join('\n');
  return `${fileHeading(file, part)}\n${body}`;
}

/**
 * Splits files into chunks of at most `budget` tokens (a single over-long line is the only thing that can exceed it).
 * Files with the same `groupOf` (the nested rules they are under) stay together in one chunk where the budget allows:
 * a group that does not fit in what is left of a chunk but fits in a new one starts the next chunk, so a chunk is
 * sent the rules of few folders, not of every folder of the pull request. Groups keep the order of their first file.
 */
export function chunkFiles(files: readonly FileDiff[], budget: number = DEFAULT_CHUNK_TOKENS, groupOf: (path: string) => string = () => ''): Chunk[] {
  const groups = new Map<string, Piece[]>();
  for (const file of files) {
    const key = groupOf(file.path);
    groups.set(key, [...(groups.get(key) ?? []), ...piecesOf(file, budget)]);
  }
  const chunks: Chunk[] = [];
  let current: Piece[] = [];
  let tokens = 0;
  const flush = () => {
    if (current.length === 0) return;
    const text = current.map((p) => p.text).join('\n\n');
    chunks.push({ index: chunks.length + 1, paths: [...new Set(current.map((p) => p.path))], text, tokens: estimateTokens(text) });
    current = [];
    tokens = 0;
  };
  const cost = (piece: Piece) => estimateTokens(piece.text) + 1;
  for (const pieces of groups.values()) {
    const whole = pieces.reduce((n, p) => n + cost(p), 0);
    if (current.length > 0 && tokens + whole > budget && whole <= budget) flush();
    for (const piece of pieces) {
      if (current.length > 0 && tokens + cost(piece) > budget) flush();
      current.push(piece);
      tokens += cost(piece);
    }
  }
  flush();
  return chunks;
}

/** One piece for a file that fits; else groups of whole hunks, and slices of lines for a hunk bigger than the budget. */
function piecesOf(file: FileDiff, budget: number): Piece[] {
  const whole = renderFile(file);
  if (estimateTokens(whole) <= budget) return [{ path: file.path, text: whole }];

  // Hunk groups first, then number the parts once their count is known.
  const headingCost = estimateTokens(fileHeading(file, { index: 99, count: 99 })) + 1;
  const room = Math.max(1, budget - headingCost);
  const groups: Hunk[][] = [];
  let group: Hunk[] = [];
  let used = 0;
  for (const hunk of file.hunks.flatMap((h) => splitHunk(h, room))) {
    const cost = estimateTokens(`${hunk.header}\n${renderLines(hunk.lines)}`) + 1;
    if (group.length > 0 && used + cost > room) {
      groups.push(group);
      group = [];
      used = 0;
    }
    group.push(hunk);
    used += cost;
  }
  if (group.length > 0) groups.push(group);
  return groups.map((hunks, i) => ({ path: file.path, text: renderFile(file, hunks, { index: i + 1, count: groups.length }) }));
}

/** A hunk that fits is returned as is; a bigger one is cut into runs of lines, each labelled as a continuation. */
function splitHunk(hunk: Hunk, room: number): Hunk[] {
  if (estimateTokens(`${hunk.header}\n${renderLines(hunk.lines)}`) <= room) return [hunk];
  const slices: DiffLine[][] = [];
  let slice: DiffLine[] = [];
  let used = estimateTokens(hunk.header) + 8;
  for (const line of hunk.lines) {
    const cost = estimateTokens(renderLines([line])) + 1;
    if (slice.length > 0 && used + cost > room) {
      slices.push(slice);
      slice = [];
      used = estimateTokens(hunk.header) + 8;
    }
    slice.push(line);
    used += cost;
  }
  if (slice.length > 0) slices.push(slice);
  return slices.map((lines, i) => ({
    header: i === 0 ? hunk.header : `${hunk.header} (continued, ${i + 1} of ${slices.length})`,
    lines,
  }));
}
