// From the chunks' findings to what is posted: merge, filter, cap, place inline or in the body, render Markdown.
import type { Severity } from '../inputs.js';
import { SEVERITIES } from '../inputs.js';
import type { ReviewComment } from '../github/reviews.js';
import { anchor, type Anchor, type FileDiff } from './diff.js';
import { atLeast, fingerprint, fingerprintMarker, severityRank, type Finding } from './findings.js';
import { fence } from './prompts.js';

/** Marks the review bodies this action posts. */
export const REVIEW_MARKER = '<!-- codex-ci-action:review -->';
/** Marks the sticky summary comment; it is the first line of that comment. */
export const SUMMARY_MARKER = '<!-- codex-ci-action:summary -->';

// GitHub rejects bodies over 65,536 characters.
const MAX_BODY_CHARS = 60_000;

const LABEL: Record<Severity, string> = {
  critical: '🔴 Critical',
  high: '🟠 High',
  medium: '🟡 Medium',
  low: '🔵 Low',
  info: '⚪ Info',
};

/** A finding with its fingerprint. */
export interface Keyed extends Finding {
  fp: string;
}

/** The result of merging and filtering the chunks' findings. */
export interface Selection {
  /** At or above min-severity, most severe first, capped at max-comments: what is reported. */
  kept: Keyed[];
  /** At or above min-severity before the cap (the fail-on-severity gate looks at these). */
  eligible: Keyed[];
  duplicates: number;
  belowMinSeverity: number;
  overCap: number;
}

/**
 * Merges findings, drops duplicates (same fingerprint: path, line and title; the most severe copy stays),
 * keeps those at or above `minSeverity`, and caps them at `maxComments`, most severe first.
 */
export function selectFindings(findings: readonly Finding[], minSeverity: Severity, maxComments: number): Selection {
  const byFp = new Map<string, Keyed>();
  for (const f of findings) {
    const fp = fingerprint(f);
    const seen = byFp.get(fp);
    if (!seen || severityRank(f.severity) < severityRank(seen.severity)) byFp.set(fp, { ...f, fp });
  }
  const unique = [...byFp.values()];
  // Array.prototype.sort is stable: equal severities keep the chunks' order.
  const eligible = unique.filter((f) => atLeast(f.severity, minSeverity)).sort((a, b) => severityRank(a.severity) - severityRank(b.severity));
  const kept = eligible.slice(0, maxComments);
  return {
    kept,
    eligible,
    duplicates: findings.length - unique.length,
    belowMinSeverity: unique.length - eligible.length,
    overCap: eligible.length - kept.length,
  };
}

/** A finding placed inline (with its anchor) or in the review body. */
export interface Placement {
  inline: Array<{ finding: Keyed; anchor: Anchor }>;
  outside: Keyed[];
}

/** Inline when the finding's lines are inside one hunk of its file on its side; otherwise in the body. */
export function placeFindings(findings: readonly Keyed[], files: readonly FileDiff[]): Placement {
  const byPath = new Map(files.map((f) => [f.path, f]));
  const placement: Placement = { inline: [], outside: [] };
  for (const finding of findings) {
    const at = anchor(byPath.get(finding.path), finding);
    if (at) placement.inline.push({ finding, anchor: at });
    else placement.outside.push(finding);
  }
  return placement;
}

/** The review comment for an inline finding. */
export function toReviewComment(finding: Keyed, at: Anchor): ReviewComment {
  const comment: ReviewComment = { path: at.path, line: at.line, side: at.side, body: commentBody(finding, at.side) };
  if (at.startLine !== null) {
    comment.start_line = at.startLine;
    comment.start_side = at.side;
  }
  return comment;
}

/** Markdown of an inline comment: severity and title, explanation, a committable suggestion on the RIGHT side. */
export function commentBody(f: Keyed, side: 'RIGHT' | 'LEFT'): string {
  const parts = [`**${LABEL[f.severity]}: ${oneLine(f.title)}**`, safe(f.body).trim()];
  if (f.suggestion !== null) {
    const code = f.suggestion.replace(/\n+$/, '');
    parts.push(side === 'RIGHT' ? fence(code, 'suggestion') : `Suggested fix:\n${fence(code)}`);
  }
  // The marker goes after the cut, so even a cut-short comment is recognised by the next run.
  return `${limit(parts.filter((p) => p !== '').join('\n\n'))}\n\n${fingerprintMarker(f.fp)}`;
}

/** `path:line` (or `path:start-line`) of a finding; LEFT lines are marked as lines of the old version. */
export function location(f: Pick<Finding, 'path' | 'line' | 'start_line' | 'side'>): string {
  const lines = f.start_line !== null && f.start_line < f.line ? `${f.start_line}-${f.line}` : `${f.line}`;
  return `${f.path}:${lines}${f.side === 'LEFT' ? ' (old version)' : ''}`;
}

