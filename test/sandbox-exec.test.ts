// The action's own test runs inside the Codex sandbox (the real pinned binary): what the confined command can and
// cannot reach, compared with the same command run directly.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { agentEnvironment } from '../src/base/codex/environment.js';
import { SandboxUnavailableError } from '../src/base/codex/sandbox.js';
import { commandSandbox, probeSandbox, sandboxedArgv, withoutSandboxNotices, type CommandSandbox } from '../src/base/codex/sandbox-exec.js';
import { runTestCommand, type TestRunOptions } from '../src/base/command/test-command.js';
import { CODEX_BINARY } from './support/codex.js';
import { createRepo, type TestRepo } from './support/git-repo.js';

const SECRET = 'ghs_sandboxExecSecret0123456789abcdef';

let repo: TestRepo;
let scratch: string;
let sandbox: CommandSandbox;
let options: TestRunOptions;
beforeEach(async () => {
  repo = await createRepo({ 'README.md': 'x\n' });
  scratch = await mkdtemp(join(tmpdir(), 'sandbox-exec-'));
  sandbox = commandSandbox(CODEX_BINARY, 'workspace-write', scratch)!;
  options = { cwd: repo.dir, env: agentEnvironment(process.env, [SECRET]), timeoutMs: 20_000, sandbox };
});
afterEach(async () => {
  await repo.cleanup();
  await rm(scratch, { recursive: true, force: true });
});

test('the invocation: `codex sandbox` with the built-in profile of the mode; none for danger-full-access', () => {
  expect(sandboxedArgv(sandbox, '/w', ['bash', '-c', 'npm test'])).toEqual({
    file: CODEX_BINARY,
    args: ['sandbox', '-P', ':workspace', '-C', '/w', '--', 'bash', '-c', 'npm test'],
  });
  expect(sandboxedArgv(commandSandbox('codex', 'read-only', '/t')!, '/w', ['true']).args.slice(0, 3)).toEqual(['sandbox', '-P', ':read-only']);
  expect(commandSandbox('codex', undefined, '/t')?.mode).toBe('workspace-write');
  expect(commandSandbox('codex', 'danger-full-access', '/t')).toBeUndefined();
  expect(withoutSandboxNotices('WARNING: proceeding, even though we could not create PATH aliases: x\nok\n')).toBe('ok\n');
});

describe('a process of the action holding a secret in its environment', () => {
  let action: ChildProcess;
  beforeEach(() => {
    // Stands in for the action's node process: same user, the token in its environment (as INPUT_GITHUB-TOKEN is).
    action = spawn('sleep', ['120'], { env: { PATH: process.env.PATH, 'INPUT_GITHUB-TOKEN': SECRET }, stdio: 'ignore' });
  });
  afterEach(() => {
    action.kill('SIGKILL');
  });

  // Every environ the command can read: its parent chain and every other process it can see.
  const scan = (out: string) =>
    `p=$$; while [ "$p" -gt 1 ]; do cat /proc/$p/environ; p=$(awk '/^PPid/{print $2}' /proc/$p/status); done > ${out} 2>/dev/null; ` +
    `for f in /proc/[0-9]*/environ; do cat "$f"; done >> ${out} 2>/dev/null; ls /proc | grep -c '^[0-9]'`;

  it('is out of sight of the sandboxed command, though the same command run directly reads it', async () => {
    const direct = await runTestCommand(scan(join(scratch, 'direct.txt')), { ...options, sandbox: undefined });
    expect(direct.passed).toBe(true);
    expect(await readFile(join(scratch, 'direct.txt'), 'utf8')).toContain(SECRET);

    const confined = await runTestCommand(scan(join(scratch, 'confined.txt')), options);
    expect(confined.passed).toBe(true);
    const seen = await readFile(join(scratch, 'confined.txt'), 'utf8');
    expect(seen).toContain('PATH=');
    expect(seen).not.toContain(SECRET);
    // A PID namespace: the command sees the sandbox's own few processes only.
    expect(Number(confined.output.trim())).toBeLessThan(8);
  });
});

