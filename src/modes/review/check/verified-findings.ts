// A pull request's findings after the verification pass: what goes on to be posted, what was dropped and why.
import { atLeast } from '../agent/findings.js';
import { addUsage, ZERO_USAGE, type ChunkOutcome, type TokenUsage } from '../agent/forks.js';
import { applyVerdicts, type Checked, type Dropped } from './verify.js';
import { type Severity } from '../../../base/options.js';

/** What the job summary says about the verification of one pull request. */
export interface VerificationReport {
  /** Findings (at or above min-severity) the pass stopped, with the reason: listed in the job summary, never posted. */
  dropped: Dropped[];
  /** Chunks whose verification failed: their findings went on unverified. */
  failures: string[];
  /** Other notes (suggestion checks that could not run, …). */
  notes: string[];
  /** Tokens of the verification turns (also part of the run's totals). */
  usage: TokenUsage;
  /** Chunks whose findings were verified. */
  chunksVerified: number;
}

/** Applies each chunk's verdicts: kept findings (with their verdicts) and the report of the pass. */
export function verifiedFindings(
  outcomes: readonly ChunkOutcome[],
  minConfidence: number,
  minSeverity: Severity,
): { kept: Checked[]; report: VerificationReport } {
  const report: VerificationReport = { dropped: [], failures: [], notes: [], usage: ZERO_USAGE, chunksVerified: 0 };
  const kept: Checked[] = [];
  for (const o of outcomes) {
    if (!o.ok) continue;
    const v = o.verification;
    if (v) {
      report.usage = addUsage(report.usage, v.usage);
      if (v.ok) report.chunksVerified++;
      else {
        report.failures.push(
          `The verification of chunk ${o.task.chunk.index} of ${o.task.chunkCount} failed (${v.error}); its ${o.review.findings.length} finding(s) are reported unverified.`,
        );
      }
    }
    // The verdicts are those of the findings at or above min-severity (the only ones verified, and reported).
    const split = applyVerdicts(o.review.findings.filter((f) => atLeast(f.severity, minSeverity)), v, minConfidence);
    // Each finding keeps the fork that reported it: its comment records the thread, so a reply can resume it.
    for (const f of split.kept) kept.push(Object.assign(f, { threadId: o.threadId }));
    report.dropped.push(...split.dropped);
  }
  return { kept, report };
}
