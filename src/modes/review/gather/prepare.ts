// Before the model runs, per pull request: the status comment (created or reused, showing what will be reviewed),
// the scope (incremental or full), the earlier findings the model must see, the nested rules, and the chunks
// (scopePull, which every job of a review uses, sharded or not).
import type { RunContext } from '../../../base/context.js';
import { githubErrorInfo } from '../../../base/github/reviews.js';
import { chunkFiles, type Chunk } from './chunks.js';
import type { FileDiff } from './diff.js';
import { openOn, type EarlierFinding } from './earlier.js';
import type { ChunkOutcome, ChunkTask } from '../agent/forks.js';
import type { GatheredPull } from './gather.js';
import { readEarlier } from '../deliver/resolve.js';
import { decideScope } from './scope.js';
import { StatusComment } from '../deliver/status-comment.js';
import { failedBody, lastReviewedIn, progressBody, type ChunkProgress, type Scope } from '../deliver/status.js';
import { log } from '../../../base/log.js';
import { ruleKey } from '../../../base/rules/nested-rules.js';
import type { RuleReader } from '../../../base/rules/rule-reader.js';
import { chunkRules, findPullRules, readPullRules, type PullRules } from './rules.js';

/** One pull request's review in this run: what is reviewed, against what, and where its status is shown. */
export interface PullRun extends ScopedPull {
  tasks: ChunkTask[];
  /** What the nested rules could not give (a listing or a read that failed), for the summary. */
  ruleNotes: string[];
  /**
   * Settles once the status comment shows what is reviewed (created or edited; never rejects). The model reviews none
   * of this pull request's code before: the run does not wait for it otherwise.
   */
  shown: Promise<void>;
  /** Marks a chunk done or failed and schedules a (coalesced) status edit. */
  chunkDone(outcome: ChunkOutcome): void;
  /** Puts the status comment in its failed state (what failed, in plain words). */
  fail(message: string): Promise<void>;
}

export interface PrepareOptions {
  self: string | undefined;
  chunkTokens: number;
  /** The trigger comment asked for a full review. */
  full: boolean;
  statusIntervalMs?: number | undefined;
  /** The run's reader of the base commits' nested AGENTS.md. */
  rules: RuleReader;
  /**
   * The commit the scope is decided from, read from the status comment's body as it was before this run; default: the
   * last fully reviewed commit it records. The jobs of a sharded review use the one their plan recorded.
   */
  scopeBase?: (previousBody: string) => string | undefined;
}

/** What a run reviews of one pull request and against what, before any progress is shown. */
export interface ScopedPull {
  g: GatheredPull;
  scope: Scope;
  /** Files the model is shown (the whole diff's, or the push's). */
  reviewFiles: FileDiff[];
  /** The push's files (incremental only). */
  changed: FileDiff[];
  /** This action's earlier findings on the pull request (incremental only; empty otherwise). */
  earlier: EarlierFinding[];
  /** The review's chunks: every job that reviews the pull request, sharded or not, chunks it here. */
  chunks: Chunk[];
  /** The nested AGENTS.md found on the reviewed files' paths (not read yet: readScopedRules). */
  rulesFound: Pick<PullRules, 'index' | 'notes'>;
  status: StatusComment;
  /** The last fully reviewed head, from the status comment (carried in every body this run writes). */
  lastReviewed: string | undefined;
  /** The commit the scope was decided from (lastReviewed, unless `scopeBase` said otherwise). */
  scopeBase: string | undefined;
  runUrl: string | undefined;
}

/**
 * Reads one pull request's status comment and decides the scope, the earlier findings and the chunks; writes nothing.
 */
