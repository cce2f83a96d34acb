// Runs the user's test-command, outside the agent, with the agent's secret-free environment and a time limit.
import { execa } from 'execa';

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
  /** How much of the output's end to keep. */
  keepBytes?: number;
}

const DEFAULT_KEEP_BYTES = 64 * 1024;
const KILL_GRACE_MS = 5_000;

/**
 * Runs `command` through bash (as a workflow's `run:` step would: the one place a shell string is allowed,
 * because the user wrote it as one). The command gets its own process group, so a timeout stops everything it
 * started, and nothing it leaves running in the background keeps the action waiting.
 */
export async function runTestCommand(command: string, options: TestRunOptions): Promise<TestRun> {
  const started = Date.now();
  const keep = options.keepBytes ?? DEFAULT_KEEP_BYTES;
  let tail = '';
  const child = execa('bash', ['-c', command], {
    cwd: options.cwd,
    env: options.env,
    extendEnv: false,
    stdin: 'ignore',
    all: true,
    buffer: false,
    reject: false,
    detached: true,
  });
  child.all?.on('data', (chunk: Buffer) => {
    tail += chunk.toString('utf8');
    // Trim in big steps: slicing on every chunk would copy the string over and over.
    if (tail.length > keep * 2) tail = tail.slice(-keep);
  });
  let timedOut = false;
  let killTimer: NodeJS.Timeout | undefined;
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup(child.pid, 'SIGTERM');
    killTimer = setTimeout(() => killGroup(child.pid, 'SIGKILL'), KILL_GRACE_MS);
  }, options.timeoutMs);
  // Once bash has exited, whatever it left behind would hold our pipes open; end it.
  child.nodeChildProcess.once('exit', () => killGroup(child.pid, 'SIGKILL'));
  const result = await child;
  clearTimeout(timer);
  clearTimeout(killTimer);
  if (result.exitCode === undefined && !result.signal && !timedOut) {
    tail += `\n${result.originalMessage ?? 'The command could not be started.'}`;
  }
  const exitCode = result.exitCode ?? null;
  return {
    command,
    passed: exitCode === 0 && !timedOut,
    exitCode,
    timedOut,
    durationMs: Date.now() - started,
    output: tail.length > keep ? tail.slice(-keep) : tail,
  };
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
