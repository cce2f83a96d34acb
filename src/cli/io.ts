// What a CLI command is given from outside: its arguments, environment, folder and streams (tests pass their own).
export interface CliIo {
  argv: readonly string[];
  env: NodeJS.ProcessEnv;
  cwd: string;
  stdout: { write(text: string): unknown; isTTY?: boolean };
  stderr: { write(text: string): unknown; isTTY?: boolean };
}

/** Exit codes: 0 done (no finding at or above --fail-on), 1 findings at or above --fail-on or a failed run, 2 usage. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;
