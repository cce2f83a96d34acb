// Which nested AGENTS.md files a pull request's review used, per chunk, and which it could not: the job summary's list.
import { cutNote, kib } from '../../../base/rules/render-rules.js';
import { RULES_TOTAL_MAX_BYTES } from '../../../base/rules/nested-rules.js';
import { MAX_RULE_FILES } from '../../../base/rules/rule-reader.js';
import type { ChunkOutcome } from '../agent/forks.js';

/** A rules file and the chunks it concerns. */
export interface RuleUse {
  path: string;
  chunks: number[];
  /** How it was cut, when it was (see cutNote). */
  cut?: string;
}

/** What the review did with the nested rules of one pull request. */
export interface RulesReport {
  /** Shown to the chunks listed. */
  used: RuleUse[];
  /** Applied, but past the bound of the nested rules of one chunk. */
  leftOut: RuleUse[];
  /** Applied, but not read (past the number of files read per pull request). */
  unread: RuleUse[];
  /** A listing or a read that failed, a listing GitHub cut short. */
  notes: string[];
}

/** Gathers each chunk's rules into one list per file, in the order they were first shown. */
export function rulesReport(outcomes: readonly ChunkOutcome[], notes: readonly string[] = []): RulesReport {
  const report: RulesReport = { used: [], leftOut: [], unread: [], notes: [...notes] };
  const add = (list: RuleUse[], path: string, chunk: number, cut?: string) => {
    let use = list.find((u) => u.path === path);
    if (!use) list.push((use = { path, chunks: [] }));
    if (!use.chunks.includes(chunk)) use.chunks.push(chunk);
    // One chunk may see a file whole and another only cut (the bound of all of a chunk's rules): the cut is said.
    if (cut) use.cut = cut;
  };
  for (const o of outcomes) {
    const rules = o.task.rules;
    if (!rules) continue;
    const chunk = o.task.chunk.index;
    for (const r of rules.shown) add(report.used, r.file.path, chunk, r.cut ? cutNote(r) : undefined);
    for (const f of rules.leftOut) add(report.leftOut, f.path, chunk);
    for (const f of rules.unread) add(report.unread, f.path, chunk);
  }
  return report;
}

// Files not shown are listed by name up to this many per line: a pull request across 200 folders keeps a short summary.
const MAX_NAMED = 10;

/** The job summary's lines (none when the pull request's files are under no nested rules). */
export function rulesSummary(r: RulesReport | undefined): string[] {
  if (!r || r.used.length + r.leftOut.length + r.unread.length + r.notes.length === 0) return [];
  const where = (u: RuleUse) => `\`${u.path}\` (chunk${u.chunks.length > 1 ? 's' : ''} ${u.chunks.join(', ')})`;
  const some = (uses: readonly RuleUse[]) =>
    `${uses.length} file(s): ${uses.slice(0, MAX_NAMED).map(where).join(', ')}${uses.length > MAX_NAMED ? ', …' : ''}`;
  return [
    '',
    '**Nested rules** (AGENTS.md of the base branch, each shown to the chunks of the files below its folder)',
    ...r.used.map((u) => `- ${where(u)}${u.cut ? `, ${u.cut}` : ''}`),
    ...(r.leftOut.length > 0 ? [`- not shown, over the ${kib(RULES_TOTAL_MAX_BYTES)} of nested rules per chunk: ${some(r.leftOut)}`] : []),
    ...(r.unread.length > 0 ? [`- not read, over the ${MAX_RULE_FILES} rules files read per pull request: ${some(r.unread)}`] : []),
    ...r.notes.map((n) => `- ${n}`),
  ];
}
