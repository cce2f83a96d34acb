// Runs one of the action's own commands (test-command) inside the Codex sandbox the agent had, through the pinned
// binary's `codex sandbox` subcommand: the workspace writable but `.git` read-only, no network, a PID namespace
// (the action's process and its environment are out of sight), and only the environment it is given.
import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { sandboxFailureIn, SandboxUnavailableError } from './sandbox.js';
import { type SandboxMode } from '../options.js';

/** Sandbox modes a command can be confined to; `danger-full-access` means "run it directly". */
export type ConfinedMode = Exclude<SandboxMode, 'danger-full-access'>;

/** Where and how to confine a command. */
export interface CommandSandbox {
  /** The codex binary (from ctx.codex()). */
  codexPath: string;
  mode: ConfinedMode;
  /** Parent folder of the private CODEX_HOME each run gets (RUNNER_TEMP). */
  homeParent: string;
}

// The built-in permission profiles of the pinned codex that match the thread sandbox modes. `codex sandbox` needs one
// (`-P`); `-c sandbox_mode=…` alone is refused, and `codex sandbox linux …` panics in this version.
const PROFILES: Record<ConfinedMode, string> = {
  'workspace-write': ':workspace',
  'read-only': ':read-only',
};

/** The sandbox for `sandbox` (the `sandbox` input; unset means workspace-write), or undefined for danger-full-access. */
export function commandSandbox(codexPath: string, sandbox: SandboxMode | undefined, homeParent: string): CommandSandbox | undefined {
  if (sandbox === 'danger-full-access') return undefined;
  return { codexPath, mode: sandbox ?? 'workspace-write', homeParent };
}

/** The program and arguments that run `argv` in the sandbox with `cwd` as its (only writable) workspace. */
export function sandboxedArgv(sandbox: CommandSandbox, cwd: string, argv: readonly string[]): { file: string; args: string[] } {
  return { file: sandbox.codexPath, args: ['sandbox', '-P', PROFILES[sandbox.mode], '-C', cwd, '--', ...argv] };
}

/**
 * A private folder for one sandboxed command: an empty CODEX_HOME and the file its output goes to; `remove()`
 * deletes both. Fresh per command because the command may be able to write there (when it lies under /tmp): nothing
 * it writes can shape a later run.
 */
export async function sandboxScratch(
  sandbox: CommandSandbox,
): Promise<{ codexHome: string; outputPath: string; remove(): Promise<void> }> {
  await mkdir(sandbox.homeParent, { recursive: true });
  const dir = await mkdtemp(join(sandbox.homeParent, 'codex-sandbox-'));
  await chmod(dir, 0o700);
  const codexHome = join(dir, 'home');
  await mkdir(codexHome, { mode: 0o700 });
  return { codexHome, outputPath: join(dir, 'output.log'), remove: () => rm(dir, { recursive: true, force: true }) };
}

// Codex's own notice when CODEX_HOME is under /tmp (it then skips its PATH helpers); not the command's output.
const CODEX_NOTICE = /^WARNING: proceeding, even though we could not create PATH aliases: .*\n?/gm;

/** `output` without the lines `codex sandbox` itself prints. */
export function withoutSandboxNotices(output: string): string {
  return output.replace(CODEX_NOTICE, '');
}

/**
 * Runs `true` in the sandbox before any model call: a sandbox that cannot start on this runner (or a codex without
 * the `sandbox` subcommand) is reported with what to do, instead of surfacing later as odd command failures.
 */
export async function probeSandbox(sandbox: CommandSandbox, cwd: string, env: Record<string, string>): Promise<void> {
  const scratch = await sandboxScratch(sandbox);
  try {
    const { file, args } = sandboxedArgv(sandbox, cwd, ['true']);
    const result = await execa(file, args, {
      cwd,
      env: { ...env, CODEX_HOME: scratch.codexHome },
      extendEnv: false,
      stdin: 'ignore',
      all: true,
      reject: false,
      timeout: 60_000,
    });
    if (result.exitCode === 0) return;
    const output = withoutSandboxNotices(result.all ?? '').trim();
    const failure = sandboxFailureIn(output, result.exitCode ?? 1);
    if (failure) throw new SandboxUnavailableError(failure);
    throw new Error(
      `Could not run a command in the Codex sandbox (\`${sandbox.codexPath} sandbox\`): ` +
        `${output.slice(0, 500) || `exit code ${result.exitCode ?? 'none'}`}. Use the codex version this action pins, ` +
        "or set 'sandbox: danger-full-access' to run without the sandbox.",
    );
  } finally {
    await scratch.remove();
  }
}
