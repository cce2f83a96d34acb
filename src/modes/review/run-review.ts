// Review mode: gather each pull request, build one base thread, review chunks in forks, post one review per PR.
// One file: the orchestration of the stages (gather → agent → check → deliver → report), each a call into its folder.
import type { RunContext } from '../../base/context.js';
import { reactToIssueComment } from '../../base/github/comments.js';
import { githubErrorInfo, tokenLogin } from '../../base/github/reviews.js';
import { DEFAULT_CHUNK_TOKENS } from './gather/chunks.js';
import { readConventions, type ConventionFile } from './gather/conventions.js';
import { ZERO_USAGE, type ChunkOutcome, type ChunkTask } from './agent/forks.js';
import { readPull, readPullFiles, type GatheredPull } from './gather/gather.js';
import { startReviewAgent, type ReviewAgent } from './agent/agent.js';
import { readPosted } from './deliver/post.js';
import { preparePull, type PullRun } from './gather/prepare.js';
import { setupPrompt } from './agent/prompts.js';
import { saveThreads, type StagedThread } from '../../base/threads/threads.js';
import { jobSummary, type SkippedReport } from './report/report.js';
import { type PullReport } from './report/pull-report.js';
import { conclude, outputs, startNotes, unpostedNote } from './report/conclude.js';
import { type JobOutcome } from '../../base/outcome.js';
import { type ReviewTarget } from './target.js';
import { log } from '../../base/log.js';
import { deliver } from './deliver/deliver-pull.js';
import { readUserPrompt } from './gather/user-prompt.js';
import { writeSarifFile } from './report/sarif-file.js';
import { RuleReader } from '../../base/rules/rule-reader.js';
import { githubRuleTree } from '../../base/rules/rule-tree.js';

/** Knobs tests turn; production uses the defaults. */
export interface ReviewOptions {
  /** Token budget of one chunk (default DEFAULT_CHUNK_TOKENS). */
  chunkTokens?: number;
  /** Sees each pull request's report (kept and dropped findings) before the outcome is returned: `npm run eval`. */
  observe?: (reports: readonly PullReport[]) => void;
  /** Least time between two progress edits of the status comment (default STATUS_INTERVAL_MS). */
  statusIntervalMs?: number;
}

export type { ReviewConclusion } from './report/conclude.js';

