// Reviews chunks in forks of the base thread, at most max-parallel at a time, with one retry for a reply that is not
// a findings list at all (a bad finding in a good list is left out on its own, see parseChunkReview).
import type { Thread, ThreadOptions, TurnOptions } from '../../../base/codex/app-server.js';
import type { PullRequest } from '../../../base/github/pulls.js';
import type { Chunk } from '../gather/chunks.js';
import type { EarlierFinding } from '../gather/earlier.js';
import {
  CHUNK_REVIEW_JSON_SCHEMA,
  chunkReviewSchema,
  INCREMENTAL_REVIEW_JSON_SCHEMA,
  incrementalReviewSchema,
  parseChunkReview,
  type ChunkReview,
} from './findings.js';
import { mapLimit } from './limit.js';
import { chunkPrompt, retryPrompt } from './prompts.js';
import type { ChunkVerification } from '../check/verify.js';
import type { ShownRules } from '../../../base/rules/nested-rules.js';

/** Token counts summed over turns. */
export interface TokenUsage {
  inputTokens: number;
  cachedInputTokens: number;
  outputTokens: number;
}

export const ZERO_USAGE: TokenUsage = { inputTokens: 0, cachedInputTokens: 0, outputTokens: 0 };

/** Adds a turn's usage to a running total. */
export function addUsage(total: TokenUsage, turn: TokenUsage): TokenUsage {
  return {
    inputTokens: total.inputTokens + turn.inputTokens,
    cachedInputTokens: total.cachedInputTokens + turn.cachedInputTokens,
    outputTokens: total.outputTokens + turn.outputTokens,
  };
}

/** One chunk of one pull request to review. */
export interface ChunkTask {
  pr: PullRequest;
  allPaths: readonly string[];
  chunk: Chunk;
  chunkCount: number;
  /** Set when only the changes since `from` are reviewed; `earlier` are the open findings on the chunk's files. */
  incremental?: { from: string; earlier: readonly EarlierFinding[] };
  /** Settles when the chunk may go to the model (its pull request's status comment is up); must never reject. */
  ready?: Promise<unknown>;
  /** The nested AGENTS.md of the chunk's files, read from the pull request's base commit. */
  rules?: ShownRules;
}

/** How a chunk's review went: its findings, or why it has none. */
export type ChunkOutcome =
  | {
      task: ChunkTask;
      ok: true;
      review: ChunkReview;
      attempts: number;
      threadId: string;
      /** Every turn of the chunk, the verification's included. */
      usage: TokenUsage;
      durationMs: number;
      /** The verification pass's verdicts (absent when it was off or there was nothing to verify). */
      verification?: ChunkVerification;
    }
  | { task: ChunkTask; ok: false; error: string; attempts: number; threadId: string | null; usage: TokenUsage; durationMs: number };

export interface ForkOptions {
  maxParallel: number;
  /** Settings of each fork (sandbox, approval policy). */
  thread: ThreadOptions;
  /** Settings of each turn (timeout, effort). */
  turn: Omit<TurnOptions, 'outputSchema'>;
  /** The verification pass, run on the chunk's fork right after its findings parse (in the same max-parallel slot). */
  verify?: (fork: Thread, review: ChunkReview) => Promise<ChunkVerification | undefined>;
  /** Called as each chunk finishes, for progress logs. */
  onDone?: (outcome: ChunkOutcome) => void;
  /** Paths of the setup turn's conventions files: with the chunk's nested rules, what a finding's `rule` may name. */
  conventions?: readonly string[];
}

/** Forks `base` once per chunk and reviews each; never rejects — a chunk that cannot be reviewed says why. */
export function reviewChunks(base: Thread, tasks: readonly ChunkTask[], options: ForkOptions): Promise<ChunkOutcome[]> {
  return mapLimit(tasks, options.maxParallel, async (task) => {
    const outcome = await reviewChunk(base, task, options);
    options.onDone?.(outcome);
    return outcome;
  });
}

async function reviewChunk(base: Thread, task: ChunkTask, options: ForkOptions): Promise<ChunkOutcome> {
  const started = Date.now();
  let usage = ZERO_USAGE;
  let attempts = 0;
  let threadId: string | null = null;
  // Earlier findings shown to the model come back as `addressed`: a schema of their own, the plain one otherwise.
  const withEarlier = (task.incremental?.earlier.length ?? 0) > 0;
  const turn: TurnOptions = { ...options.turn, outputSchema: withEarlier ? INCREMENTAL_REVIEW_JSON_SCHEMA : CHUNK_REVIEW_JSON_SCHEMA };
  const schema = withEarlier ? incrementalReviewSchema : chunkReviewSchema;
  const rules = new Set([...(options.conventions ?? []), ...(task.rules?.shown.map((r) => r.file.path) ?? [])]);
  const failed = (error: string): ChunkOutcome => ({ task, ok: false, error, attempts, threadId, usage, durationMs: Date.now() - started });
  try {
    await task.ready;
    const fork = await base.fork(options.thread);
    threadId = fork.id;
    let prompt = chunkPrompt(task);
    // The first reply, and once more with the validation error when it could not be used.
    for (;;) {
      attempts++;
      const result = await fork.run(prompt, turn);
      usage = addUsage(usage, result.usage);
      if (result.status !== 'completed') {
        const why = result.timedOut ? 'the turn ran past timeout-minutes' : (result.error ?? `the turn ended ${result.status}`);
        return failed(why);
      }
      const parsed = parseChunkReview(result.finalResponse, task.allPaths, schema, rules);
      if (parsed.ok) {
        const verification = options.verify && parsed.review.findings.length > 0 ? await options.verify(fork, parsed.review) : undefined;
        if (verification) usage = addUsage(usage, verification.usage);
        return { task, ok: true, review: parsed.review, attempts, threadId, usage, durationMs: Date.now() - started, ...(verification ? { verification } : {}) };
      }
      if (attempts >= 2) return failed(`the reply did not match the findings schema twice; last problem: ${parsed.error}`);
      prompt = retryPrompt(parsed.error);
    }
  } catch (error) {
    return failed((error as Error).message);
  }
}
