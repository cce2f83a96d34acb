// A review that is reported, not posted (the CLI's `codex-ci review`): a local change read with git, or a pull request
// read through GitHub, through the same stages as the Action's review — base thread with the base commit's
// conventions, a fork per chunk, verification, suggestions proved in a scratch worktree.
import { basename } from 'node:path';
import type { RunContext } from '../../base/context.js';
import { log } from '../../base/log.js';
import type { JobOutcome } from '../../base/outcome.js';
import { atLeast } from './agent/findings.js';
import { startReviewAgent } from './agent/agent.js';
import { addUsage, ZERO_USAGE, type ChunkOutcome, type ChunkTask, type TokenUsage } from './agent/forks.js';
import { setupPrompt } from './agent/prompts.js';
import { proveSuggestions, withProofs } from './check/prove-suggestions.js';
import { chunkFiles, DEFAULT_CHUNK_TOKENS } from './gather/chunks.js';
import { githubTree, readConventionsFrom, type ConventionFile, type TreeReader } from './gather/conventions.js';
import { gatherPull, type GatheredPull } from './gather/gather.js';
import { gatherLocal, LocalChangeError, type LocalTarget } from './gather/local.js';
import { reportOf, type PullReport } from './report/pull-report.js';
import type { FileDiff } from './gather/diff.js';
import { findingsOutput } from './report/report.js';
import type { ReviewConclusion } from './run-review.js';
import { ruleKey } from '../../base/rules/nested-rules.js';
import { RuleReader } from '../../base/rules/rule-reader.js';
import { githubRuleTree, type RuleTree } from '../../base/rules/rule-tree.js';
import { chunkRules, findPullRules, readPullRules, type PullRules } from './gather/rules.js';

/** What the CLI renders: the report (findings, what was not reviewed), the conventions used, and the outcome. */
export interface LocalReview {
  outcome: JobOutcome;
  report: PullReport | undefined;
  conventions: readonly ConventionFile[];
  /** The repository's top folder: the findings' paths are relative to it. */
  root: string;
  /** The reviewed files' hunks, where a report shows a finding's lines from. */
  files: readonly FileDiff[];
  usage: TokenUsage;
}

/** Progress for a terminal: which phase, and chunks done of the total. */
export interface LocalReviewProgress {
  onChunks?(total: number): void;
  onChunkDone?(done: number, total: number, usage: TokenUsage): void;
}

export { LocalChangeError };

/** What to review: a local change, or a pull request read through GitHub (ctx.github, ctx.repo). */
export type ReviewSource = { kind: 'local'; target: LocalTarget } | { kind: 'pull'; number: number };

/** Reads the source: the files to review and where the base commit's conventions and nested rules are read from. */
async function gatherSource(ctx: RunContext, source: ReviewSource): Promise<{ pull: GatheredPull; root: string; tree: TreeReader; rules: RuleTree }> {
  const filter = { paths: ctx.inputs.paths, pathsIgnore: ctx.inputs.pathsIgnore };
  if (source.kind === 'local') return gatherLocal(ctx.inputs.workingDirectory, source.target, filter, ctx.tempDir);
  const pull = await gatherPull(ctx.github, ctx.repo, source.number, { explicit: true, ...filter });
  if (pull.kind === 'skipped') throw new LocalChangeError(`pull request #${source.number} is not reviewed: ${pull.reason}`);
  return { pull, root: ctx.inputs.workingDirectory, tree: githubTree(ctx.github, ctx.repo), rules: githubRuleTree(ctx.github, ctx.repo) };
}

