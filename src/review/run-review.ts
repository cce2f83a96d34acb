// Review mode: gather each pull request, build one base thread, review chunks in forks, post one review per PR.
import { readFile } from 'node:fs/promises';
import { relative, sep } from 'node:path';
import * as core from '@actions/core';
import type { JobOutcome, RunContext } from '../context.js';
import { readFileAt } from '../github/pulls.js';
import { listReviewBodies, listReviewCommentBodies } from '../github/reviews.js';
import { atLeast, fingerprintsIn } from './findings.js';
import { chunkFiles, DEFAULT_CHUNK_TOKENS } from './chunks.js';
import { placeFindings, selectFindings, stickyBody } from './compose.js';
import { readConventions } from './conventions.js';
import { addUsage, reviewChunks, ZERO_USAGE, type ChunkOutcome, type ChunkTask, type TokenUsage } from './forks.js';
import { gatherPull, TRUNCATED_NOTE, type GatheredPull } from './gather.js';
import { postReview, postSticky } from './post.js';
import { REVIEW_INSTRUCTIONS, setupPrompt } from './prompts.js';
import type { ReviewTarget } from '../plan.js';
import { annotate, findingsOutput, jobSummary, type PullReport, type SkippedReport } from './report.js';


/** Knobs tests turn; production uses the defaults. */
export interface ReviewOptions {
  /** Token budget of one chunk (default DEFAULT_CHUNK_TOKENS). */
  chunkTokens?: number;
}

/**
 * Conclusions of a review run (the `conclusion` output):
 * - `skipped`: nothing was reviewed (draft or closed pull requests, or no reviewable files);
 * - `success`: reviewed, no finding at or above min-severity;
 * - `findings`: reviewed, at least one finding at or above min-severity;
 * - `incomplete`: some part of a diff could not be reviewed (a chunk failed twice); findings may exist too;
 * - `failure`: the agent could not be set up (the base turn failed).
 */
export type ReviewConclusion = 'skipped' | 'success' | 'findings' | 'incomplete' | 'failure';

/** A prompt-file that cannot be read. */
export class PromptFileError extends Error {
  override name = 'PromptFileError';
}

// Codex loads AGENTS.md from its working directory by itself; the workspace holds the PR's head, whose AGENTS.md
// must not set the rules it is reviewed by. The base branch's copy is given in the setup turn instead.
const SESSION_TOML = ['project_doc_max_bytes = 0'];
const PROMPT_FILE_MAX_BYTES = 64 * 1024;
// Skipped files are listed by name up to this many, so a huge pull request's review body stays readable.
const MAX_LISTED_SKIPPED = 50;