/** What the review body needs besides the findings. */
export interface ReviewContext {
  headSha: string;
  summary: string;
  /** Findings of earlier runs that are not repeated. */
  alreadyPosted: number;
  overCap: number;
  maxComments: number;
  /** Lines for the "Not reviewed" section (failed chunks, skipped files, the 3000-file limit). */
  notReviewed: string[];
  /** Set when GitHub refused to place some comments inline and they moved into the body. */
  refusedInline?: number;
}

/** Markdown of the review body: summary, counts, findings that could not go inline, what was not reviewed. */
export function reviewBody(ctx: ReviewContext, placement: Placement): string {
  const total = placement.inline.length + placement.outside.length;
  const out = [REVIEW_MARKER, `## Codex review of ${ctx.headSha.slice(0, 7)}`, '', safe(ctx.summary).trim() || '_No summary._', ''];
  const counts = countBySeverity([...placement.inline.map((p) => p.finding), ...placement.outside]);
  out.push(
    `**${total} new finding${total === 1 ? '' : 's'}**${total > 0 ? ` (${counts})` : ''}: ${placement.inline.length} inline, ${placement.outside.length} below.`,
  );
  if (ctx.alreadyPosted > 0) out.push(`${ctx.alreadyPosted} finding(s) reported by an earlier run are not repeated.`);
  if (ctx.overCap > 0) out.push(`${ctx.overCap} less severe finding(s) were left out (max-comments is ${ctx.maxComments}).`);
  if (placement.outside.length > 0) {
    out.push('', '### Findings outside the diff');
    out.push(
      ctx.refusedInline
        ? `These are about lines GitHub cannot show inline (${ctx.refusedInline} of them were refused by GitHub as inline comments).`
        : 'These are about lines this pull request does not change, so GitHub cannot show them inline.',
    );
    for (const f of placement.outside) out.push('', outsideEntry(f));
  }
  if (ctx.notReviewed.length > 0) out.push('', '### Not reviewed', ...ctx.notReviewed.map((l) => `- ${l}`));
  return limit(out.join('\n'));
}

function outsideEntry(f: Keyed): string {
  const parts = [`#### ${LABEL[f.severity]} — \`${location(f)}\` — ${oneLine(f.title)}`, safe(f.body).trim()];
  if (f.suggestion !== null) parts.push(`Suggested fix:\n${fence(f.suggestion.replace(/\n+$/, ''))}`);
  parts.push(fingerprintMarker(f.fp));
  return parts.filter((p) => p !== '').join('\n\n');
}

/** What the sticky summary comment shows. */
export interface StickyContext {
  headSha: string;
  summary: string;
  /** Everything reported for this commit (new and already posted). */
  kept: readonly Finding[];
  minSeverity: Severity;
  reviewUrl: string | undefined;
  newCount: number;
  notReviewed: string[];
}

/** Markdown of the sticky comment: latest summary, counts by severity, the commit reviewed. Starts with its marker. */
export function stickyBody(ctx: StickyContext): string {
  const rows = SEVERITIES.map((s) => `| ${LABEL[s]} | ${ctx.kept.filter((f) => f.severity === s).length} |`);
  const review = ctx.reviewUrl
    ? `Review with the new findings: ${ctx.reviewUrl}`
    : ctx.kept.length > 0
      ? 'Nothing new to post: every finding was already reported.'
      : 'No findings to post.';
  const out = [
    SUMMARY_MARKER,
    '## Codex review summary',
    '',
    `Reviewed commit \`${ctx.headSha}\`. Findings at or above **${ctx.minSeverity}**: ${ctx.kept.length} (${ctx.newCount} new in this run).`,
    '',
    safe(ctx.summary).trim() || '_No summary._',
    '',
    '| Severity | Findings |',
    '| --- | --- |',
    ...rows,
    '',
    review,
  ];
  if (ctx.notReviewed.length > 0) out.push('', '**Not reviewed**', ...ctx.notReviewed.map((l) => `- ${l}`));
  return limit(out.join('\n'));
}

/** e.g. "1 high, 2 medium". */
export function countBySeverity(findings: readonly Pick<Finding, 'severity'>[]): string {
  return SEVERITIES.map((s) => [s, findings.filter((f) => f.severity === s).length] as const)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${s}`)
    .join(', ');
}

/** Model text must not be able to forge this action's hidden markers, which are HTML comments. */
function safe(text: string): string {
  return text.replace(/<!--/g, '&lt;!--');
}

function oneLine(text: string): string {
  return safe(text).replace(/\s+/g, ' ').trim();
}

function limit(text: string): string {
  return text.length > MAX_BODY_CHARS ? `${text.slice(0, MAX_BODY_CHARS)}\n\n… (cut short: GitHub limits the length of a comment)` : text;
}