/** Reviews `source` without posting anything; the caller renders the report. */
export async function runLocalReview(ctx: RunContext, source: ReviewSource, progress: LocalReviewProgress = {}): Promise<LocalReview> {
  const started = Date.now();
  const { inputs, secrets } = ctx;
  const { pull, root, tree, rules: ruleTree } = await gatherSource(ctx, source);
  const pr = pull.pr;
  if (pull.files.length === 0) {
    throw new LocalChangeError(`no reviewable files between ${pr.baseRef} and ${pr.headRef} (${pull.skipped.map((s) => `${s.path}: ${s.reason}`).join('; ')})`);
  }
  log.info(`${pull.files.length} file(s) to review${pull.skipped.length ? `, ${pull.skipped.length} skipped` : ''}: ${pr.headRef} against ${pr.baseRef} (merge base ${pr.baseSha.slice(0, 12)}).`);
  // The app-server and the base thread come up while the conventions and the nested rules are read.
  const agent = startReviewAgent(ctx);
  try {
    const reader = new RuleReader(ruleTree);
    const label = source.kind === 'pull' ? `#${pr.number}` : 'The local review';
    const paths = pull.files.map((f) => f.path);
    const [conventions, found] = await Promise.all([readConventionsFrom(tree, pr.baseSha), findPullRules(reader, label, pr.baseSha, paths)]);
    // Files under the same nested rules are chunked together, so that each chunk is sent few of them.
    const chunks = chunkFiles(pull.files, DEFAULT_CHUNK_TOKENS, (path) => ruleKey(path, found.index));
    const rules = await readPullRules(reader, label, paths, found);
    const tasks: ChunkTask[] = chunks.map((chunk) => ({ pr, allPaths: pull.allPaths, chunk, chunkCount: chunks.length, rules: chunkRules(rules, chunk.paths) }));
    progress.onChunks?.(tasks.length);
    let done = 0;
    let running = ZERO_USAGE;
    const result = await agent.run({
      tasks,
      setup: setupPrompt({ repo: source.kind === 'pull' ? ctx.repo : { owner: 'local', repo: basename(root) }, baseRef: pr.baseRef, baseSha: pr.baseSha, conventions, userPrompt: inputs.prompt }),
      conventions: conventions.map((c) => c.path),
      onChunkDone: (o) => {
        running = addUsage(running, o.usage);
        progress.onChunkDone?.(++done, tasks.length, running);
      },
    });
    if (!result.ok) {
      return { outcome: { conclusion: 'failure', outputs: { conclusion: 'failure' }, summary: '', failure: result.error, usage: result.usage }, report: undefined, conventions, root, files: pull.files, usage: result.usage };
    }
    const report = await check(ctx, pull, result.outcomes, rules);
    const conclusion: ReviewConclusion = report.chunksOk < report.chunksTotal ? 'incomplete' : report.kept.length > 0 ? 'findings' : 'success';
    const threshold = inputs.failOnSeverity;
    const severe = threshold ? report.kept.filter((f) => atLeast(f.severity, threshold)) : [];
    const failures = [
      ...(severe.length > 0 ? [`${severe.length} finding(s) at or above '${threshold}' (--fail-on).`] : []),
      // The gate does not pass code it has not seen.
      ...(threshold && report.failedChunks.length > 0 ? [`--fail-on is set, but ${report.failedChunks.length} chunk(s) could not be reviewed: ${report.failedChunks.join('; ')}.`] : []),
    ];
    log.info(`Reviewed in ${((Date.now() - started) / 1000).toFixed(1)} s: ${report.kept.length} finding(s), ${report.chunksOk} of ${report.chunksTotal} chunk(s).`);
    const outputs = { conclusion, findings: findingsOutput([report], secrets), 'findings-count': String(report.kept.length), 'thread-id': result.threadId };
    return {
      outcome: { conclusion, outputs, summary: '', usage: result.usage, ...(failures.length > 0 ? { failure: failures.join(' ') } : {}) },
      report,
      conventions,
      root,
      files: pull.files,
      usage: result.usage,
    };
  } finally {
    await agent.close();
  }
}

/** The check stage of a reported review: verified findings, then suggestions proved against the head commit. */
async function check(ctx: RunContext, pull: GatheredPull, outcomes: readonly ChunkOutcome[], rules: PullRules): Promise<PullReport> {
  const { report } = reportOf(pull, outcomes, { ...ctx.inputs, ruleNotes: rules.notes });
  const proved = await proveSuggestions(ctx, { number: pull.pr.number, headSha: pull.pr.headSha, files: pull.files }, report.kept);
  report.verification!.notes.push(...proved.notes);
  return { ...report, kept: withProofs(report.kept, proved.proofs), newCount: report.kept.length, filesReviewed: pull.files.length };
}
