// From the shards' results to what an unsharded review would have had at the same point: one outcome per chunk of the
// plan (a chunk no shard accounts for is a chunk that could not be reviewed, with the reason), the suggestion proofs,
// the usage; and the job summary's per-shard rows. Pure.
import { addUsage, ZERO_USAGE, type ChunkOutcome, type ChunkTask, type TokenUsage } from '../agent/forks.js';
import { verifiedFindings } from '../check/verified-findings.js';
import { selectFindings } from '../deliver/compose.js';
import type { SuggestionProof } from '../keyed.js';
import type { Severity } from '../../../base/options.js';
import type { CollectedShard } from './collect.js';
import { shardName } from './shard-plan.js';
import { outcomesOf } from './shard-result.js';

/** What the merge delivers from. */
export interface Merged {
  /** Every chunk of the plan, in the plan's order. */
  outcomes: ChunkOutcome[];
  proofs: Map<string, SuggestionProof>;
  /** The shards' notes (suggestion checks, prompt files), each once. */
  notes: string[];
  /** Every token of every shard, base threads included. */
  usage: TokenUsage;
  /** The tokens of the shards' base threads: what sharding adds. */
  baseUsage: TokenUsage;
  /** When the first shard started (undefined: none reported). */
  startedAt: number | undefined;
  baseThreadIds: string[];
  rows: ShardRow[];
}

/** One shard's row in the job summary. */
export interface ShardRow {
  name: string;
  chunks: number;
  reviewed: number;
  findings: number;
  usage: TokenUsage;
  baseUsage: TokenUsage;
  durationMs: number | undefined;
  state: string;
}

/** Puts the shards' outcomes on the merge's tasks; the chunks a shard did not account for get its reason. */
export function mergeShards(collected: readonly CollectedShard[], tasks: readonly ChunkTask[], opts: { minConfidence: number; minSeverity: Severity }): Merged {
  const byIndex = new Map(tasks.map((t) => [t.chunk.index, t]));
  const merged: Merged = { outcomes: [], proofs: new Map(), notes: [], usage: ZERO_USAGE, baseUsage: ZERO_USAGE, startedAt: undefined, baseThreadIds: [], rows: [] };
  for (const c of collected) {
    const reported = c.found ? outcomesOf(c.result, byIndex) : [];
    const have = new Set(reported.map((o) => o.task.chunk.index));
    const why = c.found ? (c.result.failure ?? `${shardName(c.shard)} did not report this chunk`) : c.why;
    const missing = c.slice
      .filter((chunk) => !have.has(chunk.index))
      .map((chunk): ChunkOutcome => ({ task: byIndex.get(chunk.index)!, ok: false, error: `not reviewed: ${why}`, attempts: 0, threadId: null, usage: ZERO_USAGE, durationMs: 0 }));
    const mine = [...reported, ...missing];
    merged.outcomes.push(...mine);
    const usage = c.found ? c.result.usage.total : ZERO_USAGE;
    const baseUsage = c.found ? c.result.usage.base : ZERO_USAGE;
    if (c.found) {
      for (const p of c.result.proofs) merged.proofs.set(p.fp, { status: p.status, note: p.note });
      for (const n of c.result.notes) if (!merged.notes.includes(n)) merged.notes.push(n);
      merged.usage = addUsage(merged.usage, usage);
      merged.baseUsage = addUsage(merged.baseUsage, baseUsage);
      merged.startedAt = Math.min(merged.startedAt ?? c.result.startedAt, c.result.startedAt);
      if (c.result.baseThreadId) merged.baseThreadIds.push(c.result.baseThreadId);
    }
    const findings = selectFindings(verifiedFindings(reported, opts.minConfidence, opts.minSeverity).kept, opts.minSeverity).length;
    merged.rows.push({
      name: `${c.shard.index} of ${c.shard.count}`,
      chunks: c.slice.length,
      reviewed: reported.filter((o) => o.ok).length,
      findings,
      usage,
      baseUsage,
      durationMs: c.found ? c.result.durationMs : undefined,
      state: !c.found ? `**no results**: ${c.why}` : c.result.failure ? `**failed**: ${c.result.failure}` : mine.some((o) => !o.ok) ? 'incomplete' : 'done',
    });
  }
  merged.outcomes.sort((a, b) => a.task.chunk.index - b.task.chunk.index);
  return merged;
}

/** The job summary's section on the shards: one row each, and what the base threads cost. */
export function shardsSection(m: Pick<Merged, 'rows' | 'baseUsage' | 'usage'>): string {
  const cell = (t: string) => t.replace(/\s+/g, ' ').replace(/\|/g, '\\|').trim();
  const tokens = (u: TokenUsage) => `${u.inputTokens} / ${u.cachedInputTokens} / ${u.outputTokens}`;
  const out = [
    '',
    '### Shards',
    '',
    '| Shard | Chunks | Reviewed | Findings | Tokens (input / cached / output) | Base thread | Time | Result |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...m.rows.map(
      (r) =>
        `| ${r.name} | ${r.chunks} | ${r.reviewed} | ${r.findings} | ${tokens(r.usage)} | ${tokens(r.baseUsage)} | ${r.durationMs === undefined ? '–' : `${(r.durationMs / 1000).toFixed(1)} s`} | ${cell(r.state)} |`,
    ),
  ];
  const bases = m.rows.filter((r) => r.baseUsage.inputTokens > 0).length;
  if (bases > 1) {
    out.push(
      '',
      `Each shard builds its own base thread (the conventions and instructions turn): ${bases} base threads took ${m.baseUsage.inputTokens} input ` +
        `tokens (${m.baseUsage.cachedInputTokens} cached) and ${m.baseUsage.outputTokens} output of the ${m.usage.inputTokens} input tokens in all; ` +
        `one job would have needed one.`,
    );
  }
  return out.join('\n');
}
