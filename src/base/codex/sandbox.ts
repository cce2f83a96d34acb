// The Linux sandbox (bubblewrap) on real runners: lift the AppArmor user-namespace restriction,
// and recognise a sandbox that still cannot start so the user gets a fix, not a mystery.
import { readFile } from 'node:fs/promises';
import { execa } from 'execa';
import { log } from '../log.js';

const USERNS_SYSCTL = 'kernel.apparmor_restrict_unprivileged_userns';
const USERNS_PROC = '/proc/sys/kernel/apparmor_restrict_unprivileged_userns';

/** Messages bubblewrap prints when it cannot create its namespaces (see openai/codex-action#75, #77). */
// Anchored at a line start: bwrap prints these itself; a file that merely mentions them (this repo's tests) must not match.
const BWRAP_FAILURE = /^bwrap: (?:loopback: Failed RTM_NEWADDR|setting up uid map|No permissions to create new namespace|Creating new namespace failed|.*Operation not permitted)/m;

/** The agent's sandbox could not start: nothing it ran was trustworthy. */
export class SandboxUnavailableError extends Error {
  constructor(detail: string) {
    super(
      `The Codex sandbox could not start on this runner (${detail.trim().slice(0, 200)}). ` +
        `On Ubuntu 24.04 runners run \`sudo sysctl -w ${USERNS_SYSCTL}=0\` in a step before this action ` +
        `(the action does this itself when passwordless sudo is available), or use a runner that allows ` +
        `unprivileged user namespaces. The action does not fall back to running unsandboxed unless ` +
        `'sandbox: danger-full-access' is set.`,
    );
    this.name = 'SandboxUnavailableError';
  }
}

/** On Linux, turns off AppArmor's user-namespace restriction when it is on and sudo needs no password. */
export async function prepareSandbox(sandbox: string | undefined): Promise<void> {
  if (process.platform !== 'linux' || sandbox === 'danger-full-access') return;
  const restricted = (await readFile(USERNS_PROC, 'utf8').catch(() => '0')).trim() === '1';
  if (!restricted) return;
  const result = await execa('sudo', ['-n', 'sysctl', '-w', `${USERNS_SYSCTL}=0`], { reject: false });
  if (result.exitCode === 0) log.info(`Set ${USERNS_SYSCTL}=0 so the Codex sandbox (bubblewrap) can start.`);
  else
    log.warning(
      `AppArmor restricts unprivileged user namespaces here and sudo is not available without a password, ` +
        `so the Codex sandbox may fail to start. Run \`sudo sysctl -w ${USERNS_SYSCTL}=0\` before this action.`,
    );
}

/** The bubblewrap error in the output of a command that failed, if the sandbox could not start it. */
export function sandboxFailureIn(output: string | null | undefined, exitCode: number | null | undefined): string | undefined {
  if (!output || exitCode === 0) return undefined;
  return BWRAP_FAILURE.exec(output)?.[0];
}
