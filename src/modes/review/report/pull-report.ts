// What the report says about one reviewed pull request, as the deliver stage leaves it.
import type { PullRequest } from '../../../base/github/pulls.js';
import type { Keyed } from '../keyed.js';
import type { PostResult } from '../deliver/post.js';
import type { VerificationReport } from '../check/verified-findings.js';
import type { Scope } from '../deliver/status.js';
import { type Severity } from '../../../base/options.js';

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
  /** Earlier findings still open after an incremental review. */
  stillOpen?: Array<{ location: string; title: string; severity: Severity | undefined }>;
}
