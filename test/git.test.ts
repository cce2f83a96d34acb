// src/git.ts against real repositories, and a push through a token-checking smart-HTTP server.
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ACTIONS_BOT, Git, GitError, gitAuthEnv } from '../src/base/git.js';
import { startGitHttpServer, type GitHttpServer } from './support/fix-git-http.js';
import { createRepo, type TestRepo } from './support/git-repo.js';

const TOKEN = 'ghs_gitTestToken0123456789abcdefABCDEF';
let repo: TestRepo;
let http: GitHttpServer | undefined;

beforeEach(async () => {
  repo = await createRepo({ 'src/a.txt': 'one\n', '.github/workflows/ci.yml': 'on: push\n' });
});
afterEach(async () => {
  await http?.close();
  http = undefined;
  await repo.cleanup();
});

test('gitAuthEnv sets a per-process basic-auth header for HTTP remotes only', () => {
  const env = gitAuthEnv('https://github.com/octo/demo.git', TOKEN);
  expect(env).toEqual({
    GIT_CONFIG_COUNT: '2',
    GIT_CONFIG_KEY_0: 'http.https://github.com/.extraheader',
    GIT_CONFIG_VALUE_0: '',
    GIT_CONFIG_KEY_1: 'http.https://github.com/.extraheader',
    GIT_CONFIG_VALUE_1: `AUTHORIZATION: basic ${Buffer.from(`x-access-token:${TOKEN}`).toString('base64')}`,
  });
  expect(gitAuthEnv('git@github.com:octo/demo.git', TOKEN)).toEqual({});
  expect(gitAuthEnv('/tmp/origin.git', TOKEN)).toEqual({});
  expect(gitAuthEnv('https://github.com/octo/demo.git', undefined)).toEqual({});
});

test('commitIndex makes a bot commit on the given parent without moving HEAD', async () => {
  const git = new Git(repo.dir);
  await writeFile(join(repo.dir, 'src/a.txt'), 'two\n');
  await writeFile(join(repo.dir, 'src/new.txt'), 'new\n');
  await git.addAll();
  expect(await git.stagedNumstat(repo.headSha)).toEqual([
    { path: 'src/a.txt', additions: 1, deletions: 1 },
    { path: 'src/new.txt', additions: 1, deletions: 0 },
  ]);
  const sha = await git.commitIndex(repo.headSha, 'fix: things\n\nbody', ACTIONS_BOT);
  expect(await repo.git('rev-parse', 'HEAD')).toBe(repo.headSha);
  expect(await repo.git('rev-parse', `${sha}^`)).toBe(repo.headSha);
  expect(await repo.git('show', '-s', '--format=%an <%ae>|%cn|%s', sha)).toBe(
    `${ACTIONS_BOT.name} <${ACTIONS_BOT.email}>|${ACTIONS_BOT.name}|fix: things`,
  );
  expect(await git.commitAuthor(sha)).toEqual(ACTIONS_BOT);
  expect(await git.commitAuthor('f'.repeat(40))).toBeUndefined();
});

test('status and restoreFrom put protected files back, deleting new ones', async () => {
  const git = new Git(repo.dir);
  await writeFile(join(repo.dir, '.github/workflows/ci.yml'), 'on: [push, pull_request]\n');
  await mkdir(join(repo.dir, '.github/workflows/sub'), { recursive: true });
  await writeFile(join(repo.dir, '.github/workflows/sub/evil.yml'), 'on: push\n');
  await writeFile(join(repo.dir, 'src/a.txt'), 'kept\n');
  const changed = await git.status(['.github/workflows']);
  expect(changed.map((e) => e.path).sort()).toEqual(['.github/workflows/ci.yml', '.github/workflows/sub/evil.yml']);
  await git.restoreFrom('HEAD', changed.map((e) => e.path));
  expect(await git.status(['.github/workflows'])).toEqual([]);
  expect(await readFile(join(repo.dir, '.github/workflows/ci.yml'), 'utf8')).toBe('on: push\n');
  expect(await git.status()).toEqual([{ code: ' M', path: 'src/a.txt' }]);
});

