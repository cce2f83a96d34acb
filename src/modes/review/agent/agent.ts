// The review's agent phase, started as soon as some pull request is known to be reviewed: the app-server and the
// base thread come up while GitHub data is still being read; the setup turn and the forks run once their inputs are in.
import { AgentFailure } from '../../../base/codex/agent-failure.js';
import type { Thread } from '../../../base/codex/app-server.js';
import { reviewApprovalPolicy } from '../../../base/codex/approvals.js';
import { startEarlyThread } from '../../../base/codex/early-thread.js';
import type { CodexSession } from '../../../base/codex/session.js';
import type { RunContext } from '../../../base/context.js';
import { stageThreads, threadKey, type StagedThread } from '../../../base/threads/threads.js';
import { leftOutLine } from '../deliver/compose.js';
import { addUsage, reviewChunks, ZERO_USAGE, type ChunkOutcome, type ChunkTask, type TokenUsage } from './forks.js';
import { REVIEW_INSTRUCTIONS } from './prompts.js';
import { verifyReported } from '../check/verify.js';
import { log } from '../../../base/log.js';

// Codex loads AGENTS.md from its working directory by itself; the workspace holds the PR's head, whose AGENTS.md
// must not set the rules it is reviewed by. The base branch's copy is given in the setup turn instead.
const SESSION_TOML = ['project_doc_max_bytes = 0'];

/** What the agent phase produced: every chunk's outcome, or why the base thread could not be set up. */
export type AgentResult =
  | { ok: true; threadId: string; usage: TokenUsage; outcomes: ChunkOutcome[]; staged: StagedThread[] }
  | { ok: false; threadId: string | undefined; usage: TokenUsage; error: string; outcomes: ChunkOutcome[] };

/** The work of the agent phase, once the conventions and the chunks are known. */
export interface AgentJob {
  tasks: ChunkTask[];
  /** The setup turn's prompt (conventions, the user's prompt). */
  setup: string;
  /** Paths of the conventions files, for the log. */
  conventions: string[];
  /** Settles when the setup turn may go to the model (the first status comment is up); must never reject. */
  setupAfter?: Promise<unknown>;
  /** Called as each chunk finishes (after it is logged), e.g. to show progress in the status comment. */
  onChunkDone?: (outcome: ChunkOutcome) => void;
  /**
   * Called once per pull request as soon as all its chunks are done and the agent is still sound (no dead app-server,
   * no refused key), with its threads worth keeping staged out of CODEX_HOME: it can be delivered while other pull
   * requests' chunks still run. Not called for a pull request whose chunks end after the agent broke.
   */
  onPullDone?: (number: number, outcomes: ChunkOutcome[], staged: StagedThread[]) => void;
}

/** The run's one app-server with its base thread, coming up in the background. */
export interface ReviewAgent {
  /**
   * Runs the setup turn on the base thread, then every chunk in its own fork, max-parallel at a time, and stages the
   * threads worth keeping. The app-server starts closing as soon as that is done, without holding up delivery.
   * Rejects when the app-server could not be opened.
   */
  run(job: AgentJob): Promise<AgentResult>;
  /** Closes the app-server (once; later calls wait for the same close). Safe to call whether or not run() was. */
  close(): Promise<void>;
}

/**
 * Opens the app-server (installing codex and checking its sandbox on first use) and starts the base thread with the
 * review instructions, without waiting: nothing the base thread needs comes from the pull requests.
 */
