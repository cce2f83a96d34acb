// A review run's end, the same for an unsharded run and the merge of a sharded one: its conclusion, the gate
// (fail-on-severity), the outputs and the job summary, from every pull request's report.
import type { RunContext } from '../../../base/context.js';
import { type JobOutcome } from '../../../base/outcome.js';
import { atLeast } from '../agent/findings.js';
import type { ChunkOutcome, TokenUsage } from '../agent/forks.js';
import { selectFindings } from '../deliver/compose.js';
import { MAX_LISTED_SKIPPED, type PullReport } from './pull-report.js';
import { annotate, findingsOutput, jobSummary, type SkippedReport } from './report.js';
import { log } from '../../../base/log.js';
import type { RunOptions } from '../../../base/options.js';

/**
 * Conclusions of a review run (the `conclusion` output):
 * - `skipped`: nothing was reviewed (draft or closed pull requests, or no reviewable files);
 * - `success`: reviewed, no finding at or above min-severity;
 * - `findings`: reviewed, at least one finding at or above min-severity;
 * - `incomplete`: some part of a diff could not be reviewed (the model could not answer for a chunk); findings may
 *   exist too; fails the step only with fail-on-severity;
 * - `failure`: the machinery broke (the base turn failed, the app-server died, the model endpoint refused the key):
 *   always fails the step, and nothing is posted, so no comment can suggest that unreviewed code was reviewed.
 */
export type ReviewConclusion = 'skipped' | 'success' | 'findings' | 'incomplete' | 'failure';

/** What the inputs make worth saying before a review starts (logged as warnings, kept for the job summary). */
export function startNotes(inputs: RunOptions): string[] {
  const notes: string[] = [];
  // The gate looks only at reported findings (at or above min-severity), so that a failed step always points at
  // findings the review shows. A threshold below min-severity can then only fire at min-severity: say so.
  if (inputs.failOnSeverity && !atLeast(inputs.failOnSeverity, inputs.minSeverity)) {
    const note =
      `fail-on-severity '${inputs.failOnSeverity}' is below min-severity '${inputs.minSeverity}': findings under ` +
      `'${inputs.minSeverity}' are not reported, so the gate fails only on findings at or above '${inputs.minSeverity}'. ` +
      `Lower min-severity to gate on '${inputs.failOnSeverity}'.`;
    log.warning(note);
    notes.push(note);
  }

  // A review always builds a new base thread from the base branch's conventions and the current diff (earlier
  // findings are handled by the incremental re-review): resume-thread is for answers and fixes. A warning, not an
  // error: the same inputs serve every event of a workflow.
  if (inputs.resumeThread) {
    const note = `resume-thread '${inputs.resumeThread}' is ignored: a review starts a new base thread (its id is the thread-id output). resume-thread continues a thread in answers to review comments, "@codex fix" and fix runs.`;
    log.warning(note);
    notes.push(note);
  }
  return notes;
}

