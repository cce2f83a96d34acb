// What the report says about one reviewed pull request, and how it is first built from its chunks' outcomes (the
// same for a posted review and a reported one).
import type { PullRequest } from '../../../base/github/pulls.js';
import type { Keyed } from '../keyed.js';
import type { PostResult } from '../deliver/post.js';
import type { VerificationReport } from '../check/verified-findings.js';
import type { Scope } from '../deliver/status.js';
import { addUsage, ZERO_USAGE, type ChunkOutcome, type TokenUsage } from '../agent/forks.js';
import { verifiedFindings } from '../check/verified-findings.js';
import { leftOutLine, selectFindings } from '../deliver/compose.js';
import { TRUNCATED_NOTE, type GatheredPull } from '../gather/gather.js';
import { type Severity } from '../../../base/options.js';
import { rulesReport, type RulesReport } from './rules-report.js';

/** Everything the report says about one reviewed pull request. */
export interface PullReport {
  pr: PullRequest;
  /**
   * Every finding at or above min-severity, new or reported before, most severe first: the outputs, annotations and
   * job summary list them and fail-on-severity looks at them (max-comments only limits what is posted in full).
   */
  kept: Keyed[];
  /** Findings this run put in its review (in full, or listed over max-comments). */
  newCount: number;
  chunksTotal: number;
  chunksOk: number;
  chunksRetried: number;
  /** The chunks that could not be reviewed, e.g. "chunk 2 of 3 (`a.ts`)". */
  failedChunks: string[];
  /** Lines for "Not reviewed": failed chunks, skipped files, GitHub's file limit. */
  notReviewed: string[];
  /** Findings of the model's replies that were left out, one line each (see compose.leftOutLine). */
  leftOut: string[];
  /** null when there was nothing new to post. */
  post: PostResult | null;
  /** What the verification pass and the suggestion checks did (absent in reports built without them). */
  verification?: VerificationReport;
  /** What was reviewed: the whole diff or only the push (and why not incrementally). */
  scope?: Scope;
  /** How many files the model was shown. */
  filesReviewed?: number;
  /** Earlier findings the push addressed: where, and whether their thread was resolved. */
  addressed?: Array<{ location: string; title: string; resolved: boolean }>;
  /** The nested AGENTS.md the chunks were shown, and what could not be shown. */
  rules?: RulesReport;
  /** Earlier findings still open after an incremental review. */
  stillOpen?: Array<{ location: string; title: string; severity: Severity | undefined }>;
}

/** Files left out are listed by name up to this many, so a huge pull request's review body stays readable. */
export const MAX_LISTED_SKIPPED = 50;

/**
 * A pull request's report before delivery: its verified findings at or above min-severity, what could not be
 * reviewed and why, the findings left out of the replies; plus the chunks' summaries and token usage.
 */
export function reportOf(
  g: GatheredPull,
  outcomes: readonly ChunkOutcome[],
  options: { minConfidence: number; minSeverity: Severity; ruleNotes?: readonly string[] },
): { report: PullReport; summary: string; usage: TokenUsage } {
  const checked = verifiedFindings(outcomes, options.minConfidence, options.minSeverity);
  const failed = outcomes.filter((o): o is Extract<ChunkOutcome, { ok: false }> => !o.ok);
  const chunkName = (o: ChunkOutcome) => `chunk ${o.task.chunk.index} of ${o.task.chunkCount} (${o.task.chunk.paths.map((p) => `\`${p}\``).join(', ')})`;
  const notReviewed = [
    ...failed.map((o) => `${capitalise(chunkName(o))}: ${o.error}`),
    ...g.skipped.slice(0, MAX_LISTED_SKIPPED).map((s) => `\`${s.path}\`: ${s.reason}`),
    ...(g.skipped.length > MAX_LISTED_SKIPPED ? [`… and ${g.skipped.length - MAX_LISTED_SKIPPED} more skipped files`] : []),
    ...(g.truncated ? [TRUNCATED_NOTE] : []),
  ];
  const report: PullReport = {
    pr: g.pr,
    kept: selectFindings(checked.kept, options.minSeverity),
    newCount: 0,
    chunksTotal: outcomes.length,
    chunksOk: outcomes.length - failed.length,
    chunksRetried: outcomes.filter((o) => o.attempts > 1).length,
    failedChunks: failed.map(chunkName),
    notReviewed,
    leftOut: outcomes.flatMap((o) => (o.ok ? o.review.dropped.map(leftOutLine) : [])),
    post: null,
    verification: checked.report,
    rules: rulesReport(outcomes, options.ruleNotes),
  };
  const summary = outcomes.flatMap((o) => (o.ok && o.review.summary.trim() ? [o.review.summary.trim()] : [])).join('\n\n');
  return { report, summary, usage: outcomes.reduce((u, o) => addUsage(u, o.usage), ZERO_USAGE) };
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