test('push sends the token only through the environment, with a lease on the branch', async () => {
  http = await startGitHttpServer(repo.origin, TOKEN);
  await repo.git('remote', 'set-url', 'origin', http.url);
  const git = new Git(repo.dir);
  const auth = gitAuthEnv(await git.remoteUrl('origin'), TOKEN);
  await writeFile(join(repo.dir, 'src/a.txt'), 'two\n');
  await git.addAll();
  const first = await git.commitIndex(repo.headSha, 'first', ACTIONS_BOT);
  const second = await git.commitIndex(repo.headSha, 'second', ACTIONS_BOT);

  // Without the token the server refuses, and git does not hang asking for a password.
  await expect(git.remoteBranchSha('origin', 'codex/fix/x')).rejects.toBeInstanceOf(GitError);

  expect(await git.remoteBranchSha('origin', 'codex/fix/x', auth)).toBeUndefined();
  await git.push('origin', first, 'codex/fix/x', { expect: null, auth });
  expect(await git.remoteBranchSha('origin', 'codex/fix/x', auth)).toBe(first);
  // A lease that expects the branch not to exist fails now that it does…
  await expect(git.push('origin', second, 'codex/fix/x', { expect: null, auth })).rejects.toThrow(/stale info|rejected/);
  // …and one that expects what is there replaces it (force).
  await git.push('origin', second, 'codex/fix/x', { expect: first, auth });
  expect(await git.remoteBranchSha('origin', 'codex/fix/x', auth)).toBe(second);

  // A commit only the remote has: its branch tip is fetched (no ref is written) and read.
  const inOrigin = (...args: string[]) => repo.git('--git-dir', repo.origin, ...args);
  const someone = ['-c', 'user.name=Some One', '-c', 'user.email=some@example.com'];
  const theirs = await repo.git('--git-dir', repo.origin, ...someone, 'commit-tree', '-p', second, '-m', 'mine', `${second}^{tree}`);
  await inOrigin('update-ref', 'refs/heads/codex/fix/x', theirs);
  expect(await git.commitInfo(theirs)).toBeUndefined();
  await git.fetchBranchTip('origin', 'codex/fix/x', auth);
  expect(await git.commitInfo(theirs)).toEqual({
    parents: [second],
    author: { name: 'Some One', email: 'some@example.com' },
    committer: { name: 'Some One', email: 'some@example.com' },
  });
  expect(await git.commitInfo(second)).toEqual({ parents: [repo.headSha], author: ACTIONS_BOT, committer: ACTIONS_BOT });
  // No ref moved: the remote-tracking ref is still where the push left it.
  expect(await repo.git('rev-parse', 'refs/remotes/origin/codex/fix/x')).toBe(second);

  const basic = Buffer.from(`x-access-token:${TOKEN}`).toString('base64');
  // Exactly one header (two would arrive joined by a comma), carrying the token as GitHub expects it.
  const sent = http.authorizations.filter((a) => a !== undefined);
  expect(sent.length).toBeGreaterThan(3);
  expect(sent.every((a) => a === `basic ${basic}`)).toBe(true);
  const config = await readFile(join(repo.dir, '.git/config'), 'utf8');
  expect(config).not.toContain(TOKEN);
  expect(config).not.toContain(basic);
});

