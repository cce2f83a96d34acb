// Runs the user's test-command for the action (outside the agent's turn) with the agent's secret-free environment,
// inside the agent's sandbox, and with a time limit.
import { spawn } from 'node:child_process';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sandboxedArgv, sandboxScratch, withoutSandboxNotices, type CommandSandbox } from '../codex/sandbox-exec.js';

/** How one run of the test command went. */
export interface TestRun {
  command: string;
  passed: boolean;
  exitCode: number | null;
  timedOut: boolean;
  durationMs: number;
  /** The last part of stdout and stderr interleaved (bounded). */
  output: string;
}

export interface TestRunOptions {
  cwd: string;
  /** The complete environment (agentEnvironment: no secrets). */
  env: Record<string, string>;
  timeoutMs: number;
  /**
   * The sandbox to run it in (the one the agent had); undefined runs it directly (`sandbox: danger-full-access`).
   * The code under test was just edited by the agent: unconfined, it could read the action's environment through
   * /proc or plant git config that the action's own git calls would execute.
   */
  sandbox?: CommandSandbox;
  /** How much of the output's end to keep. */
  keepBytes?: number;
}

const DEFAULT_KEEP_BYTES = 64 * 1024;
// As a workflow's `run:` step starts bash: no startup files. Inside the sandbox this matters: bash takes stdin for a
// network connection there (the seccomp filter answers its probe with EPERM) and would read ~/.bashrc.
const BASH = (command: string) => ['--noprofile', '--norc', '-c', command];
const KILL_GRACE_MS = 5_000;

/**
 * Runs `command` through bash (as a workflow's `run:` step would: the one place a shell string is allowed,
 * because the user wrote it as one). The command gets its own process group, so a timeout stops everything it
 * started (the sandbox's PID namespace ends with it too), and whatever it leaves running in the background is
 * stopped when it ends.
 */
export async function runTestCommand(command: string, options: TestRunOptions): Promise<TestRun> {
  const { sandbox } = options;
  // Output goes to a file, not a pipe: Node's pipes to a child are socket pairs, and inside the sandbox a Node
  // program cannot write to a socket (the seccomp filter that takes the network away), so `node test.js` would
  // print nothing there.
  if (!sandbox) {
    const dir = await mkdtemp(join(tmpdir(), 'codex-test-run-'));
    try {
      return await runBash(command, options, { file: 'bash', args: BASH(command) }, options.env, join(dir, 'output.log'));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  const scratch = await sandboxScratch(sandbox);
  try {
    const argv = sandboxedArgv(sandbox, options.cwd, ['bash', ...BASH(command)]);
    const run = await runBash(command, options, argv, { ...options.env, CODEX_HOME: scratch.codexHome }, scratch.outputPath);
    return { ...run, output: withoutSandboxNotices(run.output) };
  } finally {
    await scratch.remove();
  }
}

async function runBash(
  command: string,
  options: TestRunOptions,
  argv: { file: string; args: string[] },
  env: Record<string, string>,
  outputPath: string,
): Promise<TestRun> {
  const started = Date.now();
  const keep = options.keepBytes ?? DEFAULT_KEEP_BYTES;
  const output = await open(outputPath, 'w', 0o600);
  try {
    const child = spawn(argv.file, argv.args, { cwd: options.cwd, env, stdio: ['ignore', output.fd, output.fd], detached: true });
    let timedOut = false;
    let killTimer: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid, 'SIGTERM');
      killTimer = setTimeout(() => killGroup(child.pid, 'SIGKILL'), KILL_GRACE_MS);
    }, options.timeoutMs);
    const ended = await new Promise<{ code: number | null; error?: Error }>((resolve) => {
      child.once('error', (error) => resolve({ code: null, error }));
      child.once('exit', (code) => resolve({ code }));
    });
    // Whatever bash left running in the background ends with it.
    killGroup(child.pid, 'SIGKILL');
    clearTimeout(timer);
    clearTimeout(killTimer);
    let tail = await readTail(outputPath, keep);
    if (ended.error) tail += `\n${ended.error.message}`;
    return {
      command,
      passed: ended.code === 0 && !timedOut,
      exitCode: ended.code,
      timedOut,
      durationMs: Date.now() - started,
      output: tail.length > keep ? tail.slice(-keep) : tail,
    };
  } finally {
    await output.close();
  }
}

// The last `bytes` of a file as text (a character cut in two at the start is dropped).
async function readTail(path: string, bytes: number): Promise<string> {
  const file = await open(path, 'r');
  try {
    const { size } = await file.stat();
    const length = Math.min(size, bytes);
    const buffer = Buffer.alloc(length);
    await file.read(buffer, 0, length, size - length);
    const text = buffer.toString('utf8');
    return length < size ? text.replace(/^\uFFFD+/, '') : text;
  } finally {
    await file.close();
  }
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

/** One line saying how a test run ended. */
export function describeTestRun(run: TestRun): string {
  const seconds = (run.durationMs / 1000).toFixed(1);
  if (run.passed) return `\`${run.command}\` passed in ${seconds} s.`;
  if (run.timedOut) return `\`${run.command}\` did not finish within its time limit and was stopped after ${seconds} s.`;
  if (run.exitCode === null) return `\`${run.command}\` could not be run or was killed.`;
  return `\`${run.command}\` failed with exit code ${run.exitCode} after ${seconds} s.`;
}
