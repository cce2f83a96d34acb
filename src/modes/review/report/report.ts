// What a review run reports: the job summary's Markdown, one workflow annotation per finding, the action outputs.
import {
  ANNOTATION_MESSAGE_MAX_CHARS,
  ANNOTATION_TITLE_MAX_CHARS,
  bound,
  FINDINGS_OUTPUT_MAX_CHARS,
  OUTPUT_FINDING_TEXT_MAX_CHARS,
  OUTPUT_FINDING_TITLE_MAX_CHARS,
} from '../../../base/text/bounds.js';
import { redact } from '../../../base/text/redact.js';
import { LEFT_OUT_INTRO, location } from '../deliver/compose.js';
import type { Finding } from '../agent/findings.js';
import type { TokenUsage } from '../agent/forks.js';
import { verificationSection, verificationTotals } from './verification-report.js';
import type { Scope } from '../deliver/status.js';
import { type PullReport } from './pull-report.js';
import { rulesSummary } from './rules-report.js';
import { log, type AnnotationProperties } from '../../../base/log.js';

/** A pull request that was not reviewed, and why. */
export interface SkippedReport {
  number: number;
  title?: string;
  reason: string;
}

/**
 * The findings as the `findings` output: exactly the schema's fields, in report order (most severe first). Long
 * texts are cut with a marker; when the whole list would pass the output's bound, the least severe findings are left
 * out of it (with a warning: `findings-count` still counts them, and the review and job summary list them).
 */
export function findingsOutput(reports: readonly PullReport[], secrets: readonly string[]): string {
  const findings: Array<Finding & Record<string, unknown>> = reports.flatMap((r) =>
    r.kept.map((f) => ({
      path: f.path,
      line: f.line,
      start_line: f.start_line,
      side: f.side,
      severity: f.severity,
      title: bound(f.title, OUTPUT_FINDING_TITLE_MAX_CHARS),
      body: bound(f.body, OUTPUT_FINDING_TEXT_MAX_CHARS, CUT_IN_OUTPUT),
      suggestion: f.suggestion === null ? null : bound(f.suggestion, OUTPUT_FINDING_TEXT_MAX_CHARS, CUT_IN_OUTPUT),
      // The rules file (a nested AGENTS.md of the base branch, or a conventions file) the finding rests on.
      rule: f.rule,
      // The verification pass's verdict (null: verify off, or the pass failed for the finding's chunk).
      confidence: f.verification?.confidence ?? null,
      verdict: f.verification?.verdict ?? null,
      verdict_reason: f.verification?.reason === undefined ? null : bound(f.verification.reason, OUTPUT_FINDING_TEXT_MAX_CHARS, CUT_IN_OUTPUT),
      // proven | applies | does-not-apply | breaks-tests, or null when the suggestion was not checked.
      suggestion_check: f.proof?.status ?? null,
    })),
  );
  const items = findings.map((f) => redact(JSON.stringify(f), secrets));
  let size = 2;
  let kept = 0;
  while (kept < items.length && size + items[kept]!.length + 1 <= FINDINGS_OUTPUT_MAX_CHARS) size += items[kept++]!.length + 1;
  if (kept < items.length) {
    log.warning(`The findings output lists the ${kept} most severe of ${items.length} findings: the rest would pass its size bound (${FINDINGS_OUTPUT_MAX_CHARS} characters).`);
  }
  return `[${items.slice(0, kept).join(',')}]`;
}

const CUT_IN_OUTPUT = '… (cut short; the review has the whole text)';

/** One annotation per finding: error for critical/high, warning for medium/low, notice for info. */
export function annotate(reports: readonly PullReport[], secrets: readonly string[]): void {
  for (const r of reports) {
    for (const f of r.kept) {
      // A LEFT-side line number belongs to the old version; pinning it to the new file would point at the wrong line.
      const title = redact(`[${f.severity}] ${f.title.replace(/\s+/g, ' ')}`, secrets);
      const props: AnnotationProperties = { title: bound(title, ANNOTATION_TITLE_MAX_CHARS), file: f.path };
      if (f.side === 'RIGHT') {
        props.startLine = f.start_line ?? f.line;
        if (f.start_line !== null) props.endLine = f.line;
      }
      const message = bound(redact(f.body || f.title, secrets), ANNOTATION_MESSAGE_MAX_CHARS, '… (cut short; the review and the job summary have the whole text)');
      if (f.severity === 'critical' || f.severity === 'high') log.error(message, props);
      else if (f.severity === 'info') log.notice(message, props);
      else log.warning(message, props);
    }
  }
}

