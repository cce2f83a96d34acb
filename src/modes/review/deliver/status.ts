// The pull request's one status comment as text: in progress (a checklist of chunks), done, or failed. Pure.
import { countBySeverity, limit, oneLine, safe, stickyBody, SUMMARY_MARKER, type StickyContext } from './compose.js';
import { displayPath } from '../gather/diff.js';
import type { TokenUsage } from '../agent/forks.js';
import { type Severity } from '../../../base/options.js';

/** What part of the pull request a run reviews. */
export type Scope =
  /** The whole diff; `reason` says why not incrementally, when a review of this pull request happened before. */
  | { kind: 'full'; reason?: string }
  /** Only what changed since `from`, the last commit this action fully reviewed. */
  | { kind: 'incremental'; from: string };

const REVIEWED_LINE = /^<!-- codex-ci-action:reviewed:([0-9a-f]{40}) -->$/;
// Chunk lines listed in the checklist; a huge pull request's status stays readable.
const MAX_LISTED_CHUNKS = 40;
const MAX_NAMES_PER_CHUNK = 4;

/** The hidden last line that records the last fully reviewed head commit. */
export function reviewedMarker(sha: string): string {
  return `<!-- codex-ci-action:reviewed:${sha} -->`;
}

/**
 * What the plan job of a sharded review decided, recorded hidden in the status comment so that its shards and its merge
 * (and their re-runs, after the merge moved the reviewed mark) decide the same scope: the plan's id, and the commit
 * its scope was decided from (none: the whole diff).
 */
export interface PlanMark {
  planId: string;
  base: string | undefined;
}

const PLAN_LINE = /^<!-- codex-ci-action:plan:([0-9a-f]{64}):([0-9a-f]{40}|none) -->$/;

/** The hidden line that records a sharded review's plan (just above the reviewed mark, when there is one). */
export function planMarker(mark: PlanMark): string {
  return `<!-- codex-ci-action:plan:${mark.planId}:${mark.base ?? 'none'} -->`;
}

/** The plan a status comment records, read from its last two lines only (where this action writes it). */
export function planMarkIn(body: string): PlanMark | undefined {
  for (const line of body.trimEnd().split('\n').slice(-2)) {
    const match = PLAN_LINE.exec(line.trim());
    if (match) return { planId: match[1]!, base: match[2] === 'none' ? undefined : match[2] };
  }
  return undefined;
}

/** The last fully reviewed commit a status comment records, read from its final line only. */
export function lastReviewedIn(body: string): string | undefined {
  const last = body.trimEnd().split('\n').at(-1)?.trim() ?? '';
  return REVIEWED_LINE.exec(last)?.[1];
}

/** One chunk's line in the checklist. */
export interface ChunkProgress {
  index: number;
  paths: readonly string[];
  state: 'pending' | 'done' | 'failed';
}

/** What the in-progress status shows. */
export interface ProgressView {
  headSha: string;
  scope: Scope;
  files: number;
  chunks: readonly ChunkProgress[];
  runUrl: string | undefined;
  /** The last fully reviewed commit, carried over until this run has fully reviewed the new one. */
  reviewed: string | undefined;
}

/** Hidden lines a body ends with: a sharded review's plan, then the last fully reviewed commit. */
export interface Marks {
  reviewed: string | undefined;
  plan?: PlanMark | undefined;
}

/** Markdown of the status while the review runs. */
export function progressBody(v: ProgressView): string {
  const done = v.chunks.filter((c) => c.state !== 'pending').length;
  const out = [
    SUMMARY_MARKER,
    '## Codex review: in progress ⏳',
    '',
    `${scopeLine(v.headSha, v.scope)} · ${v.files} file${v.files === 1 ? '' : 's'} in ${v.chunks.length} chunk${v.chunks.length === 1 ? '' : 's'} · ${done} of ${v.chunks.length} done${runLink(v.runUrl)}`,
    '',
    ...v.chunks.slice(0, MAX_LISTED_CHUNKS).map(chunkLine(v.chunks.length)),
  ];
  if (v.chunks.length > MAX_LISTED_CHUNKS) out.push(`- … and ${v.chunks.length - MAX_LISTED_CHUNKS} more chunks`);
  return withMarker(limit(out.join('\n')), v);
}