/** Reviews the target pull requests with one app-server and one base thread; returns what main.ts reports. */
export async function runReview(ctx: RunContext, target: ReviewTarget, options: ReviewOptions = {}): Promise<JobOutcome> {
  const started = Date.now();
  const { inputs, github, repo, secrets } = ctx;

  const notes = startNotes(inputs);

  // The person who asked in a comment learns at once that it was heard.
  if (target.triggerCommentId !== undefined) {
    await reactToIssueComment(github, repo, target.triggerCommentId, 'eyes').catch((error: unknown) =>
      log.warning(`Could not react to the triggering comment: ${githubErrorInfo(error).message}`),
    );
  }

  const gathered: GatheredPull[] = [];
  const skipped: SkippedReport[] = [];
  const gatherOptions = { explicit: target.explicit, paths: inputs.paths, pathsIgnore: inputs.pathsIgnore };
  let agent: ReviewAgent | undefined;
  // Reads that need only the pull request (not its files) start as soon as it is known to be reviewed; each is made
  // once and awaited where it is needed.
  let early: { self: Promise<string | undefined>; conventions: { baseSha: string; files: Promise<ConventionFile[]> } } | undefined;
  // The base commits' nested AGENTS.md: each commit listed once (in one request), each rules file read once.
  const rules = new RuleReader(githubRuleTree(github, repo));
  await log.group('Gather pull requests', async () => {
    // All pull requests at once (each one's pulls.get and listFiles once); the log keeps the input order.
    const heads = await Promise.all(target.prNumbers.map((number) => readPull(github, repo, number, gatherOptions)));
    const firstOpen = heads.find((h) => h.kind === 'open');
    if (firstOpen) {
      // The app-server and base thread need nothing from the files: they start now, while the files are read.
      agent = startReviewAgent(ctx);
      early = { self: settledLater(tokenLogin(github)), conventions: { baseSha: firstOpen.pr.baseSha, files: settledLater(readConventions(github, repo, firstOpen.pr.baseSha)) } };
      void rules.files(firstOpen.pr.baseSha);
    }
    const pulls = await Promise.all(heads.map((h) => (h.kind === 'open' ? readPullFiles(github, repo, h.pr, gatherOptions) : h)));
    for (const [i, pull] of pulls.entries()) {
      const number = target.prNumbers[i]!;
      if (pull.kind === 'skipped') {
        log.info(`#${number}: skipped, ${pull.reason}.`);
        skipped.push({ number, title: pull.pr?.title, reason: pull.reason });
      } else if (pull.files.length === 0) {
        const why = pull.skipped.length > 0 ? `no reviewable files (${pull.skipped.length} skipped)` : 'no changed files';
        log.info(`#${number}: ${why}.`);
        skipped.push({ number, title: pull.pr.title, reason: why });
      } else {
        log.info(`#${number}: ${pull.files.length} file(s) to review, ${pull.skipped.length} skipped.`);
        gathered.push(pull);
      }
    }
  }).catch(async (error: unknown) => {
    await agent?.close().catch(() => {});
    throw error;
  });

  if (gathered.length === 0 || !agent || !early) {
    await agent?.close();
    const summary = jobSummary({ conclusion: 'skipped', reports: [], skipped, usage: ZERO_USAGE, durationMs: Date.now() - started, notes, secrets });
    return { conclusion: 'skipped', outputs: outputs('skipped', [], undefined, secrets), summary };
  }

  try {
    // Each pull request's status comment shows what is reviewed before the model sees any of its code; the writes go
    // on in the background (GitHub spaces comment-creating POSTs seconds apart), so a batch's model work does not
    // queue behind them.
    const self = await early.self;
    const runs = await log.group('Status comments and scope', () =>
      Promise.all(
        gathered.map((g) =>
          preparePull(ctx, g, {
            self,
            chunkTokens: options.chunkTokens ?? DEFAULT_CHUNK_TOKENS,
            full: target.full === true,
            statusIntervalMs: options.statusIntervalMs,
            rules,
          }),
        ),
      ),
    );
    // Conventions come from the first pull request's base commit: one base thread serves the whole batch.
    const first = gathered[0]!.pr;
    const conventions = first.baseSha === early.conventions.baseSha ? early.conventions.files : settledLater(readConventions(github, repo, first.baseSha));
    const delivered = new Set<number>();
    try {
      return await reviewPrepared(ctx, runs, { started, notes, skipped, self, agent, conventions, delivered, observe: options.observe });
    } catch (error) {
      // Whatever ended the run (an app-server that died, GitHub down), no status comment is left "in progress".
      const message = error instanceof Error ? error.message : String(error);
      await Promise.all(runs.filter((r) => !delivered.has(r.g.pr.number)).map((r) => r.fail(message)));
      throw error;
    }
  } finally {
    await agent.close();
  }
}

/** `promise`, with its failure left for whoever awaits it later (meanwhile it must not count as unhandled). */
function settledLater<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => {});
  return promise;
}

