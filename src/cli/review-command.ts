// `codex-ci review`: a local change or a pull request through the review engine, reported on the terminal (or in a
// file) as text, Markdown, the Action's findings JSON or SARIF; `--post` posts a pull request's review as the Action.
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Git } from '../base/git.js';
import { log } from '../base/log.js';
import { TOOL_VERSION } from '../base/version.js';
import { NoChangesError } from '../modes/review/gather/local.js';
import { runLocalReview, type ReviewSource } from '../modes/review/run-local-review.js';
import { runReview } from '../modes/review/run-review.js';
import { sarifLog } from '../modes/review/report/sarif.js';
import type { ReviewCommand } from './args.js';
import { openCliRun, SetupError } from './context.js';
import { EXIT, type CliIo } from './io.js';
import { renderMarkdown, renderText } from './render.js';
import { paintFor } from './terminal.js';

/** The pull request's repository: --repo, else the origin remote's owner/name (github.com or an Enterprise host). */
async function repoOf(command: ReviewCommand, cwd: string): Promise<{ owner: string; repo: string }> {
  const named = command.repo ?? (await originRepo(cwd));
  if (!named) throw new SetupError('--pr needs the repository: give --repo OWNER/NAME (no origin remote to read it from)');
  const [owner, repo] = named.split('/') as [string, string];
  return { owner, repo };
}

async function originRepo(cwd: string): Promise<string | undefined> {
  const url = await new Git(cwd).remoteUrl('origin').catch(() => '');
  return /[/:]([^/:]+\/[^/]+?)(?:\.git)?\/?$/.exec(url)?.[1];
}

/** Runs the review; returns the exit code. */
export async function reviewCommand(command: ReviewCommand, io: CliIo): Promise<number> {
  const githubToken = io.env.GITHUB_TOKEN || io.env.GH_TOKEN || undefined;
  if (command.pr !== undefined && !githubToken) throw new SetupError('--pr reads the pull request through the GitHub API: set GITHUB_TOKEN or GH_TOKEN');
  const repo = command.pr !== undefined ? await repoOf(command, io.cwd) : undefined;
  const run = await openCliRun(
    'review',
    command,
    {
      workingDirectory: io.cwd,
      githubToken,
      paths: command.paths,
      pathsIgnore: command.pathsIgnore,
      failOnSeverity: command.failOn,
      ...(command.minSeverity ? { minSeverity: command.minSeverity } : {}),
    },
    io.env,
    repo,
  );
  try {
    if (command.post && command.pr !== undefined) {
      // The Action's own review: status comment, one review with the same markers, so a later Action run does not
      // repeat it. The job summary it would write goes to stdout.
      const outcome = await runReview(run.ctx, { prNumbers: [command.pr], explicit: true });
      io.stdout.write(outcome.summary);
      if (outcome.failure) io.stderr.write(`codex-ci: ${outcome.failure}\n`);
      return outcome.failure || outcome.conclusion === 'failure' ? EXIT.failed : EXIT.ok;
    }
    const source: ReviewSource = command.pr !== undefined ? { kind: 'pull', number: command.pr } : { kind: 'local', target: { base: command.base, head: command.head, workingTree: command.workingTree } };
    let review: Awaited<ReturnType<typeof runLocalReview>>;
    try {
      review = await runLocalReview(run.ctx, source, {
        onChunks: (total) => log.info(`Reviewing ${total} chunk(s), ${run.options.maxParallel} at a time…`),
        onChunkDone: (done, total, usage) => log.info(`  ${done}/${total} chunk(s) done, ${(usage.inputTokens + usage.outputTokens).toLocaleString('en-US')} tokens`),
      });
    } catch (error) {
      if (!(error instanceof NoChangesError)) throw error;
      // Nothing to review is not a failure: say so, and give machine formats an empty report they can still parse.
      log.info(error.message);
      await emit(command, io, command.format === 'json' ? '[]\n' : command.format === 'sarif' ? sarif([]) : '');
      return EXIT.ok;
    }
    const { outcome, report } = review;
    if (!report) {
      io.stderr.write(`codex-ci: ${outcome.failure ?? 'the review failed'}\n`);
      return EXIT.failed;
    }
    const hunks = new Map(review.files.map((f) => [f.path, f.hunks]));
    const text =
      command.format === 'json'
        ? `${outcome.outputs.findings}\n`
        : command.format === 'sarif'
          ? sarif(report.kept, run.ctx.secrets)
          : command.format === 'markdown'
            ? renderMarkdown(report, hunks)
            : renderText(report, hunks, paintFor(command.output ? {} : io.stdout, io.env));
    await emit(command, io, text);
    if (review.conventions.length > 0) log.info(`Conventions from ${report.pr.baseRef}: ${review.conventions.map((c) => c.path).join(', ')}.`);
    const nested = report.rules?.used ?? [];
    if (nested.length > 0) log.info(`Nested rules from ${report.pr.baseRef}: ${nested.map((u) => `${u.path}${u.cut ? ` (${u.cut})` : ''}`).join(', ')}.`);
    if (outcome.conclusion === 'incomplete') log.warning(`The review is incomplete: ${report.failedChunks.join('; ')} could not be reviewed.`);
    if (outcome.failure) io.stderr.write(`codex-ci: ${outcome.failure}\n`);
    return outcome.failure ? EXIT.failed : EXIT.ok;
  } finally {
    await run.close();
  }
}

function sarif(findings: Parameters<typeof sarifLog>[0], secrets: readonly string[] = []): string {
  return `${JSON.stringify(sarifLog(findings, { version: TOOL_VERSION, secrets }), null, 2)}\n`;
}

async function emit(command: ReviewCommand, io: CliIo, text: string): Promise<void> {
  if (command.output) await writeFile(resolve(io.cwd, command.output), text);
  else io.stdout.write(text);
}