test('the sandboxed command cannot change .git (config, hooks) but can write the workspace', async () => {
  const config = await readFile(join(repo.dir, '.git/config'), 'utf8');
  const run = await runTestCommand(
    "git config core.fsmonitor 'touch /tmp/pwned'; printf '[core]\\n\\thooksPath = /tmp\\n' >> .git/config; " +
      'echo x > .git/hooks/post-checkout; echo built > out.txt',
    options,
  );
  expect(run.output).toMatch(/could not lock config file|Read-only file system/);
  expect(await readFile(join(repo.dir, '.git/config'), 'utf8')).toBe(config);
  await expect(readFile(join(repo.dir, '.git/hooks/post-checkout'))).rejects.toThrow();
  expect(await readFile(join(repo.dir, 'out.txt'), 'utf8')).toBe('built\n');
});

test('the sandboxed command has no network, not even loopback', async () => {
  const server: Server = createServer((_req, res) => res.end('reached'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const fetchIt = `node -e "fetch('http://127.0.0.1:${port}/').then(r => r.text()).then(t => console.log(t), e => { console.log('blocked'); process.exit(3); })"`;
    expect((await runTestCommand(fetchIt, { ...options, sandbox: undefined })).output).toContain('reached');
    const run = await runTestCommand(fetchIt, options);
    expect(run).toMatchObject({ passed: false, exitCode: 3 });
    expect(run.output).toContain('blocked');
  } finally {
    server.close();
  }
});

test("a Node program's output is kept (its stdout is a file, not a socket), stderr included, without codex's notices", async () => {
  const run = await runTestCommand(`node -e "console.log('to stdout'); console.error('to stderr'); process.exit(2)"`, options);
  expect(run).toMatchObject({ passed: false, exitCode: 2, timedOut: false });
  expect(run.output).toBe('to stdout\nto stderr\n');
});

test('a time limit stops the sandboxed command and everything it started', async () => {
  const started = Date.now();
  const run = await runTestCommand('echo started; sleep 30 & sleep 30', { ...options, timeoutMs: 1_000 });
  expect(Date.now() - started).toBeLessThan(8_000);
  expect(run).toMatchObject({ passed: false, timedOut: true });
  expect(run.output).toContain('started');
});

test('background processes a passing sandboxed command leaves behind do not keep the action waiting', async () => {
  const started = Date.now();
  const run = await runTestCommand('(sleep 30 &); echo ok', options);
  expect(Date.now() - started).toBeLessThan(5_000);
  expect(run).toMatchObject({ passed: true, exitCode: 0, output: 'ok\n' });
});

describe('probeSandbox', () => {
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp' };
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'probe-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  async function fakeCodex(script: string): Promise<string> {
    const path = join(dir, 'codex');
    await writeFile(path, `#!/bin/sh\n${script}\n`, { mode: 0o755 });
    return path;
  }

  it('passes with the real binary in both confined modes', async () => {
    for (const mode of ['read-only', 'workspace-write'] as const) {
      await expect(probeSandbox(commandSandbox(CODEX_BINARY, mode, dir)!, dir, env)).resolves.toBeUndefined();
    }
  });

  it('turns a sandbox that cannot start into the error that says how to fix it', async () => {
    const codex = await fakeCodex("echo 'bwrap: setting up uid map: Permission denied' >&2; exit 1");
    await expect(probeSandbox(commandSandbox(codex, 'read-only', dir)!, dir, env)).rejects.toThrow(SandboxUnavailableError);
  });

  it('says so when codex cannot run sandboxed commands at all', async () => {
    const codex = await fakeCodex("echo \"error: unrecognized subcommand 'sandbox'\" >&2; exit 2");
    await expect(probeSandbox(commandSandbox(codex, 'workspace-write', dir)!, dir, env)).rejects.toThrow(/unrecognized subcommand 'sandbox'.*danger-full-access/s);
  });
});
