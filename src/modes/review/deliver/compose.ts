// From the chunks' findings to what is posted: merge, filter, cap, place inline or in the body, render Markdown.
import type { ReviewComment } from '../../../base/github/reviews.js';
import { anchor, type Anchor, type FileDiff } from '../gather/diff.js';
import { threadMarker, fingerprintMarker } from '../../../base/text/markers.js';
import { atLeast, fingerprint, severityRank, type DroppedFinding, type Finding } from '../agent/findings.js';
import { boundBody } from '../../../base/text/bounds.js';
import { confidenceLine, isCommittable, proofLine } from './verdict-text.js';
import type { Checked } from '../check/verify.js';
import { fence } from '../../../base/text/fence.js';
import { type Keyed } from '../keyed.js';
import { type Severity, SEVERITIES } from '../../../base/options.js';

/** Marks the review bodies this action posts. */
export const REVIEW_MARKER = '<!-- codex-ci-action:review -->';
/** Marks the sticky summary comment; it is the first line of that comment. */
export const SUMMARY_MARKER = '<!-- codex-ci-action:summary -->';

export const LABEL: Record<Severity, string> = {
  critical: '🔴 Critical',
  high: '🟠 High',
  medium: '🟡 Medium',
  low: '🔵 Low',
  info: '⚪ Info',
};

/**
 * Merges findings, puts a reversed range in order, drops duplicates (same fingerprint: path, line and normalised
 * title; the most severe copy stays) and keeps those at or above `minSeverity`, most severe first.
 */
export function selectFindings(findings: readonly Checked[], minSeverity: Severity): Keyed[] {
  const byFp = new Map<string, Keyed>();
  for (const raw of findings) {
    const f = inOrder(raw);
    const fp = fingerprint(f);
    const seen = byFp.get(fp);
    if (!seen || severityRank(f.severity) < severityRank(seen.severity)) byFp.set(fp, { ...f, fp });
  }
  // Array.prototype.sort is stable: equal severities keep the chunks' order.
  return [...byFp.values()].filter((f) => atLeast(f.severity, minSeverity)).sort((a, b) => severityRank(a.severity) - severityRank(b.severity));
}

/** A range given last line first is the same range; a one-line range is just that line. */
function inOrder<F extends Finding>(f: F): F {
  if (f.start_line === null) return f;
  if (f.start_line === f.line) return { ...f, start_line: null };
  return f.start_line > f.line ? { ...f, line: f.start_line, start_line: f.line } : f;
}

/** What earlier runs of this action already said on a pull request. */
export interface AlreadyPosted {
  /** Fingerprints from the final marker line of this action's comments and reviews. */
  fingerprints: ReadonlySet<string>;
  /** `lineKey`s of this action's live (not outdated) inline comments, at their current lines. */
  lines: ReadonlySet<string>;
}

/** Identifies a line of a file on one side of the diff. */
export function lineKey(path: string, side: string, line: number): string {
  return JSON.stringify([path, side, line]);
}

/** What a run posts: findings in full, the ones over max-comments, and how many were said before. */
export interface ToPost {
  /** New findings to post in full (inline or in the body), most severe first, at most max-comments. */
  fresh: Keyed[];
  /** New findings beyond max-comments: listed in the review body by location and title only. */
  overCap: Keyed[];
  /** Findings an earlier run already reported (same fingerprint, or a comment of ours on the same line). */
  alreadyPosted: number;
}

/**
 * Leaves out what earlier runs said, then caps at `maxComments` — in this order, so findings already on the pull
 * request do not take the room of new ones.
 */