/** Reviews the target pull requests with one app-server and one base thread; returns what main.ts reports. */
export async function runReview(ctx: RunContext, target: ReviewTarget, options: ReviewOptions = {}): Promise<JobOutcome> {
  const started = Date.now();
  const { inputs, github, repo, secrets } = ctx;

  const gathered: GatheredPull[] = [];
  const skipped: SkippedReport[] = [];
  await core.group('Gather pull requests', async () => {
    for (const number of target.prNumbers) {
      const pull = await gatherPull(github, repo, number, {
        explicit: target.explicit,
        paths: inputs.paths,
        pathsIgnore: inputs.pathsIgnore,
      });
      if (pull.kind === 'skipped') {
        core.info(`#${number}: skipped, ${pull.reason}.`);
        skipped.push({ number, title: pull.pr?.title, reason: pull.reason });
      } else if (pull.files.length === 0) {
        const why = pull.skipped.length > 0 ? `no reviewable files (${pull.skipped.length} skipped)` : 'no changed files';
        core.info(`#${number}: ${why}.`);
        skipped.push({ number, title: pull.pr.title, reason: why });
      } else {
        core.info(`#${number}: ${pull.files.length} file(s) to review, ${pull.skipped.length} skipped.`);
        gathered.push(pull);
      }
    }
  });

  if (gathered.length === 0) {
    const summary = jobSummary({ conclusion: 'skipped', reports: [], skipped, usage: ZERO_USAGE, durationMs: Date.now() - started, notes: [], secrets });
    return { conclusion: 'skipped', outputs: outputs('skipped', [], undefined, secrets), summary };
  }

  // Conventions come from the first pull request's base commit: one base thread serves the whole batch.
  const first = gathered[0]!.pr;
  const notes: string[] = [];
  if (gathered.some((g) => g.pr.baseSha !== first.baseSha)) {
    notes.push(`The pull requests have different base commits; conventions were read from \`${first.baseRef}\` at ${first.baseSha.slice(0, 12)}.`);
  }
  const conventions = await readConventions(github, repo, first.baseSha);
  const userPrompt = await readUserPrompt(ctx, gathered, notes);

  const tasks: ChunkTask[] = gathered.flatMap((g) => {
    const chunks = chunkFiles(g.files, options.chunkTokens ?? DEFAULT_CHUNK_TOKENS);
    return chunks.map((chunk) => ({ pr: g.pr, allPaths: g.allPaths, chunk, chunkCount: chunks.length }));
  });

  const agent = await runAgent(ctx, {
    tasks,
    setup: setupPrompt({ repo, baseRef: first.baseRef, baseSha: first.baseSha, conventions, userPrompt }),
    conventions: conventions.map((c) => c.path),
  });
  const usage = agent.usage;
  const baseThreadId = agent.threadId;
  if (!agent.ok) {
    const summary = jobSummary({ conclusion: 'failure', reports: [], skipped, usage, durationMs: Date.now() - started, notes: [agent.error, ...notes], secrets });
    return { conclusion: 'failure', outputs: outputs('failure', [], baseThreadId, secrets), summary, failure: agent.error, usage };
  }
  const outcomes = agent.outcomes;

  const reports = await core.group('Post reviews', async () => {
    const out: PullReport[] = [];
    for (const g of gathered) out.push(await deliver(ctx, g, outcomes.filter((o) => o.task.pr.number === g.pr.number)));
    return out;
  });

  const anyFailed = reports.some((r) => r.chunksOk < r.chunksTotal);
  const kept = reports.reduce((n, r) => n + r.kept.length, 0);
  const conclusion: ReviewConclusion = anyFailed ? 'incomplete' : kept > 0 ? 'findings' : 'success';
  annotate(reports, secrets);

  const failures: string[] = [];
  for (const r of reports) {
    if (r.post && !r.post.posted && !r.post.forbidden) failures.push(`GitHub did not take the review of #${r.pr.number} (${r.post.message}); it is in the job summary.`);
  }
  // The gate looks at every finding at or above min-severity, before the max-comments cap: a cap on comments
  // must not switch the gate off.
  const threshold = inputs.failOnSeverity;
  if (threshold) {
    const severe = reports.flatMap((r) => r.eligible.filter((f) => atLeast(f.severity, threshold)));
    if (severe.length > 0) failures.push(`${severe.length} finding(s) at or above '${threshold}' (fail-on-severity).`);
  }
  const failure = failures.length > 0 ? failures.join(' ') : undefined;
  const summary = jobSummary({ conclusion, reports, skipped, usage, durationMs: Date.now() - started, notes, secrets });
  return { conclusion, outputs: outputs(conclusion, reports, baseThreadId, secrets), summary, usage, ...(failure ? { failure } : {}) };
}

/** What the agent phase produced: every chunk's outcome, or why the base thread could not be set up. */
type AgentResult =
  | { ok: true; threadId: string; usage: TokenUsage; outcomes: ChunkOutcome[] }
  | { ok: false; threadId: string | undefined; usage: TokenUsage; error: string };