/** The job summary: totals, then per pull request its findings table, its review, and what was not reviewed. */
export function jobSummary(opts: {
  conclusion: string;
  reports: readonly PullReport[];
  skipped: readonly SkippedReport[];
  usage: TokenUsage;
  durationMs: number;
  notes: readonly string[];
  secrets: readonly string[];
}): string {
  const chunks = opts.reports.reduce((n, r) => n + r.chunksTotal, 0);
  const ok = opts.reports.reduce((n, r) => n + r.chunksOk, 0);
  const retried = opts.reports.reduce((n, r) => n + r.chunksRetried, 0);
  const out = [
    '## Codex review',
    '',
    `**Conclusion:** ${opts.conclusion} · **Chunks reviewed:** ${ok} of ${chunks}${retried > 0 ? ` (${retried} retried)` : ''} · ` +
      `**Time:** ${(opts.durationMs / 1000).toFixed(1)} s · **Tokens:** ${opts.usage.inputTokens} input ` +
      `(${opts.usage.cachedInputTokens} cached), ${opts.usage.outputTokens} output` +
      verificationTotals(opts.reports),
  ];
  for (const note of opts.notes) out.push('', `> ${note}`);
  for (const r of opts.reports) {
    out.push('', `### Pull request #${r.pr.number}: ${cell(r.pr.title)}`, '');
    out.push(`Commit \`${r.pr.headSha.slice(0, 12)}\` · ${postLine(r)}`);
    if (r.scope) out.push('', scopeText(r.scope));
    if (r.kept.length > 0) {
      out.push('', '| Severity | Confidence | File:line | Title |', '| --- | --- | --- | --- |');
      for (const f of r.kept) out.push(`| ${f.severity} | ${f.verification ? f.verification.confidence.toFixed(2) : '–'} | \`${cell(location(f))}\` | ${cell(f.title)} |`);
    } else if (r.chunksOk === r.chunksTotal && r.filesReviewed !== undefined) {
      out.push('', `No issues found in ${r.filesReviewed} file(s) at commit \`${r.pr.headSha.slice(0, 12)}\`.`);
    } else {
      out.push('', 'No findings at or above min-severity.');
    }
    if (r.leftOut.length > 0) out.push('', '**Findings left out**', '', LEFT_OUT_INTRO, '', ...r.leftOut.map((l) => `- ${l}`));
    if (r.addressed && r.addressed.length > 0) {
      out.push('', '**Earlier findings addressed by the push**');
      for (const a of r.addressed) out.push(`- \`${cell(a.location)}\` ${cell(a.title)}${a.resolved ? ' (thread resolved)' : ' (answered, left open)'}`);
    }
    if (r.stillOpen && r.stillOpen.length > 0) {
      out.push('', `**Earlier findings still open** (${r.stillOpen.length})`);
      for (const o of r.stillOpen) out.push(`- ${o.severity ?? 'unknown'} \`${cell(o.location)}\` ${cell(o.title)}`);
    }
    if (r.notReviewed.length > 0) out.push('', '**Not reviewed**', ...r.notReviewed.map((l) => `- ${l}`));
    out.push(...rulesSummary(r.rules));
    if (r.verification) out.push(...verificationSection(r.kept, r.verification));
    if (r.post && !r.post.posted) {
      const why = r.post.forbidden
        ? `GitHub refused to post this review (${cell(r.post.message)}). A read-only token — as a pull request from a fork gets on \`pull_request\` events — cannot post reviews; the full review follows.`
        : `GitHub failed to take this review (${cell(r.post.message)}); the full review follows.`;
      out.push(
        '',
        `> [!WARNING]\n> ${why}`,
        '',
        '<details open><summary>The review that was not posted</summary>',
        '',
        r.post.markdown,
        '',
        '</details>',
      );
    }
  }
  if (opts.skipped.length > 0) {
    out.push('', '### Not reviewed pull requests');
    for (const s of opts.skipped) out.push(`- #${s.number}${s.title ? ` ${cell(s.title)}` : ''}: ${s.reason}`);
  }
  return redact(out.join('\n'), opts.secrets);
}

function postLine(r: PullReport): string {
  if (r.post === null) return r.kept.length > 0 ? 'nothing new to post (already reported)' : 'no review posted (no findings)';
  if (!r.post.posted) return '**review not posted** (see below)';
  const moved = r.post.movedToBody > 0 ? `, ${r.post.movedToBody} moved into the body after GitHub refused them inline` : '';
  return `[review](${r.post.htmlUrl}) with ${r.newCount} new finding(s), ${r.post.inline} inline${moved}`;
}

function scopeText(scope: Scope): string {
  if (scope.kind === 'incremental') return `Incremental review: only the changes since \`${scope.from.slice(0, 12)}\`.`;
  return `Full review${scope.reason ? `: ${cell(scope.reason)}` : ''}.`;
}

/** Text safe inside one Markdown table cell. */
function cell(text: string): string {
  return text.replace(/\s+/g, ' ').replace(/\|/g, '\\|').trim();
}
