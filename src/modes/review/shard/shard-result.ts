// What a shard hands to the merge job, as the JSON file of its artifact: its chunks' outcomes (findings, dropped
// findings, verdicts), its suggestion proofs, usage and any failure. Written from typed outcomes; read back as
// untrusted data (an artifact is whatever was uploaded under its name), parsed with zod and checked against the plan.
import { z } from 'zod';
import type { ShardSpec } from '../../../base/options.js';
import { findingSchema, readFinding, severity, atLeast } from '../agent/findings.js';
import type { ChunkOutcome, ChunkTask, TokenUsage } from '../agent/forks.js';
import type { Chunk } from '../gather/chunks.js';
import type { SuggestionProof } from '../keyed.js';
import { chunkId } from './shard-plan.js';
import type { Severity } from '../../../base/options.js';

/** The file inside each shard's artifact. */
export const SHARD_RESULT_FILE = 'shard-result.json';
/** Larger artifacts are refused unread: a shard's findings are kilobytes, not this. */
export const MAX_SHARD_RESULT_BYTES = 64 * 1024 * 1024;

const text = z.string().max(1_000_000);
const count = z.number().int().nonnegative();
const usageSchema = z.object({ inputTokens: count, cachedInputTokens: count, outputTokens: count });
const verdictSchema = z.object({ verdict: z.enum(['keep', 'drop']), confidence: z.number().min(0).max(1), reason: text });
const verificationSchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), verdicts: z.array(verdictSchema), attempts: count, usage: usageSchema }),
  z.object({ ok: z.literal(false), error: text, attempts: count, usage: usageSchema }),
]);
const droppedSchema = z.object({ index: count, reason: text, title: text.optional(), severity: severity.optional() });
const fingerprint = z.string().regex(/^[0-9a-f]{16}$/);
const common = {
  chunk: z.number().int().positive(),
  attempts: count,
  usage: usageSchema,
  durationMs: count,
  /** Fingerprints of the earlier findings the chunk's prompt listed (only those can be reported addressed). */
  earlierShown: z.array(fingerprint),
};
const outcomeSchema = z.discriminatedUnion('ok', [
  z.object({
    ...common,
    ok: z.literal(true),
    threadId: z.string().min(1).max(200),
    review: z.object({ summary: text, findings: z.array(findingSchema), dropped: z.array(droppedSchema), addressed: z.array(fingerprint).optional() }),
    verification: verificationSchema.optional(),
  }),
  z.object({ ...common, ok: z.literal(false), error: text, threadId: z.string().min(1).max(200).nullable() }),
]);

export const shardResultSchema = z.object({
  v: z.literal(1),
  planId: z.string().regex(/^[0-9a-f]{64}$/),
  pr: z.number().int().positive(),
  /** Null only in a failure's artifact written before the shard read the pull request. */
  headSha: z.string().regex(/^[0-9a-f]{40}$/).nullable(),
  shard: z.object({ index: z.number().int().positive(), count: z.number().int().positive() }),
  /** The ids of the chunks the shard was given (chunkId), in order: they must be the plan's. */
  chunks: z.array(z.string()),
  outcomes: z.array(outcomeSchema),
  proofs: z.array(z.object({ fp: fingerprint, status: z.enum(['proven', 'applies', 'does-not-apply', 'breaks-tests']), note: text })),
  notes: z.array(text),
  usage: z.object({ base: usageSchema, total: usageSchema }),
  baseThreadId: z.string().max(200).nullable(),
  startedAt: count,
  durationMs: count,
  /** Why the shard did not review all its chunks (the app-server died, the plan changed, GitHub failed, …). */
  failure: text.optional(),
});

export type ShardResult = z.infer<typeof shardResultSchema>;