test('git runs with a minimal environment: none of the action\'s secrets, no hooks, no fsmonitor', async () => {
  const git = new Git(repo.dir);
  const marker = (name: string) => join(repo.dir, '..', `${name}.ran`);
  // What a test run or an agent with write access to .git could plant for the action's next git call.
  const hook = (name: string) => `#!/bin/sh\ntouch '${marker(name)}'\n`;
  await writeFile(join(repo.dir, '.git/hooks/post-checkout'), hook('post-checkout'), { mode: 0o755 });
  await writeFile(join(repo.dir, '.git/hooks/reference-transaction'), hook('reference-transaction'), { mode: 0o755 });
  await writeFile(join(repo.dir, '..', 'fsmonitor.sh'), hook('fsmonitor'), { mode: 0o755 });
  await repo.git('config', 'core.fsmonitor', join(repo.dir, '..', 'fsmonitor.sh'));
  process.env['INPUT_GITHUB-TOKEN'] = TOKEN;
  try {
    const env = (await git.run(['-c', 'alias.printenv=!env', 'printenv'])).stdout;
    expect(env).toContain('PATH=');
    expect(env).not.toContain(TOKEN);
  } finally {
    delete process.env['INPUT_GITHUB-TOKEN'];
  }
  await writeFile(join(repo.dir, 'src/a.txt'), 'changed\n');
  expect(await git.status()).toEqual([{ code: ' M', path: 'src/a.txt' }]);
  await git.restoreFrom('HEAD', ['src/a.txt']);
  await git.softReset(repo.headSha);
  await git.addAll();
  await git.stagedDiff(repo.headSha);
  for (const name of ['post-checkout', 'reference-transaction', 'fsmonitor']) {
    await expect(readFile(marker(name))).rejects.toThrow();
  }
  // The same calls through plain git do run them.
  await repo.git('checkout', 'HEAD', '--', 'src/a.txt');
  await repo.git('reset', '--soft', repo.headSha);
  for (const name of ['post-checkout', 'reference-transaction', 'fsmonitor']) expect(await readFile(marker(name), 'utf8')).toBe('');
});

test('stagedTextDiff carries the bytes of binary files; the --binary diff encodes them', async () => {
  const git = new Git(repo.dir);
  await writeFile(join(repo.dir, 'blob.bin'), Buffer.concat([Buffer.from([0, 1, 2, 0]), Buffer.from(`token=${TOKEN}\n`)]));
  await git.addAll();
  expect(await git.stagedDiff(repo.headSha)).not.toContain(TOKEN);
  expect(await git.stagedTextDiff(repo.headSha)).toContain(TOKEN);
});

test('stagedPaths and restoreFrom put paths back as in a given commit, past a commit made since', async () => {
  const git = new Git(repo.dir);
  await writeFile(join(repo.dir, '.github/workflows/ci.yml'), 'on: [push]\n');
  await writeFile(join(repo.dir, '.github/workflows/new.yml'), 'on: push\n');
  await repo.git('add', '--all');
  await repo.git('commit', '--quiet', '-m', 'edit the workflows');
  await git.softReset(repo.headSha);
  expect(await git.status(['.github/workflows'])).toHaveLength(2);
  const paths = await git.stagedPaths(repo.headSha, ['.github/workflows']);
  expect(paths.sort()).toEqual(['.github/workflows/ci.yml', '.github/workflows/new.yml']);
  await git.restoreFrom(repo.headSha, paths);
  expect(await git.stagedPaths(repo.headSha)).toEqual([]);
  expect(await git.status()).toEqual([]);
  expect(await readFile(join(repo.dir, '.github/workflows/ci.yml'), 'utf8')).toBe('on: push\n');
});

test('paths are relative to the repository root from a subfolder too, and taken literally', async () => {
  const git = new Git(join(repo.dir, 'src'));
  await mkdir(join(repo.dir, 'coverage'));
  await writeFile(join(repo.dir, 'coverage/lcov.info'), 'x\n');
  await writeFile(join(repo.dir, 'src/*'), 'star\n');
  expect((await git.untracked()).sort()).toEqual(['coverage/', 'src/*']);
  expect((await git.untracked({ perFile: true })).sort()).toEqual(['coverage/lcov.info', 'src/*']);
  await writeFile(join(repo.dir, 'src/a.txt'), 'two\n');
  await git.addAll();
  await git.unstage(['src/*', 'coverage/']);
  // `src/*` as a glob would have unstaged src/a.txt too.
  expect(await git.stagedPaths(repo.headSha)).toEqual(['src/a.txt']);
});
