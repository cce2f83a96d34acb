// Recognising a sandbox that cannot start, and the advice the user gets.
import { SandboxUnavailableError, sandboxFailureIn } from '../src/codex/sandbox.js';

test('bubblewrap namespace errors are recognised in command output; ordinary failures are not', () => {
  expect(sandboxFailureIn('bwrap: loopback: Failed RTM_NEWADDR: Operation not permitted\n')).toContain('Failed RTM_NEWADDR');
  expect(sandboxFailureIn('bwrap: setting up uid map: Permission denied')).toContain('setting up uid map');
  expect(sandboxFailureIn('npm ERR! Test failed.  See above for more details.')).toBeUndefined();
  expect(sandboxFailureIn(null)).toBeUndefined();
});

test('the error says how to fix it and that there is no silent unsandboxed fallback', () => {
  const message = new SandboxUnavailableError('bwrap: loopback: Failed RTM_NEWADDR').message;
  expect(message).toContain('sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0');
  expect(message).toContain("'sandbox: danger-full-access'");
});