/**
 * Opens the run's one app-server, builds the base thread (review instructions + one setup turn with the
 * conventions), then reviews every chunk in its own fork, max-parallel at a time. The app-server is closed after.
 */
async function runAgent(ctx: RunContext, job: { tasks: ChunkTask[]; setup: string; conventions: string[] }): Promise<AgentResult> {
  const { inputs } = ctx;
  const timeoutMs = inputs.timeoutMinutes * 60_000;
  const turn = { timeoutMs, effort: inputs.effort };
  const threadOptions = { sandbox: inputs.sandbox ?? 'read-only', approvalPolicy: 'never', cwd: inputs.workingDirectory } as const;
  const session = await ctx.openSession({ extraToml: SESSION_TOML });
  try {
    const setup = await core.group('Base thread: conventions and instructions', async () => {
      const base = await session.server.startThread({ ...threadOptions, developerInstructions: REVIEW_INSTRUCTIONS });
      const result = await base.run(job.setup, turn);
      if (result.status === 'completed') core.info(`Base thread ${base.id} ready (conventions: ${job.conventions.join(', ') || 'none'}).`);
      return { base, result };
    });
    let usage = addUsage(ZERO_USAGE, setup.result.usage);
    if (setup.result.status !== 'completed') {
      const how = setup.result.timedOut ? 'ran past timeout-minutes' : `ended ${setup.result.status}`;
      return { ok: false, threadId: setup.base.id, usage, error: `The review's setup turn ${how}: ${setup.result.error ?? 'no error given'}.` };
    }
    const outcomes = await core.group(`Review ${job.tasks.length} chunk(s) in forks, ${inputs.maxParallel} at a time`, () =>
      reviewChunks(setup.base, job.tasks, {
        maxParallel: inputs.maxParallel,
        thread: threadOptions,
        turn,
        onDone: (o) => {
          const which = `#${o.task.pr.number} chunk ${o.task.chunk.index}/${o.task.chunkCount}`;
          if (o.ok) core.info(`${which}: ${o.review.findings.length} finding(s).`);
          else core.warning(`${which} (${o.task.chunk.paths.join(', ')}) could not be reviewed: ${o.error}`);
        },
      }),
    );
    for (const o of outcomes) usage = addUsage(usage, o.usage);
    return { ok: true, threadId: setup.base.id, usage, outcomes };
  } finally {
    await session.close();
  }
}

