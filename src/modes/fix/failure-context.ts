// The evidence the agent starts from: the failed jobs' logs (excerpt + full file), or test-command's own output.
import { createReadStream } from 'node:fs';
import { mkdir, open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunContext } from '../../base/context.js';
import { listFailedJobs, RunDataUnavailableError, streamJobLog } from '../../base/github/runs.js';
import { redact, StreamRedactor } from '../../base/text/redact.js';
import { runKey, type FailingRun } from './failing-run.js';
import { buildLogExcerptFrom, DEFAULT_EXCERPT_BYTES, excerptLine, ExcerptRenderer, LineSplitter, LogIndex, type JobExcerptSource } from './log-excerpt.js';
import type { TestRun } from '../../base/command/test-command.js';
import { tailText } from '../../base/text/bounds.js';
import { type FixTarget } from './target.js';
import { log } from '../../base/log.js';

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
      const logPath = join(dir, 'failed-jobs.log');
      const logs = await readFailedLogs(ctx, run.id, logPath);
      if (logs.length > 0) {
        return {
          kind: 'logs',
          description: `Failed job${logs.length > 1 ? 's' : ''}: ${logs.map((j) => `"${j.name}"`).join(', ')}. An excerpt of the log:`,
          // The log was redacted as it was written; the excerpt is read back from that file.
          excerpt: redact(await buildLogExcerptFrom(logs, DEFAULT_EXCERPT_BYTES), ctx.secrets),
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
    log.info(notes.at(-1)!);
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

/**
 * Streams the failed jobs' logs into `logPath` (redacted on the way, one header line per job) and indexes each as
 * it passes, so neither the download nor the file is ever held in memory; the excerpt reads back only its lines.
 */
async function readFailedLogs(ctx: RunContext, runId: number, logPath: string): Promise<JobExcerptSource[]> {
  const jobs = await listFailedJobs(ctx.github, ctx.repo, runId);
  const sources: JobExcerptSource[] = [];
  const file = await open(logPath, 'w');
  let offset = 0;
  const write = async (text: string) => {
    if (text.length === 0) return;
    const { bytesWritten } = await file.write(text, null, 'utf8');
    offset += bytesWritten;
  };
  try {
    for (const job of jobs.slice(0, MAX_JOBS)) {
      let body: AsyncIterable<Uint8Array>;
      try {
        body = await streamJobLog(ctx.github, ctx.repo, job.id);
      } catch (error) {
        // One job's expired log should not hide the others; all of them missing means no access at all.
        if (!(error instanceof RunDataUnavailableError) || jobs.length === 1) throw error;
        log.warning(`${error.message} (job "${job.name}")`);
        continue;
      }
      const step = job.failedStep ? ` (failed step "${job.failedStep}")` : '';
      await write(redact(`${sources.length > 0 ? '\n\n' : ''}===== Job "${job.name}"${step} =====\n`, ctx.secrets));
      const start = offset;
      const index = new LogIndex();
      const lines = new LineSplitter((line) => void index.add(line));
      const redactor = new StreamRedactor(ctx.secrets);
      const decoder = new TextDecoder('utf-8');
      const pass = async (text: string) => {
        const safe = redactor.push(text);
        lines.push(safe);
        await write(safe);
      };
      for await (const chunk of body) await pass(decoder.decode(chunk, { stream: true }));
      await pass(decoder.decode());
      const rest = redactor.end();
      lines.push(rest);
      lines.end();
      await write(rest);
      const end = offset;
      sources.push({
        name: job.name,
        failedStep: job.failedStep,
        excerpt: (maxBytes) => excerptFromFile(logPath, start, end, index, maxBytes),
      });
    }
  } finally {
    await file.close();
  }
  return sources;
}

// Reads back bytes [start, end) of the log file, line by line, until every chosen line is in.
async function excerptFromFile(path: string, start: number, end: number, index: LogIndex, maxBytes: number): Promise<string> {
  const renderer = new ExcerptRenderer(index.select(maxBytes), index.lineCount);
  if (end <= start) return renderer.text();
  const stream = createReadStream(path, { start, end: end - 1, encoding: 'utf8' });
  let more = true;
  const lines = new LineSplitter((line) => {
    // Lines the index did not count (dropped runner markers) are not offered either, so the numbering agrees.
    const shown = excerptLine(line);
    if (more && shown !== undefined) more = renderer.offer(shown);
  });
  try {
    for await (const text of stream) {
      lines.push(text as string);
      if (!more) break;
    }
    if (more) lines.end();
  } finally {
    stream.destroy();
  }
  return renderer.text();
}
