// Which chunks each job of a sharded review reviews, and the plan-id that names that decision. Pure: the plan job,
// every shard and the merge compute it from the same chunks (gather/prepare.ts scopePull) and must agree.
import { createHash } from 'node:crypto';
import type { Chunk } from '../gather/chunks.js';
import type { Severity, ShardSpec } from '../../../base/options.js';

/** What the chunking was computed from, besides the inputs. */
export interface PlannedPull {
  number: number;
  headSha: string;
  /** The commit the scope was decided from (undefined: the whole diff). */
  scopeBase: string | undefined;
  chunks: readonly Chunk[];
}

/** The inputs that decide the chunks and their shards; a job with other values works on another plan. */
export interface PlanSettings {
  maxShards: number;
  chunksPerShard: number;
  chunkTokens: number;
  paths: readonly string[];
  pathsIgnore: readonly string[];
  minSeverity: Severity;
}

export interface ShardPlan {
  /** sha256 (hex) of the head, the scope's base, every chunk's id, the shard count and the deciding inputs. */
  planId: string;
  shards: number;
  /** The chunks of each shard (index 0 is shard 1): contiguous runs of the chunk list, sizes differing by at most one. */
  slices: Chunk[][];
}

/** How many shards a pull request of `chunks` chunks gets: one per chunks-per-shard, at most max-shards, at least one. */
export function shardCount(chunks: number, settings: Pick<PlanSettings, 'maxShards' | 'chunksPerShard'>): number {
  return Math.max(1, Math.min(settings.maxShards, Math.ceil(chunks / settings.chunksPerShard)));
}

/**
 * A chunk's identity: the files it shows and the exact text of its diff (which holds its hunks' spans). Two jobs that
 * chunked differently cannot agree on it.
 */
export function chunkId(chunk: Chunk): string {
  return createHash('sha256').update(JSON.stringify([chunk.index, chunk.paths, chunk.text])).digest('hex').slice(0, 16);
}

/**
 * Splits the chunks into contiguous slices, one per shard. Contiguous, so the parts of one big file and neighbouring
 * files (which the chunker keeps in order) tend to land on the same shard; balanced, so no shard waits for another.
 */
export function planShards(pull: PlannedPull, settings: PlanSettings): ShardPlan {
  const shards = shardCount(pull.chunks.length, settings);
  const slices = Array.from({ length: shards }, (_, k) =>
    pull.chunks.slice(Math.floor((k * pull.chunks.length) / shards), Math.floor(((k + 1) * pull.chunks.length) / shards)),
  );
  const decided = {
    v: 1,
    pr: pull.number,
    head: pull.headSha,
    base: pull.scopeBase ?? null,
    chunks: pull.chunks.map(chunkId),
    shards,
    maxShards: settings.maxShards,
    chunksPerShard: settings.chunksPerShard,
    chunkTokens: settings.chunkTokens,
    paths: settings.paths,
    pathsIgnore: settings.pathsIgnore,
    minSeverity: settings.minSeverity,
  };
  return { planId: createHash('sha256').update(JSON.stringify(decided)).digest('hex'), shards, slices };
}

/** The plan-id of a pull request that is not reviewed at all (a draft, no reviewable files): every job skips it. */
export function skippedPlanId(number: number, reason: string): string {
  return createHash('sha256').update(JSON.stringify({ v: 1, pr: number, skipped: reason })).digest('hex');
}

/** The `matrix` output: `{"shard":["1/3","2/3","3/3"]}`. */
export function matrixOf(shards: number): string {
  return JSON.stringify({ shard: Array.from({ length: shards }, (_, k) => `${k + 1}/${shards}`) });
}

/** `shard K of N` for messages. */
export function shardName(spec: ShardSpec): string {
  return `shard ${spec.index} of ${spec.count}`;
}
