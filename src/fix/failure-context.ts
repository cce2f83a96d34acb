// The evidence the agent starts from: the failed jobs' logs (excerpt + full file), or test-command's own output.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as core from '@actions/core';
import type { RunContext } from '../context.js';
import { downloadJobLog, listFailedJobs, RunDataUnavailableError } from '../github/runs.js';
import { redact } from '../redact.js';
import type { FixTarget } from '../plan.js';
import { runKey, type FailingRun } from './failing-run.js';
import { buildLogExcerpt, DEFAULT_EXCERPT_BYTES, tailText, type JobLog } from './log-excerpt.js';
import type { TestRun } from './test-command.js';

/** What the agent is told about the failure. */
export interface FailureContext {
  /** `logs`: the failed run's job logs; `reproduced`: the output of running test-command here. */
  kind: 'logs' | 'reproduced';
  /** One or two sentences on where the evidence comes from. */
  description: string;
  /** The bounded excerpt that goes into the prompt (secrets redacted). */
  excerpt: string;
  /** File with the full logs or output (secrets redacted), readable by the agent. */
  logPath: string;
  /** Names of the failed jobs (logs only). */
  jobs: string[];
  /** The reproduction run (reproduced only). */
  reproduction?: TestRun;
  /** Things the summary should mention (e.g. why logs were not used). */
  notes: string[];
}

// Logs of this many failed jobs at most are downloaded; a matrix of 50 failures says the same thing 50 times.
const MAX_JOBS = 10;

/**
 * Gathers the failure: the failed jobs' logs through the API, or — in the failing job itself (its log is not
 * served until it ends), without `actions: read`, or with no failed job to read — the output of `reproduce()`.
 */
export async function gatherFailure(
  ctx: RunContext,
  run: FailingRun,
  source: FixTarget['source'],
  reproduce: () => Promise<TestRun>,
): Promise<FailureContext> {
  const dir = join(ctx.tempDir, `codex-fix-${runKey(run)}`);
  await mkdir(dir, { recursive: true });
  const notes: string[] = [];
  if (source !== 'in-job' && run.id !== undefined) {
    try {
      const logs = await readFailedLogs(ctx, run.id);
      if (logs.length > 0) {
        const logPath = join(dir, 'failed-jobs.log');
        const full = logs.map((j) => `===== Job "${j.name}"${j.failedStep ? ` (failed step "${j.failedStep}")` : ''} =====\n${j.log}`).join('\n\n');
        await writeFile(logPath, redact(full, ctx.secrets));
        return {
          kind: 'logs',
          description: `Failed job${logs.length > 1 ? 's' : ''}: ${logs.map((j) => `"${j.name}"`).join(', ')}. An excerpt of the log:`,
          excerpt: redact(buildLogExcerpt(logs, DEFAULT_EXCERPT_BYTES), ctx.secrets),
          logPath,
          jobs: logs.map((j) => j.name),
          notes,
        };
      }
      notes.push(`Run ${run.id} has no failed job with a readable log, so the failure was reproduced with test-command.`);
    } catch (error) {
      if (!(error instanceof RunDataUnavailableError)) throw error;
      notes.push(`${error.message} The failure was reproduced with test-command instead.`);
    }
    core.info(notes.at(-1)!);
  }
  const reproduction = await reproduce();
  const logPath = join(dir, 'test-command-output.log');
  await writeFile(logPath, redact(reproduction.output, ctx.secrets));
  const outcome = reproduction.passed
    ? 'passed'
    : reproduction.timedOut
      ? 'did not finish within its time limit'
      : `failed with exit code ${reproduction.exitCode ?? 'none'}`;
  return {
    kind: 'reproduced',
    description:
      (source === 'in-job' ? "This runs in the failing job, whose log GitHub does not serve yet, so the action ran " : 'The action ran ') +
      `\`${reproduction.command}\` at this commit; it ${outcome}. The end of its output:`,
    excerpt: redact(tailText(reproduction.output, DEFAULT_EXCERPT_BYTES), ctx.secrets),
    logPath,
    jobs: [],
    reproduction,
    notes,
  };
}

async function readFailedLogs(ctx: RunContext, runId: number): Promise<JobLog[]> {
  const jobs = await listFailedJobs(ctx.github, ctx.repo, runId);
  const logs: JobLog[] = [];
  for (const job of jobs.slice(0, MAX_JOBS)) {
    try {
      logs.push({ name: job.name, failedStep: job.failedStep, log: await downloadJobLog(ctx.github, ctx.repo, job.id) });
    } catch (error) {
      // One job's expired log should not hide the others; all of them missing means no access at all.
      if (!(error instanceof RunDataUnavailableError) || jobs.length === 1) throw error;
      core.warning(`${error.message} (job "${job.name}")`);
    }
  }
  return logs;
}