/** The model part of a review and the delivery of each pull request as soon as its chunks are done. */
async function reviewPrepared(
  ctx: RunContext,
  runs: readonly PullRun[],
  run: {
    started: number;
    notes: string[];
    skipped: SkippedReport[];
    self: string | undefined;
    agent: ReviewAgent;
    conventions: Promise<ConventionFile[]>;
    /** Pull requests whose delivery has started (their status comment is the delivery's to finish). */
    delivered: Set<number>;
    observe?: ReviewOptions['observe'];
  },
): Promise<JobOutcome> {
  const { inputs, github, repo, secrets } = ctx;
  const { started, notes, skipped, self, delivered } = run;
  const gathered = runs.map((r) => r.g);
  const first = gathered[0]!.pr;
  if (gathered.some((g) => g.pr.baseSha !== first.baseSha)) {
    notes.push(`The pull requests have different base commits; conventions were read from \`${first.baseRef}\` at ${first.baseSha.slice(0, 12)}.`);
  }
  const tasks: ChunkTask[] = runs.flatMap((r) => r.tasks);
  // What earlier runs posted is read while the model works, not after it (once per pull request).
  const posted = new Map(runs.map((r) => [r.g.pr.number, settledLater(readPosted(github, repo, r.g.pr.number, self))]));
  const reports = new Map<number, Promise<PullReport>>();
  // Deliveries go one after another, in the order the pull requests' chunks finish: two at once would prove their
  // suggestions in scratch worktrees of the same repository at the same time.
  let previous: Promise<unknown> = Promise.resolve();
  const deliverNow = (r: PullRun, outcomes: ChunkOutcome[], staged: StagedThread[] = []) => {
    delivered.add(r.g.pr.number);
    const report = previous.then(async () => {
      // Stored before the comments that name them are posted: a thread id becomes public only once its key is taken,
      // so nobody who reads the id can store a forged thread under it first (cache entries are immutable).
      await saveThreads(ctx.threadStore, staged);
      return deliver(ctx, r, outcomes, self, started, posted.get(r.g.pr.number)!);
    });
    previous = report.catch(() => {});
    reports.set(r.g.pr.number, report);
  };

  let usage = ZERO_USAGE;
  let baseThreadId: string | undefined;
  // An incremental review of a push that changed no reviewable file needs no model at all.
  if (tasks.length > 0) {
    const conventions = await run.conventions;
    const userPrompt = await readUserPrompt(ctx, gathered, notes);
    const agent = await run.agent.run({
      tasks,
      setup: setupPrompt({ repo, baseRef: first.baseRef, baseSha: first.baseSha, conventions, userPrompt }),
      conventions: conventions.map((c) => c.path),
      setupAfter: runs[0]!.shown,
      onChunkDone: (o) => runs.find((r) => r.g.pr.number === o.task.pr.number)?.chunkDone(o),
      // Each pull request is posted as soon as its own chunks are done, while the others' still run.
      onPullDone: (number, outcomes, staged) => deliverNow(runs.find((r) => r.g.pr.number === number)!, outcomes, staged),
    });
    usage = agent.usage;
    baseThreadId = agent.threadId;
    if (!agent.ok) {
      const deliveredReports = await Promise.all([...reports.values()]);
      const failedRuns = runs.filter((r) => !delivered.has(r.g.pr.number));
      await Promise.all(failedRuns.map((r) => r.fail(agent.error)));
      const unposted = agent.outcomes.filter((o) => !delivered.has(o.task.pr.number));
      const unpostedTasks = tasks.filter((t) => !delivered.has(t.pr.number)).length;
      const partly = delivered.size > 0 ? failedRuns.map((r) => r.g.pr.number) : undefined;
      const lost = unposted.length > 0 ? [unpostedNote(unposted, unpostedTasks, inputs.minSeverity, partly)] : [];
      const summary = jobSummary({ conclusion: 'failure', reports: deliveredReports, skipped, usage, durationMs: Date.now() - started, notes: [agent.error, ...lost, ...notes], secrets });
      return { conclusion: 'failure', outputs: outputs('failure', deliveredReports, baseThreadId, secrets), summary, failure: agent.error, usage };
    }
  }
  // Pull requests without chunks (nothing changed since the last review) are delivered now.
  for (const r of runs) if (!reports.has(r.g.pr.number)) deliverNow(r, []);
  const reportList = await log.group('Post reviews', () => Promise.all(runs.map((r) => reports.get(r.g.pr.number)!)));

  run.observe?.(reportList);
  const outcome = conclude(ctx, reportList, { started, notes, skipped, usage, baseThreadId });
  return { ...outcome, outputs: { ...outcome.outputs, 'sarif-file': await writeSarifFile(ctx, reportList) } };
}