/** The artifact of one shard: one name per pull request, shard, plan and run attempt (a name is taken once per run). */
export function shardArtifactName(pr: number, spec: ShardSpec, planId: string, attempt: number): string {
  return `codex-review-pr${pr}-shard-${spec.index}-of-${spec.count}-${planId.slice(0, 12)}${attempt > 1 ? `-attempt-${attempt}` : ''}`;
}

const NAME = /^codex-review-pr(\d+)-shard-(\d+)-of-(\d+)-([0-9a-f]{12})(?:-attempt-(\d+))?$/;

/** What an artifact's name says (only a hint: the content decides), or undefined for other artifacts. */
export function parseArtifactName(name: string): { pr: number; shard: ShardSpec; planPrefix: string; attempt: number } | undefined {
  const m = NAME.exec(name);
  if (!m) return undefined;
  return { pr: Number(m[1]), shard: { index: Number(m[2]), count: Number(m[3]) }, planPrefix: m[4]!, attempt: Number(m[5] ?? '1') };
}

/** What a shard did, as its artifact says it. */
export interface ShardWork {
  planId: string;
  pr: number;
  headSha: string | undefined;
  shard: ShardSpec;
  slice: readonly Chunk[];
  outcomes: readonly ChunkOutcome[];
  proofs: ReadonlyMap<string, SuggestionProof>;
  notes: readonly string[];
  baseUsage: TokenUsage;
  totalUsage: TokenUsage;
  baseThreadId: string | undefined;
  startedAt: number;
  durationMs: number;
  failure?: string | undefined;
}

/** The artifact's JSON for a shard's work. */
export function shardResultOf(w: ShardWork): ShardResult {
  return {
    v: 1,
    planId: w.planId,
    pr: w.pr,
    headSha: w.headSha ?? null,
    shard: { index: w.shard.index, count: w.shard.count },
    chunks: w.slice.map(chunkId),
    outcomes: w.outcomes.map((o) => {
      const base = { chunk: o.task.chunk.index, attempts: o.attempts, usage: o.usage, durationMs: Math.round(o.durationMs), earlierShown: o.task.incremental?.earlier.map((e) => e.fp) ?? [] };
      if (!o.ok) return { ...base, ok: false as const, error: o.error, threadId: o.threadId };
      const review = { summary: o.review.summary, findings: o.review.findings, dropped: o.review.dropped, ...(o.review.addressed ? { addressed: o.review.addressed } : {}) };
      return { ...base, ok: true as const, threadId: o.threadId, review, ...(o.verification ? { verification: o.verification } : {}) };
    }),
    proofs: [...w.proofs].map(([fp, p]) => ({ fp, status: p.status, note: p.note })),
    notes: [...w.notes],
    usage: { base: w.baseUsage, total: w.totalUsage },
    baseThreadId: w.baseThreadId ?? null,
    startedAt: Math.round(w.startedAt),
    durationMs: Math.round(w.durationMs),
    ...(w.failure ? { failure: w.failure } : {}),
  };
}

/** What the merge expects of one shard's artifact: the plan's values, recomputed by the merge itself. */
export interface ShardExpectation {
  planId: string;
  pr: number;
  headSha: string;
  shard: ShardSpec;
  slice: readonly Chunk[];
  /** Every file of the pull request: a finding elsewhere cannot have come from a review of it. */
  allPaths: readonly string[];
  minSeverity: Severity;
}

/** An artifact read and checked, or why it cannot be used (said to the user: the shard's chunks are not reviewed). */
export type ReadShard = { ok: true; result: ShardResult } | { ok: false; why: string; otherPlan?: boolean };

/**
 * Parses a shard's artifact and checks it belongs to this plan: the same plan-id, pull request, head and shard, the
 * plan's chunks, outcomes only for those chunks, findings only on the pull request's files, one verdict per verified
 * finding. Anything else refuses the whole artifact: its chunks count as not reviewed.
 */
