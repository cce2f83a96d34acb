// The CLI's report of a review as text for a terminal or as Markdown: findings grouped by file, each with its lines
// of code, then what was not reviewed. Pure: data in, text out.
import type { Hunk } from '../modes/review/gather/diff.js';
import type { Keyed } from '../modes/review/keyed.js';
import type { PullReport } from '../modes/review/report/pull-report.js';
import { rulesSummary } from '../modes/review/report/rules-report.js';
import { SEVERITIES, type Severity } from '../base/options.js';
import { fence } from '../base/text/fence.js';
import type { Paint } from './terminal.js';

/** The diff's hunks per path: where a finding's lines of code are shown from. */
export type HunksByPath = ReadonlyMap<string, readonly Hunk[]>;

const MAX_CODE_LINES = 8;

/** The finding's lines (its side of the diff), at most MAX_CODE_LINES, with their numbers. */
function codeLines(f: Keyed, hunks: HunksByPath): Array<{ n: number; text: string }> {
  const from = f.start_line ?? f.line;
  const out: Array<{ n: number; text: string }> = [];
  for (const hunk of hunks.get(f.path) ?? []) {
    for (const line of hunk.lines) {
      const n = f.side === 'LEFT' ? line.old : line.new;
      if (n !== null && n >= from && n <= f.line && (f.side === 'LEFT' ? line.kind !== 'add' : line.kind !== 'del')) out.push({ n, text: line.text });
    }
  }
  return out.slice(0, MAX_CODE_LINES);
}

function grouped(findings: readonly Keyed[]): Array<[string, Keyed[]]> {
  const byPath = new Map<string, Keyed[]>();
  for (const f of findings) byPath.set(f.path, [...(byPath.get(f.path) ?? []), f]);
  return [...byPath.entries()];
}

function lines(f: Keyed): string {
  const range = f.start_line !== null && f.start_line < f.line ? `${f.start_line}-${f.line}` : `${f.line}`;
  return f.side === 'LEFT' ? `${range} (old version)` : range;
}

function counts(findings: readonly Keyed[]): string {
  const by = (s: Severity) => findings.filter((f) => f.severity === s).length;
  return SEVERITIES.filter((s) => by(s) > 0).map((s) => `${by(s)} ${s}`).join(', ');
}

/** The report for a terminal; `paint` adds colour only when stdout is a TTY. */
export function renderText(report: PullReport, hunks: HunksByPath, paint: Paint): string {
  const colour: Record<Severity, (t: string) => string> = { critical: paint.red, high: paint.red, medium: paint.yellow, low: paint.blue, info: paint.dim };
  const out: string[] = [];
  for (const [path, findings] of grouped(report.kept)) {
    out.push(paint.bold(path));
    for (const f of findings) {
      out.push(`  ${colour[f.severity](f.severity.toUpperCase())} ${paint.bold(f.title)}  ${paint.dim(`${path}:${lines(f)}`)}`);
      for (const { n, text } of codeLines(f, hunks)) out.push(paint.dim(`    ${String(n).padStart(5)} │ `) + text);
      for (const line of f.body.trim().split('\n')) out.push(`    ${line}`);
      if (f.rule) out.push(paint.dim(`    rule: ${f.rule} (base branch)`));
      if (f.suggestion) {
        out.push(paint.green(`    suggestion${f.proof ? ` (${f.proof.status})` : ''}:`));
        for (const line of f.suggestion.split('\n')) out.push(paint.green(`      ${line}`));
      }
      out.push('');
    }
  }
  out.push(summaryLine(report));
  for (const line of report.notReviewed) out.push(paint.yellow(`not reviewed: ${line}`));
  return `${out.join('\n')}\n`;
}

/** The report as Markdown (a pull request comment, a chat message, a file). */
export function renderMarkdown(report: PullReport, hunks: HunksByPath): string {
  const out: string[] = [`## Codex review: ${report.pr.headRef} against ${report.pr.baseRef}`, '', summaryLine(report), ''];
  for (const [path, findings] of grouped(report.kept)) {
    out.push(`### \`${path}\``, '');
    for (const f of findings) {
      out.push(`#### ${f.severity}: ${f.title} (line ${lines(f)})`, '');
      const code = codeLines(f, hunks);
      if (code.length > 0) out.push(fence(code.map((c) => c.text).join('\n')), '');
      out.push(f.body.trim(), '');
      if (f.rule) out.push(`Rule: \`${f.rule}\` (base branch)`, '');
      if (f.suggestion) out.push(`Suggestion${f.proof ? ` (${f.proof.status})` : ''}:`, '', fence(f.suggestion), '');
    }
  }
  if (report.notReviewed.length > 0) out.push('### Not reviewed', '', ...report.notReviewed.map((l) => `- ${l}`), '');
  out.push(...rulesSummary(report.rules), '');
  return `${out.join('\n').trimEnd()}\n`;
}

function summaryLine(report: PullReport): string {
  const found = report.kept.length === 0 ? 'no findings' : `${report.kept.length} finding(s): ${counts(report.kept)}`;
  const chunks = report.chunksOk < report.chunksTotal ? `; ${report.chunksTotal - report.chunksOk} of ${report.chunksTotal} chunk(s) could not be reviewed` : '';
  return `${found} in ${report.filesReviewed ?? 0} file(s)${chunks}.`;
}
