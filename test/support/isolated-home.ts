// Each test file runs with a HOME of its own: the agent's unsandboxed commands run in a login shell, which would
// otherwise source this machine's ~/.bashrc (a slow or locked `pyenv init` there stalled them past codex's 10 s
// yield), and git would read the machine's identity. Tests must not depend on the machine's profile.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from '@jest/globals';

const home = mkdtempSync(join(tmpdir(), 'test-home-'));
writeFileSync(join(home, '.gitconfig'), '[user]\n\tname = Test Runner\n\temail = test-runner@example.com\n');
process.env.HOME = home;

afterAll(() => {
  rmSync(home, { recursive: true, force: true });
});
