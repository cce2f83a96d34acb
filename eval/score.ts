// Scoring of the evaluation: which reported findings hit a labelled defect, precision, recall, cost; the table.
import type { EvalCase } from './cases.js';

/** A reported finding as the score sees it. */
export interface Reported {
  path: string;
  line: number;
  start_line: number | null;
  title: string;
}

/** Tokens of one case. */
export interface Tokens {
  input: number;
  cached: number;
  output: number;
}

/** What one case produced, verification off (the first pass: what `verify: off` posts) and on. */
export interface CaseResult {
  name: string;
  label: string;
  /** The defect's line in the new version (undefined for a clean change). */
  defectLine: number | undefined;
  off: Reported[];
  on: Reported[];
  /** Every turn of the case. */
  tokens: Tokens;
  /** The verification turns alone (part of `tokens`). */
  verifyTokens: Tokens;
  error?: string;
}

// A finding a line or two away from the labelled line is about the same defect (models anchor to a neighbour).
const SLACK = 2;

/** The line of `c.after` holding `c.defectAt` (1-based); throws when it is not on exactly one line. */
export function defectLine(c: EvalCase): number | undefined {
  if (c.defectAt === undefined) return undefined;
  const hits = c.after.split('\n').flatMap((l, i) => (l.includes(c.defectAt!) ? [i + 1] : []));
  if (hits.length !== 1) throw new Error(`case ${c.name}: defectAt must be on exactly one line, found ${hits.length}`);
  return hits[0];
}

/** True when the finding is about the labelled defect. */
export function hits(f: Reported, path: string, line: number | undefined): boolean {
  if (line === undefined || f.path !== path) return false;
  const first = Math.min(f.start_line ?? f.line, f.line) - SLACK;
  const last = Math.max(f.start_line ?? f.line, f.line) + SLACK;
  return line >= first && line <= last;
}

/** Precision (hits / findings) and recall (defects found / defects) over cases, for one side. */
export function quality(results: readonly CaseResult[], paths: ReadonlyMap<string, string>, side: 'off' | 'on') {
  let findings = 0;
  let correct = 0;
  let defects = 0;
  let found = 0;
  let cleanWithFindings = 0;
  for (const r of results) {
    const path = paths.get(r.name)!;
    const list = r[side];
    const good = list.filter((f) => hits(f, path, r.defectLine)).length;
    findings += list.length;
    correct += good;
    if (r.defectLine !== undefined) {
      defects++;
      if (good > 0) found++;
    } else if (list.length > 0) cleanWithFindings++;
  }
  return { findings, correct, defects, found, cleanWithFindings, precision: findings ? correct / findings : null, recall: defects ? found / defects : null };
}

/** Dollars for `tokens` when prices per million tokens are given (EVAL_USD_PER_1M_INPUT / _CACHED / _OUTPUT). */
export function dollars(tokens: Tokens, env: NodeJS.ProcessEnv): number | undefined {
  const input = Number(env.EVAL_USD_PER_1M_INPUT);
  const output = Number(env.EVAL_USD_PER_1M_OUTPUT);
  if (!input || !output) return undefined;
  const cached = Number(env.EVAL_USD_PER_1M_CACHED) || input;
  return ((tokens.input - tokens.cached) * input + tokens.cached * cached + tokens.output * output) / 1e6;
}

const pct = (x: number | null) => (x === null ? 'n/a' : `${(x * 100).toFixed(0)}%`);

/** The Markdown report: one row per case, then the totals with verification off and on. */
export function renderTable(results: readonly CaseResult[], paths: ReadonlyMap<string, string>, opts: { scripted: boolean; model: string; env: NodeJS.ProcessEnv }): string {
  const cost = (t: Tokens) => {
    const usd = dollars(t, opts.env);
    return `${t.input} in / ${t.output} out${usd === undefined ? '' : ` ($${usd.toFixed(4)})`}`;
  };
  const minus = (a: Tokens, b: Tokens): Tokens => ({ input: a.input - b.input, cached: a.cached - b.cached, output: a.output - b.output });
  const mark = (r: CaseResult, side: 'off' | 'on') => {
    const path = paths.get(r.name)!;
    const good = r[side].filter((f) => hits(f, path, r.defectLine)).length;
    return `${r[side].length} (${good} on target)`;
  };
  const out: string[] = [];
  if (opts.scripted) {
    out.push(
      '> **No quality figure was measured.** OPENAI_API_KEY is not set, so the cases ran against the scripted model',
      '> (it reports each labelled defect plus one planted false finding, and its verifier drops the planted one).',
      '> This checks the machinery end to end; the precision and recall below describe the script, not a model.',
      '',
    );
  } else {
    out.push(`Model: ${opts.model || 'the Codex default'} · endpoint: ${opts.env.EVAL_BASE_URL ?? opts.env.OPENAI_BASE_URL ?? 'https://api.openai.com/v1'}`, '');
  }
  out.push('| Case | Label | Findings, verify off | Findings, verify on | Cost off | Cost on |', '| --- | --- | --- | --- | --- | --- |');
  for (const r of results) {
    const row = r.error
      ? `| ${r.name} | ${r.label} | error: ${r.error.replace(/\|/g, '\\|').slice(0, 120)} | | | |`
      : `| ${r.name} | ${r.label} | ${mark(r, 'off')} | ${mark(r, 'on')} | ${cost(minus(r.tokens, r.verifyTokens))} | ${cost(r.tokens)} |`;
    out.push(row);
  }
  const ok = results.filter((r) => !r.error);
  const sum = (f: (r: CaseResult) => Tokens) =>
    ok.reduce((t, r) => ({ input: t.input + f(r).input, cached: t.cached + f(r).cached, output: t.output + f(r).output }), { input: 0, cached: 0, output: 0 });
  const totalOn = sum((r) => r.tokens);
  const totalOff = minus(totalOn, sum((r) => r.verifyTokens));
  out.push('', '| Verification | Precision | Recall | Findings on clean changes | Cost per case |', '| --- | --- | --- | --- | --- |');
  for (const side of ['off', 'on'] as const) {
    const q = quality(ok, paths, side);
    const t = side === 'on' ? totalOn : totalOff;
    const per = { input: Math.round(t.input / Math.max(1, ok.length)), cached: Math.round(t.cached / Math.max(1, ok.length)), output: Math.round(t.output / Math.max(1, ok.length)) };
    out.push(`| ${side} | ${pct(q.precision)} (${q.correct}/${q.findings}) | ${pct(q.recall)} (${q.found}/${q.defects}) | ${q.cleanWithFindings} of ${ok.filter((r) => r.defectLine === undefined).length} | ${cost(per)} |`);
  }
  if (results.length > ok.length) out.push('', `${results.length - ok.length} case(s) failed to run and are left out of the totals.`);
  return out.join('\n');
}