export async function scopePull(ctx: RunContext, g: GatheredPull, opts: PrepareOptions): Promise<ScopedPull> {
  const { github, repo, inputs, secrets } = ctx;
  const number = g.pr.number;
  const status = await StatusComment.open(github, repo, number, { self: opts.self, secrets, intervalMs: opts.statusIntervalMs });
  const lastReviewed = lastReviewedIn(status.previousBody);
  const scopeBase = opts.scopeBase ? opts.scopeBase(status.previousBody) : lastReviewed;
  const { scope, reviewFiles, changed } = await decideScope(github, repo, g, {
    incremental: inputs.incremental,
    full: opts.full,
    lastReviewed: scopeBase,
    paths: inputs.paths,
    pathsIgnore: inputs.pathsIgnore,
  });
  if (scope.kind === 'incremental') log.info(`#${number}: incremental review of ${reviewFiles.length} file(s) changed since ${scope.from.slice(0, 12)}.`);
  else if (scope.reason) log.info(`#${number}: full review (${scope.reason}).`);

  let earlier: EarlierFinding[] = [];
  if (scope.kind === 'incremental' && reviewFiles.length > 0) {
    try {
      earlier = await readEarlier(github, repo, number, opts.self);
    } catch (error) {
      log.warning(`Could not read the earlier review comments of #${number} (${githubErrorInfo(error).message}); the model reviews the push without them.`);
    }
  }
  // Files under the same nested rules are chunked together, so that each chunk is sent few of them.
  const rulesFound = await findPullRules(opts.rules, `#${number}`, g.pr.baseSha, reviewFiles.map((f) => f.path));
  const chunks = chunkFiles(reviewFiles, opts.chunkTokens, (path) => ruleKey(path, rulesFound.index));
  const runUrl = ctx.currentRunId !== undefined ? `${ctx.serverUrl}/${repo.owner}/${repo.repo}/actions/runs/${ctx.currentRunId}` : undefined;
  return { g, scope, reviewFiles, changed, earlier, chunks, rulesFound, status, lastReviewed, scopeBase, runUrl };
}

/** Reads the nested rules files a scoped pull request's files are under (once each). */
export function readScopedRules(reader: RuleReader, s: ScopedPull): Promise<PullRules> {
  return readPullRules(reader, `#${s.g.pr.number}`, s.reviewFiles.map((f) => f.path), s.rulesFound);
}

/**
 * One task per chunk (or per chunk of `only`), each with the nested rules on its own files' paths and, when
 * incremental, the earlier findings on its files.
 */
export function chunkTasks(s: ScopedPull, rules: PullRules, ready?: Promise<unknown>, only: readonly Chunk[] = s.chunks): ChunkTask[] {
  return only.map((chunk) => ({
    pr: s.g.pr,
    allPaths: s.g.allPaths,
    chunk,
    chunkCount: s.chunks.length,
    ...(ready ? { ready } : {}),
    rules: chunkRules(rules, chunk.paths),
    ...(s.scope.kind === 'incremental' ? { incremental: { from: s.scope.from, earlier: openOn(s.earlier, chunk.paths) } } : {}),
  }));
}

/**
 * Prepares one pull request: reads its status comment and decides the scope and the chunks. The status comment's
 * write starts here and is `shown` later: GitHub spaces comment-creating POSTs seconds apart, and a batch's model
 * work must not queue behind them.
 */
export async function preparePull(ctx: RunContext, g: GatheredPull, opts: PrepareOptions): Promise<PullRun> {
  const s = await scopePull(ctx, g, opts);
  const { scope, reviewFiles, status, lastReviewed, runUrl } = s;
  const progress: ChunkProgress[] = s.chunks.map((c) => ({ index: c.index, paths: c.paths, state: 'pending' }));
  const view = () => progressBody({ headSha: g.pr.headSha, scope, files: reviewFiles.length, chunks: progress, runUrl, reviewed: lastReviewed });
  const shown = status.show(view());
  // Read while the status comment is written.
  const rules = await readScopedRules(opts.rules, s);
  return {
    ...s,
    shown,
    tasks: chunkTasks(s, rules, shown),
    ruleNotes: rules.notes,
    chunkDone(outcome) {
      const entry = progress.find((p) => p.index === outcome.task.chunk.index);
      if (entry) entry.state = outcome.ok ? 'done' : 'failed';
      status.update(view());
    },
    fail: (message) => status.finish(failedBody({ headSha: g.pr.headSha, message, runUrl, reviewed: lastReviewed })),
  };
}
