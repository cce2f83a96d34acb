// `codex-ci fix -- <command>`: flags → the local fix engine; progress on stderr, a short report on stdout, exit code 0
// when the command passes (already, or after a verified fix) and 1 when it still fails.
import { resolve } from 'node:path';
import { describeTestRun } from '../base/command/test-command.js';
import { redact } from '../base/text/redact.js';
import { LocalFixError, runLocalFix, type LocalFixResult } from '../modes/fix/run-local-fix.js';
import type { FixCommand } from './args.js';
import { openCliRun, SetupError } from './context.js';
import { EXIT, type CliIo } from './io.js';
import { paintFor, type Paint } from './terminal.js';

export async function fixCommand(command: FixCommand, io: CliIo): Promise<number> {
  const testCommand = shellCommand(command.argv);
  const run = await openCliRun(
    'fix',
    command,
    { workingDirectory: io.cwd, testCommand, ...(command.maxAttempts !== undefined ? { maxAttempts: command.maxAttempts } : {}) },
    io.env,
  );
  try {
    const patchFile = command.patch === undefined ? undefined : resolve(io.cwd, command.patch);
    const result = await runLocalFix(run.ctx, { command: testCommand, patchFile });
    io.stdout.write(redact(fixReport(result, testCommand, io.cwd, paintFor(io.stdout, io.env)), run.ctx.secrets));
    // The reason last on stderr, where main.ts puts every other failure.
    if (result.agentError) io.stderr.write(`codex-ci: ${redact(result.agentError, run.ctx.secrets)}\n`);
    return result.status === 'unverified' ? EXIT.failed : EXIT.ok;
  } catch (error) {
    // Not a repository is the user's setup, like missing credentials: exit 2.
    if (error instanceof LocalFixError) throw new SetupError(error.message);
    throw error;
  } finally {
    await run.close();
  }
}

// Characters a POSIX shell takes literally outside quotes.
const PLAIN = /^[A-Za-z0-9_@%+=:,./-]+$/;

/**
 * The argv after `--` as one command line for bash, each argument single-quoted unless it is plain, so that
 * `fix -- sh -c 'grep -q x f'` runs exactly that. A single argument is taken as the command line it already is:
 * `fix -- "npm test && npm run lint"` is what a user types to give a shell line.
 */
export function shellCommand(argv: readonly string[]): string {
  if (argv.length === 1) return argv[0]!;
  return argv.map((arg) => (PLAIN.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`)).join(' ');
}

/** The report on stdout: whether the command passes now, the diagnosis, the files, and where the change is. */
export function fixReport(result: LocalFixResult, command: string, cwd: string, paint: Paint): string {
  const ok = (text: string) => `${paint.green('✓')} ${paint.bold(text)}`;
  const no = (text: string) => `${paint.red('✗')} ${paint.bold(text)}`;
  if (result.status === 'passing') return `${ok(`\`${command}\` passes already: nothing to fix.`)} No agent was started.\n`;
  const n = result.attempts.length;
  const tries = n === 0 ? '' : ` (${n} ${n === 1 ? 'try' : 'tries'})`;
  const lines: string[] = [];
  if (result.status === 'verified') {
    lines.push(ok(`Verified: \`${command}\` passes after the fix${tries}.`));
  } else if (result.agentError) {
    lines.push(no(`Not fixed: the agent stopped before it finished${tries}.`));
  } else {
    lines.push(no(`Not verified: \`${command}\` still fails after the agent's change${tries}.`));
  }
  const d = result.diagnosis;
  if (d) lines.push(`  Fix:        ${d.title}`, `  Root cause: ${d.rootCause}`, `  Summary:    ${d.summary}`);
  if (result.files.length > 0) {
    lines.push(`  Files changed (${result.files.length}):`);
    for (const f of result.files) lines.push(`    ${f.path} (+${f.additions ?? 'bin'} −${f.deletions ?? 'bin'})`);
  }
  if (result.reverted.length > 0) lines.push(`  Put back (protected paths, never part of a fix): ${result.reverted.join(', ')}`);
  const apply = (path: string) => (result.root === cwd ? `git apply ${path}` : `git -C ${result.root} apply ${path}`);
  if (result.files.length === 0) {
    lines.push(result.status === 'verified' ? '  The agent changed no files: the command passes now without a change (is it flaky?).' : '  The agent changed no files.');
  } else if (result.inTree) {
    lines.push('  The change is in your working tree, uncommitted: review it with `git diff`. Nothing was committed.');
    if (result.patchPath) lines.push(`  Your own uncommitted changes are still there too; the agent's part alone is in ${result.patchPath}.`);
  } else if (result.patchPath) {
    const why = result.status === 'verified' ? 'as --patch asked' : 'it is not verified, so it was not left in the tree';
    lines.push(`  The change is in ${result.patchPath} (${why}); your working tree is as it was. Apply it with: ${apply(result.patchPath)}`);
  }
  const last = result.attempts.at(-1)?.test;
  if (result.status === 'unverified' && last) lines.push(`  Last run: ${describeTestRun(last)}`);
  if (result.agentError) lines.push(`  Why: ${result.agentError}`);
  const u = result.usage;
  lines.push(paint.dim(`  Tokens: ${u.inputTokens} input (${u.cachedInputTokens} cached), ${u.outputTokens} output.`));
  return `${lines.join('\n')}\n`;
}