/** What the final status shows, beyond the summary comment's own content. */
export interface DoneView extends StickyContext {
  scope: Scope;
  files: number;
  chunksOk: number;
  chunksTotal: number;
  usage: TokenUsage;
  durationMs: number;
  runUrl: string | undefined;
  /** Earlier findings the new commits addressed, with what was done in their threads. */
  addressed: ReadonlyArray<{ location: string; title: string; resolved: boolean }>;
  /** Earlier findings still open (not resolved, not addressed), by severity. */
  stillOpen: ReadonlyArray<{ severity: Severity | undefined }>;
  /** The commit to record as fully reviewed: the head when every chunk was reviewed, else the previous one. */
  reviewed: string | undefined;
  /** A sharded review's plan, kept for re-runs of its jobs. */
  plan?: PlanMark | undefined;
}

/** Markdown of the status once the review is done: the summary comment plus scope, cost and what was resolved. */
export function doneBody(v: DoneView): string {
  const complete = v.chunksOk === v.chunksTotal;
  const out = [stickyBody(v), ''];
  out.push(`${scopeLine(v.headSha, v.scope)} · ${v.chunksOk} of ${v.chunksTotal} chunk(s) reviewed${runLink(v.runUrl)}`);
  // Findings left out (an impossible location) are not "no issues": the model did report something.
  if (complete && v.kept.length === 0 && !v.leftOut) {
    out.push('', `✅ No issues found in ${v.files} file${v.files === 1 ? '' : 's'} at commit \`${v.headSha.slice(0, 7)}\`.`);
  }
  if (v.addressed.length > 0) {
    out.push('', `**Addressed by the new commits** (${v.addressed.length}):`);
    for (const a of v.addressed) out.push(`- \`${oneLine(a.location)}\` — ${oneLine(a.title)}${a.resolved ? ' (thread resolved)' : ' (answered; resolving is left to you)'}`);
  }
  if (v.stillOpen.length > 0) {
    const counts = countBySeverity(v.stillOpen.filter((f): f is { severity: Severity } => f.severity !== undefined));
    out.push('', `${v.stillOpen.length} finding(s) of earlier reviews are still open${counts ? ` (${counts})` : ''}.`);
  }
  out.push(
    '',
    `<sub>Tokens: ${v.usage.inputTokens} input (${v.usage.cachedInputTokens} cached), ${v.usage.outputTokens} output · Time: ${(v.durationMs / 1000).toFixed(1)} s</sub>`,
  );
  return withMarker(limit(out.join('\n')), v);
}

/** Markdown of the status after a run that could not review: what failed, in plain words. */
export function failedBody(v: { headSha: string; message: string; runUrl: string | undefined } & Marks): string {
  const out = [
    SUMMARY_MARKER,
    '## Codex review: failed ❌',
    '',
    `The review of commit \`${v.headSha.slice(0, 7)}\` could not be completed: ${safe(v.message).trim()}`,
    '',
    `Nothing new was posted for this commit${v.reviewed ? `; the last complete review is of \`${v.reviewed.slice(0, 7)}\`` : ''}.${runLink(v.runUrl, 'See the workflow run')}`,
  ];
  return withMarker(limit(out.join('\n')), v);
}

export function scopeLine(headSha: string, scope: Scope): string {
  const head = `\`${headSha.slice(0, 7)}\``;
  if (scope.kind === 'incremental') return `Commit ${head}: only the changes since \`${scope.from.slice(0, 7)}\` (incremental review)`;
  return `Commit ${head}: the whole diff${scope.reason ? ` (${safe(scope.reason)})` : ''}`;
}

function chunkLine(count: number) {
  return (c: ChunkProgress): string => {
    const names = c.paths.slice(0, MAX_NAMES_PER_CHUNK).map((p) => `\`${oneLine(displayPath(p)).replace(/`/g, "'")}\``);
    if (c.paths.length > MAX_NAMES_PER_CHUNK) names.push(`… ${c.paths.length - MAX_NAMES_PER_CHUNK} more`);
    const box = c.state === 'pending' ? '[ ]' : '[x]';
    return `- ${box} Chunk ${c.index} of ${count}${c.state === 'failed' ? ' (could not be reviewed)' : ''} — ${names.join(', ')}`;
  };
}

export function runLink(url: string | undefined, text = 'workflow run'): string {
  return url ? ` · [${text}](${url})` : '';
}

/** `body` followed by its hidden marks: the plan's, then the reviewed commit's as the very last line. */
export function withMarker(body: string, marks: Marks): string {
  const lines = [...(marks.plan ? [planMarker(marks.plan)] : []), ...(marks.reviewed ? [reviewedMarker(marks.reviewed)] : [])];
  return lines.length > 0 ? `${body}\n\n${lines.join('\n')}` : body;
}
