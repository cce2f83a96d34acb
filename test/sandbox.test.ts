// Recognising a sandbox that cannot start, and the advice the user gets.
import { SandboxUnavailableError, sandboxFailureIn } from '../src/base/codex/sandbox.js';

test('bubblewrap namespace errors are recognised in a failed command; mentions and ordinary failures are not', () => {
  expect(sandboxFailureIn('bwrap: loopback: Failed RTM_NEWADDR: Operation not permitted\n', 1)).toContain('Failed RTM_NEWADDR');
  expect(sandboxFailureIn('warming up\nbwrap: setting up uid map: Permission denied', 1)).toContain('setting up uid map');
  // A command that succeeded, or output that only quotes the message (e.g. cat of a test file), is not a failure.
  expect(sandboxFailureIn('bwrap: setting up uid map: Permission denied', 0)).toBeUndefined();
  expect(sandboxFailureIn("expect(x).toContain('bwrap: setting up uid map')", 1)).toBeUndefined();
  expect(sandboxFailureIn('npm ERR! Test failed.  See above for more details.', 1)).toBeUndefined();
  expect(sandboxFailureIn(null, 1)).toBeUndefined();
});

test('the error says how to fix it and that there is no silent unsandboxed fallback', () => {
  const message = new SandboxUnavailableError('bwrap: loopback: Failed RTM_NEWADDR').message;
  expect(message).toContain('sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0');
  expect(message).toContain("'sandbox: danger-full-access'");
});