/** Merges a pull request's chunk results, skips what earlier runs posted, posts the review and the sticky comment. */
async function deliver(ctx: RunContext, g: GatheredPull, outcomes: ChunkOutcome[]): Promise<PullReport> {
  const { inputs, github, repo, secrets } = ctx;
  const pr = g.pr;
  const selection = selectFindings(
    outcomes.flatMap((o) => (o.ok ? o.review.findings : [])),
    inputs.minSeverity,
    inputs.maxComments,
  );
  // Inline comments and review bodies of earlier runs both carry fingerprints.
  const [commentBodies, reviewBodies] = await Promise.all([
    listReviewCommentBodies(github, repo, pr.number),
    listReviewBodies(github, repo, pr.number),
  ]);
  const posted = new Set([...commentBodies, ...reviewBodies].flatMap(fingerprintsIn));
  const fresh = selection.kept.filter((f) => !posted.has(f.fp));
  const alreadyPosted = selection.kept.length - fresh.length;

  const notReviewed = [
    ...outcomes.filter((o) => !o.ok).map((o) => `Chunk ${o.task.chunk.index} of ${o.task.chunkCount} (${o.task.chunk.paths.map((p) => `\`${p}\``).join(', ')}): ${o.ok ? '' : o.error}`),
    ...g.skipped.slice(0, MAX_LISTED_SKIPPED).map((s) => `\`${s.path}\`: ${s.reason}`),
    ...(g.skipped.length > MAX_LISTED_SKIPPED ? [`… and ${g.skipped.length - MAX_LISTED_SKIPPED} more skipped files`] : []),
    ...(g.truncated ? [TRUNCATED_NOTE] : []),
  ];
  const summaries = outcomes.flatMap((o) => (o.ok && o.review.summary.trim() ? [o.review.summary.trim()] : []));
  const summary = summaries.join('\n\n');

  let post: PullReport['post'] = null;
  if (fresh.length > 0) {
    const placement = placeFindings(fresh, g.files);
    post = await postReview(github, repo, {
      pullNumber: pr.number,
      headSha: pr.headSha,
      event: inputs.reviewEvent,
      placement,
      context: { headSha: pr.headSha, summary, alreadyPosted, overCap: selection.overCap, maxComments: inputs.maxComments, notReviewed },
      secrets,
    });
    if (post.posted) core.info(`#${pr.number}: posted ${post.htmlUrl} (${post.inline} inline, ${fresh.length - post.inline} in the body).`);
    else core.warning(`#${pr.number}: the review could not be posted (${post.message}); it is in the job summary instead.`);
  } else {
    core.info(`#${pr.number}: no new findings to post${alreadyPosted > 0 ? ` (${alreadyPosted} already reported)` : ''}.`);
  }

  await postSticky(
    github,
    repo,
    pr.number,
    stickyBody({
      headSha: pr.headSha,
      summary,
      kept: selection.kept,
      minSeverity: inputs.minSeverity,
      reviewUrl: post?.posted ? post.htmlUrl : undefined,
      newCount: fresh.length,
      notReviewed,
    }),
    secrets,
  );

  return {
    pr,
    kept: selection.kept,
    eligible: selection.eligible,
    newCount: fresh.length,
    chunksTotal: outcomes.length,
    chunksOk: outcomes.filter((o) => o.ok).length,
    chunksRetried: outcomes.filter((o) => o.attempts > 1).length,
    notReviewed,
    post,
  };
}

/**
 * The workflow author's prompt, or the prompt-file's text. A prompt-file this batch's pull requests change is read
 * from the base commit instead, so a pull request cannot rewrite its own review instructions.
 */
async function readUserPrompt(ctx: RunContext, gathered: readonly GatheredPull[], notes: string[]): Promise<string | undefined> {
  const { inputs } = ctx;
  if (inputs.prompt !== undefined) return inputs.prompt;
  if (inputs.promptFile === undefined) return undefined;
  const rel = relative(inputs.workingDirectory, inputs.promptFile).split(sep).join('/');
  const changing = rel.startsWith('../') ? undefined : gathered.find((g) => g.allPaths.includes(rel));
  if (changing) {
    const base = await readFileAt(ctx.github, ctx.repo, rel, changing.pr.baseSha, PROMPT_FILE_MAX_BYTES);
    const note = base
      ? `prompt-file \`${rel}\` is changed by pull request #${changing.pr.number}; its version from the base branch was used.`
      : `prompt-file \`${rel}\` is added by pull request #${changing.pr.number}; it was not used.`;
    core.warning(note);
    notes.push(note);
    return base?.text;
  }
  try {
    return await readFile(inputs.promptFile, 'utf8');
  } catch (error) {
    throw new PromptFileError(`Could not read prompt-file ${inputs.promptFile}: ${(error as Error).message}. Check the path (it is relative to working-directory).`, { cause: error });
  }
}

/** The action outputs of a review run (token outputs are main's, from `usage`). */
function outputs(
  conclusion: ReviewConclusion,
  reports: readonly PullReport[],
  threadId: string | undefined,
  secrets: readonly string[],
): Record<string, string> {
  const urls = reports.flatMap((r) => (r.post?.posted ? [r.post.htmlUrl] : []));
  return {
    conclusion,
    findings: findingsOutput(reports, secrets),
    'findings-count': String(reports.reduce((n, r) => n + r.kept.length, 0)),
    'review-url': urls.join('\n'),
    'thread-id': threadId ?? '',
  };
}