export function planPost(eligible: readonly Keyed[], posted: AlreadyPosted, maxComments: number): ToPost {
  const isNew = (f: Keyed) => !posted.fingerprints.has(f.fp) && !posted.lines.has(lineKey(f.path, f.side, f.line));
  const news = eligible.filter(isNew);
  return { fresh: news.slice(0, maxComments), overCap: news.slice(maxComments), alreadyPosted: eligible.length - news.length };
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
  const parts = [`**${LABEL[f.severity]}: ${oneLine(f.title)}**`, f.verification ? safe(confidenceLine(f.severity, f.verification)) : '', safe(f.body).trim(), ruleLine(f)];
  if (f.suggestion !== null) {
    const code = safeCode(f.suggestion.replace(/\n+$/, ''));
    // A suggestion that does not apply or breaks the tests is shown, but not as a block GitHub would commit.
    const committable = side === 'RIGHT' && isCommittable(f.proof);
    parts.push(committable ? fence(code, 'suggestion') : `Suggested fix:\n${fence(code)}`);
    if (f.proof) parts.push(safe(proofLine(f.proof)));
  }
  // The marker goes after the cut and is the last line, so even a cut-short comment is recognised by the next run.
  const thread = f.threadId ? `${threadMarker(f.threadId)}\n` : '';
  return `${boundBody(parts.filter((p) => p !== '').join('\n\n'))}\n\n${thread}${fingerprintMarker(f.fp)}`;
}

/** Which rules file a finding rests on ('' for none): only a file the model was shown, so always one of the base branch. */
export function ruleLine(f: Pick<Finding, 'rule'>): string {
  return f.rule ? `Rule: \`${safe(oneLine(f.rule)).replaceAll('`', "'")}\` (base branch)` : '';
}

/** Severity and title from the first line of an inline comment this action posted (see commentBody). */
export function parseCommentHeading(body: string): { severity: Severity; title: string } | undefined {
  const first = body.split('\n', 1)[0] ?? '';
  for (const s of SEVERITIES) {
    const prefix = `**${LABEL[s]}: `;
    if (first.startsWith(prefix) && first.endsWith('**')) return { severity: s, title: first.slice(prefix.length, -2) };
  }
  return undefined;
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
  /** New findings beyond max-comments, listed by location and title. */
  overCap: readonly Keyed[];
  maxComments: number;
  /** Lines for the "Not reviewed" section (failed chunks, skipped files, the 3000-file limit). */
  notReviewed: string[];
  /** Set when GitHub refused to place some comments inline and they moved into the body. */
  refusedInline?: number;
  /** Findings of the model's replies that were left out (see `leftOutLine`). */
  leftOut?: readonly string[];
}

/** Introduces the list of findings the model placed where nothing can be (review body, job summary). */
export const LEFT_OUT_INTRO =
  'The model reported these findings with a location that cannot exist in this pull request (a line below 1, a ' +
  'range that ends before it starts, a file the pull request does not change) or in a shape that could not be read. ' +
  'They are not posted inline, not in the `findings` output and not counted; the rest of their reply is.';

/** One line on a finding that was left out: what the model called it, and why it was left out. */
export function leftOutLine(d: DroppedFinding): string {
  const title = d.title ? oneLine(d.title.length > 200 ? `${d.title.slice(0, 200)}…` : d.title) : `finding ${d.index + 1} of the reply`;
  return `${d.severity ? `${LABEL[d.severity]} ` : ''}${title} — ${oneLine(d.reason)}`;
}

// Findings over max-comments are listed up to this many; the rest come back on a later run.
const MAX_LISTED_OVER_CAP = 100;

/**
 * Markdown of the review body: summary, counts, findings that could not go inline, findings over max-comments,
 * what was not reviewed; the last line carries the fingerprints of every finding the body reports.
 */