export function startReviewAgent(ctx: RunContext): ReviewAgent {
  const { inputs } = ctx;
  const threadOptions = {
    sandbox: inputs.sandbox ?? 'read-only',
    approvalPolicy: reviewApprovalPolicy(inputs.approvalPolicy),
    approvalsReviewer: inputs.approvalsReviewer,
    cwd: inputs.workingDirectory,
  } as const;
  const early = startEarlyThread(
    () => ctx.openSession({ extraToml: SESSION_TOML }),
    (session) => session.server.startThread({ ...threadOptions, developerInstructions: REVIEW_INSTRUCTIONS }),
  );
  const close = early.close;

  const run = async (job: AgentJob): Promise<AgentResult> => {
    const timeoutMs = inputs.timeoutMinutes * 60_000;
    const turn = { timeoutMs, effort: inputs.effort };
    try {
      const session = await early.session;
      let threadId: string | undefined;
      // A dead app-server or a refused key is the run's failure, whichever phase it hits; the server knows it happened.
      const broken = (usage: TokenUsage, failure: AgentFailure, outcomes: ChunkOutcome[] = []): AgentResult => ({
        ok: false,
        threadId,
        usage,
        error: `The review stopped: ${failure.message}`,
        outcomes,
      });
      let setup: { base: Thread; result: Awaited<ReturnType<Thread['run']>> };
      try {
        setup = await log.group('Base thread: conventions and instructions', async () => {
          const base = await early.thread;
          threadId = base.id;
          await job.setupAfter;
          const result = await base.run(job.setup, { ...turn, phase: 'base' });
          if (result.status === 'completed') log.info(`Base thread ${base.id} ready (conventions: ${job.conventions.join(', ') || 'none'}).`);
          return { base, result };
        });
      } catch (error) {
        if (error instanceof AgentFailure) return broken(ZERO_USAGE, error);
        throw error;
      }
      let usage = addUsage(ZERO_USAGE, setup.result.usage);
      if (session.server.failure) return broken(usage, session.server.failure);
      if (setup.result.status !== 'completed') {
        const how = setup.result.timedOut ? 'ran past timeout-minutes' : `ended ${setup.result.status}`;
        const error = `The review's setup turn ${how}: ${setup.result.error ?? 'no error given'}.`;
        return { ok: false, threadId: setup.base.id, usage, error, outcomes: [] };
      }
      const base = setup.base;
      // Each pull request's chunks are counted down; the last one hands its outcomes over for delivery.
      const left = new Map<number, number>();
      for (const t of job.tasks) left.set(t.pr.number, (left.get(t.pr.number) ?? 0) + 1);
      const done: ChunkOutcome[] = [];
      const staging: Promise<void>[] = [];
      const pullDone = (o: ChunkOutcome) => {
        done.push(o);
        const number = o.task.pr.number;
        const remaining = left.get(number)! - 1;
        left.set(number, remaining);
        if (remaining > 0 || !job.onPullDone || session.server.failure) return;
        const mine = job.tasks.flatMap((t) => (t.pr.number === number ? done.filter((d) => d.task === t) : []));
        const onPullDone = job.onPullDone;
        const handed = stageReviewThreads(ctx, session, base.id, mine).then((staged) => onPullDone(number, mine, staged));
        handed.catch(() => {}); // awaited once the chunks are done
        staging.push(handed);
      };
      const outcomes = await log.group(`Review ${job.tasks.length} chunk(s) in forks, ${inputs.maxParallel} at a time`, () =>
        reviewChunks(setup.base, job.tasks, {
          maxParallel: inputs.maxParallel,
          thread: threadOptions,
          turn: { ...turn, phase: 'chunks' },
          conventions: job.conventions,
          // Verification turns are their own phase in the budget's tokens per phase.
          ...(inputs.verify === 'findings'
            ? { verify: (fork, review) => verifyReported(fork, review.findings, inputs.minSeverity, { thread: threadOptions, turn: { ...turn, phase: 'verify' } }) }
            : {}),
          onDone: (o) => {
            const which = `#${o.task.pr.number} chunk ${o.task.chunk.index}/${o.task.chunkCount}`;
            if (!o.ok) log.warning(`${which} (${o.task.chunk.paths.join(', ')}) could not be reviewed: ${o.error}`);
            else if (o.review.dropped.length === 0) log.info(`${which}: ${o.review.findings.length} finding(s).`);
            else {
              log.warning(
                `${which}: ${o.review.findings.length} finding(s); ${o.review.dropped.length} more of the reply left out: ` +
                  o.review.dropped.map(leftOutLine).join('; '),
              );
            }
            job.onChunkDone?.(o);
            pullDone(o);
          },
        }),
      );
      for (const o of outcomes) usage = addUsage(usage, o.usage);
      // A failure to stage is the run's failure, as before any delivery.
      await Promise.all(staging);
      // Chunks cut off by a dead server or a refused key are not "chunks the model could not answer": the run failed.
      if (session.server.failure) return broken(usage, session.server.failure, outcomes);
      // Without onPullDone, every pull request's threads are staged here, before the caller posts anything.
      const staged = job.onPullDone ? [] : await stageReviewThreads(ctx, session, base.id, outcomes);
      return { ok: true, threadId: base.id, usage, outcomes, staged };
    } finally {
      // Whoever awaits close() at the end hears of a failure to close; here it must not be unhandled.
      close().catch(() => {});
    }
  };
  return { run, close };
}

/**
 * Copies the threads worth keeping out of CODEX_HOME before the session deletes it: the base thread (the thread-id
 * output, under every pull request of the batch) and each fork that reported findings (under its pull request).
 */
async function stageReviewThreads(ctx: RunContext, session: CodexSession, baseId: string, outcomes: readonly ChunkOutcome[]): Promise<StagedThread[]> {
  if (!ctx.threadStore) return [];
  const prs = [...new Set(outcomes.map((o) => o.task.pr.number))];
  const threads = [
    ...prs.map((pr) => ({ threadId: baseId, key: threadKey(ctx.repo, { pr }, baseId) })),
    ...outcomes.flatMap((o) =>
      o.ok && o.review.findings.length > 0 ? [{ threadId: o.threadId, key: threadKey(ctx.repo, { pr: o.task.pr.number }, o.threadId) }] : [],
    ),
  ];
  return stageThreads(session.codexHome, threads, ctx.tempDir);
}