export function readShardResult(json: string, expect: ShardExpectation): ReadShard {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    return { ok: false, why: `${SHARD_RESULT_FILE} is not JSON` };
  }
  const parsed = shardResultSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, why: `${SHARD_RESULT_FILE} does not have the shape a shard writes (${z.prettifyError(parsed.error).replace(/\s+/g, ' ').slice(0, 300)})` };
  const r = parsed.data;
  if (r.planId !== expect.planId) return { ok: false, otherPlan: true, why: `it is from another plan (plan-id ${r.planId.slice(0, 12)}…, this run's is ${expect.planId.slice(0, 12)}…)` };
  if (r.shard.index !== expect.shard.index || r.shard.count !== expect.shard.count) {
    return { ok: false, why: `it says it is shard ${r.shard.index} of ${r.shard.count}` };
  }
  if (r.pr !== expect.pr) return { ok: false, why: `it is of #${r.pr}, not #${expect.pr}` };
  // A shard that failed before it knew its chunks says only why: all its chunks are then not reviewed.
  if (r.failure !== undefined && r.chunks.length === 0 && r.outcomes.length === 0) return { ok: true, result: r };
  if (r.headSha !== expect.headSha) return { ok: false, why: `it is of ${r.headSha?.slice(0, 7) ?? 'no commit'}, not of the head ${expect.headSha.slice(0, 7)}` };
  const ids = expect.slice.map(chunkId);
  if (r.chunks.length !== ids.length || r.chunks.some((id, i) => id !== ids[i])) return { ok: false, why: 'its chunks are not the ones the plan gave this shard' };
  const mine = new Set(expect.slice.map((c) => c.index));
  const seen = new Set<number>();
  const paths = new Set(expect.allPaths);
  for (const o of r.outcomes) {
    if (!mine.has(o.chunk) || seen.has(o.chunk)) return { ok: false, why: `it reports chunk ${o.chunk} ${seen.has(o.chunk) ? 'twice' : 'which is not this shard\'s'}` };
    seen.add(o.chunk);
    if (!o.ok) continue;
    const bad = o.review.findings.map((f) => readFinding(f, paths)).find((read) => !read.ok);
    if (bad && !bad.ok) return { ok: false, why: `a finding of chunk ${o.chunk} cannot be on this pull request (${bad.reason})` };
    const verified = o.review.findings.filter((f) => atLeast(f.severity, expect.minSeverity)).length;
    if (o.verification?.ok && o.verification.verdicts.length !== verified) {
      return { ok: false, why: `chunk ${o.chunk} has ${o.verification.verdicts.length} verdict(s) for ${verified} verified finding(s)` };
    }
  }
  return { ok: true, result: r };
}

/**
 * The chunk outcomes a shard reported, as the review's own: each on the merge's task for that chunk, with the earlier
 * findings its prompt listed (the ones it can report addressed).
 */
export function outcomesOf(result: ShardResult, tasks: ReadonlyMap<number, ChunkTask>): ChunkOutcome[] {
  return result.outcomes.map((o): ChunkOutcome => {
    const task = tasks.get(o.chunk)!;
    const shown = new Set(o.earlierShown);
    const withShown: ChunkTask = task.incremental ? { ...task, incremental: { ...task.incremental, earlier: task.incremental.earlier.filter((e) => shown.has(e.fp)) } } : task;
    if (!o.ok) return { task: withShown, ok: false, error: o.error, attempts: o.attempts, threadId: o.threadId, usage: o.usage, durationMs: o.durationMs };
    const review = {
      summary: o.review.summary,
      findings: o.review.findings,
      dropped: o.review.dropped.map((d) => ({ index: d.index, reason: d.reason, title: d.title, severity: d.severity })),
      ...(o.review.addressed ? { addressed: o.review.addressed } : {}),
    };
    return {
      task: withShown,
      ok: true,
      review,
      attempts: o.attempts,
      threadId: o.threadId,
      usage: o.usage,
      durationMs: o.durationMs,
      ...(o.verification ? { verification: o.verification } : {}),
    };
  });
}