export function reviewBody(ctx: ReviewContext, placement: Placement): string {
  const detailed = placement.inline.length + placement.outside.length;
  const listed = ctx.overCap.slice(0, MAX_LISTED_OVER_CAP);
  const total = detailed + ctx.overCap.length;
  const out = [REVIEW_MARKER, `## Codex review of ${ctx.headSha.slice(0, 7)}`, '', safe(ctx.summary).trim() || '_No summary._', ''];
  const counts = countBySeverity([...placement.inline.map((p) => p.finding), ...placement.outside, ...ctx.overCap]);
  const over = ctx.overCap.length > 0 ? `, ${ctx.overCap.length} listed briefly (over max-comments)` : '';
  out.push(
    `**${total} new finding${total === 1 ? '' : 's'}**${total > 0 ? ` (${counts})` : ''}: ${placement.inline.length} inline, ${placement.outside.length} below${over}.`,
  );
  if (ctx.alreadyPosted > 0) out.push(`${ctx.alreadyPosted} finding(s) reported by an earlier run are not repeated.`);
  if (placement.outside.length > 0) {
    out.push('', '### Findings not shown inline');
    const refused = ctx.refusedInline ? ` (${ctx.refusedInline} of them were refused by GitHub as inline comments)` : '';
    out.push(
      `GitHub shows a comment inline only on lines of one hunk of this pull request's diff; these findings are about other ` +
        `lines, a range across hunks, or a file the diff does not show${refused}.`,
    );
    for (const f of placement.outside) out.push('', outsideEntry(f));
  }
  if (listed.length > 0) {
    out.push('', '### More findings (over max-comments)');
    out.push(`max-comments is ${ctx.maxComments}: these less severe findings are listed without details.`, '');
    for (const f of listed) out.push(`- ${LABEL[f.severity]} \`${oneLine(location(f))}\` — ${oneLine(f.title)}`);
    if (ctx.overCap.length > listed.length) out.push(`- … and ${ctx.overCap.length - listed.length} more`);
  }
  if (ctx.leftOut?.length) out.push('', '### Findings left out', LEFT_OUT_INTRO, '', ...ctx.leftOut.map((l) => `- ${l}`));
  if (ctx.notReviewed.length > 0) out.push('', '### Not reviewed', ...ctx.notReviewed.map((l) => `- ${l}`));
  const fps = [...placement.outside, ...listed].map((f) => f.fp);
  return fps.length > 0 ? `${boundBody(out.join('\n'))}\n\n${fingerprintMarker(fps)}` : boundBody(out.join('\n'));
}

function outsideEntry(f: Keyed): string {
  const parts = [
    `#### ${LABEL[f.severity]} — \`${oneLine(location(f))}\` — ${oneLine(f.title)}`,
    f.verification ? safe(confidenceLine(f.severity, f.verification)) : '',
    safe(f.body).trim(),
    ruleLine(f),
  ];
  if (f.suggestion !== null) parts.push(`Suggested fix:\n${fence(safeCode(f.suggestion.replace(/\n+$/, '')))}`);
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
  /** How many findings of the model's replies were left out (impossible location or unreadable). */
  leftOut?: number;
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
  if (ctx.leftOut) out.push('', `${ctx.leftOut} finding(s) of the model were left out: their location cannot exist in this pull request, or they could not be read (listed in the job summary).`);
  if (ctx.notReviewed.length > 0) out.push('', '**Not reviewed**', ...ctx.notReviewed.map((l) => `- ${l}`));
  return boundBody(out.join('\n'));
}

/** e.g. "1 high, 2 medium". */
export function countBySeverity(findings: readonly Pick<Finding, 'severity'>[]): string {
  return SEVERITIES.map((s) => [s, findings.filter((f) => f.severity === s).length] as const)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${s}`)
    .join(', ');
}

/** Model text must not be able to forge this action's hidden markers, which are HTML comments. */
export function safe(text: string): string {
  return text.replace(/<!--/g, '&lt;!--');
}

/**
 * Code (a suggestion) is committed as written, so only what looks like this action's own markers is defused; an
 * ordinary HTML comment in the code stays intact. (Markers are read from a body's last line only, which a fenced
 * suggestion never is: this is a second line of defence.)
 */
function safeCode(text: string): string {
  return text.replace(/<!--(\s*codex-ci-action)/gi, '<!-\u200b-$1');
}

export function oneLine(text: string): string {
  return safe(text).replace(/\s+/g, ' ').trim();
}

/** Composed Markdown cut to what a GitHub comment may hold (see bounds.ts), the cut marked. */
export function limit(text: string): string {
  return boundBody(text);
}