/** The run's conclusion, gate, outputs and summary from every pull request's report. */
export function conclude(
  ctx: RunContext,
  reports: PullReport[],
  run: { started: number; notes: string[]; skipped: SkippedReport[]; usage: TokenUsage; baseThreadId: string | undefined },
): JobOutcome {
  const { inputs, secrets } = ctx;
  const { started, notes, skipped, usage, baseThreadId } = run;
  const anyFailed = reports.some((r) => r.chunksOk < r.chunksTotal);
  // Earlier findings an incremental review leaves open count as findings: a push that fixes nothing is not a success.
  const openEarlier = reports.flatMap((r) => (r.stillOpen ?? []).filter((o) => o.severity !== undefined && atLeast(o.severity, inputs.minSeverity)));
  const kept = reports.reduce((n, r) => n + r.kept.length, 0) + openEarlier.length;
  const conclusion: ReviewConclusion = anyFailed ? 'incomplete' : kept > 0 ? 'findings' : 'success';
  annotate(reports, secrets);

  const failures: string[] = [];
  for (const r of reports) {
    if (r.post && !r.post.posted && !r.post.forbidden) failures.push(`GitHub did not take the review of #${r.pr.number} (${r.post.message}); it is in the job summary.`);
  }
  // The gate looks at every reported finding (max-comments limits only what is posted in full), and it does not
  // pass code it has not seen: a chunk that could not be reviewed fails it too.
  const threshold = inputs.failOnSeverity;
  if (threshold) {
    const severe = reports.flatMap((r) => r.kept.filter((f) => atLeast(f.severity, threshold)));
    if (severe.length > 0) failures.push(`${severe.length} finding(s) at or above '${threshold}' (fail-on-severity).`);
    const severeOpen = openEarlier.filter((o) => atLeast(o.severity!, threshold));
    if (severeOpen.length > 0) {
      failures.push(`${severeOpen.length} finding(s) of earlier reviews at or above '${threshold}' are still open (fail-on-severity).`);
    }
    const unreviewed = reports.flatMap((r) => r.failedChunks.map((c) => `#${r.pr.number} ${c}`));
    if (unreviewed.length > 0) {
      failures.push(
        `fail-on-severity is set, but ${unreviewed.length} chunk(s) could not be reviewed: ${unreviewed.join('; ')}. ` +
          'The gate cannot pass code it has not seen. Re-run the job; if a chunk keeps failing, see its warning ' +
          '(a turn past timeout-minutes, a model error or an unusable reply) and raise timeout-minutes or leave those files out with paths-ignore.',
      );
    }
  }
  const failure = failures.length > 0 ? failures.join(' ') : undefined;
  const summary = jobSummary({ conclusion, reports, skipped, usage, durationMs: Date.now() - started, notes, secrets });
  return { conclusion, outputs: outputs(conclusion, reports, baseThreadId, secrets), summary, usage, ...(failure ? { failure } : {}) };
}

/** Says what a failed run did not post: findings of the chunks reviewed before the failure, and what was never seen. */
export function unpostedNote(
  outcomes: readonly ChunkOutcome[],
  total: number,
  minSeverity: Parameters<typeof selectFindings>[1],
  /** Pull requests not posted, when others of the batch were (each as soon as its own chunks were done). */
  unposted?: readonly number[],
): string {
  const done = outcomes.filter((o) => o.ok);
  const findings = selectFindings(done.flatMap((o) => o.review.findings), minSeverity).length;
  const unseen = [...new Set(outcomes.filter((o) => !o.ok).flatMap((o) => o.task.chunk.paths))];
  const notStarted = total - outcomes.length;
  const files = unseen.slice(0, MAX_LISTED_SKIPPED).map((p) => `\`${p}\``).join(', ');
  return (
    `${unposted ? `No review was posted for ${unposted.map((n) => `#${n}`).join(', ')}.` : 'No review was posted.'} ${done.length} of ${total} chunk(s) were reviewed before the failure (${findings} finding(s) at or ` +
    `above min-severity, not posted); not reviewed: ${files || 'none'}${unseen.length > MAX_LISTED_SKIPPED ? ', …' : ''}` +
    `${notStarted > 0 ? ` and ${notStarted} chunk(s) never started` : ''}. Re-run the job once the cause is fixed.`
  );
}

/** The action outputs of a review run (token outputs are main's, from `usage`). */
export function outputs(
  conclusion: ReviewConclusion,
  reports: readonly PullReport[],
  threadId: string | undefined,
  secrets: readonly string[],
): Record<string, string> {
  const urls = reports.flatMap((r) => (r.post?.posted ? [r.post.htmlUrl] : []));
  return {
    conclusion,
    findings: findingsOutput(reports, secrets),
    'findings-count': String(reports.reduce((n, r) => n + r.kept.length, 0)),
    'review-url': urls.join('\n'),
    'thread-id': threadId ?? '',
  };
}
