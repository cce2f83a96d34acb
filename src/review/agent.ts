// The review's agent phase, started as soon as some pull request is known to be reviewed: the app-server and the
// base thread come up while GitHub data is still being read; the setup turn and the forks run once their inputs are in.
import * as core from '@actions/core';
import { reviewApprovalPolicy } from '../codex/approvals.js';
import { startEarlyThread } from '../codex/early-thread.js';
import type { RunContext } from '../context.js';
import { addUsage, reviewChunks, ZERO_USAGE, type ChunkOutcome, type ChunkTask, type TokenUsage } from './forks.js';
import { REVIEW_INSTRUCTIONS } from './prompts.js';

// Codex loads AGENTS.md from its working directory by itself; the workspace holds the PR's head, whose AGENTS.md
// must not set the rules it is reviewed by. The base branch's copy is given in the setup turn instead.
const SESSION_TOML = ['project_doc_max_bytes = 0'];

/** What the agent phase produced: every chunk's outcome, or why the base thread could not be set up. */
export type AgentResult =
  | { ok: true; threadId: string; usage: TokenUsage; outcomes: ChunkOutcome[] }
  | { ok: false; threadId: string | undefined; usage: TokenUsage; error: string };

/** The work of the agent phase, once the conventions and the chunks are known. */
export interface AgentJob {
  tasks: ChunkTask[];
  /** The setup turn's prompt (conventions, the user's prompt). */
  setup: string;
  /** Paths of the conventions files, for the log. */
  conventions: string[];
  /** Called as each chunk finishes (after it is logged), e.g. to deliver a pull request whose chunks are all done. */
  onChunkDone?: (outcome: ChunkOutcome) => void;
}

/** The run's one app-server with its base thread, coming up in the background. */
export interface ReviewAgent {
  /**
   * Runs the setup turn on the base thread, then every chunk in its own fork, max-parallel at a time. The app-server
   * starts closing as soon as the last chunk is done, without holding up delivery. Rejects when the app-server or
   * the base thread could not be started.
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
  const early = startEarlyThread(() => ctx.openSession({ extraToml: SESSION_TOML }), {
    ...threadOptions,
    developerInstructions: REVIEW_INSTRUCTIONS,
  });
  const close = early.close;

  const run = async (job: AgentJob): Promise<AgentResult> => {
    const timeoutMs = inputs.timeoutMinutes * 60_000;
    const turn = { timeoutMs, effort: inputs.effort };
    try {
      const setup = await core.group('Base thread: conventions and instructions', async () => {
        const base = await early.thread;
        const result = await base.run(job.setup, { ...turn, phase: 'base' });
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
          turn: { ...turn, phase: 'chunks' },
          onDone: (o) => {
            const which = `#${o.task.pr.number} chunk ${o.task.chunk.index}/${o.task.chunkCount}`;
            if (o.ok) core.info(`${which}: ${o.review.findings.length} finding(s).`);
            else core.warning(`${which} (${o.task.chunk.paths.join(', ')}) could not be reviewed: ${o.error}`);
            job.onChunkDone?.(o);
          },
        }),
      );
      for (const o of outcomes) usage = addUsage(usage, o.usage);
      return { ok: true, threadId: setup.base.id, usage, outcomes };
    } finally {
      // Whoever awaits close() at the end hears of a failure to close; here it must not be unhandled.
      close().catch(() => {});
    }
  };
  return { run, close };
}
