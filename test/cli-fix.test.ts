// `codex-ci fix` end to end: the real pinned codex (its sandbox runs the test command and the agent's commands), the
// scripted model behind the CLI's own key-adding proxy, and a real git repository. Asserts what a user checks after
// the command: the exit code, what it printed, `git status`, HEAD, the files and the patch.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { main } from '../src/cli/main.js';
import { secretForms } from '../src/base/text/redact.js';
import { CODEX_BINARY, TEST_API_KEY } from './support/codex.js';
import { createRepo, type TestRepo } from './support/git-repo.js';
import { errorReply, functionCallOutputs, isAfterToolCall, ModelServer, userText } from './support/model-server.js';

const CHECK = ['sh', '-c', 'grep -q fixed app.txt'];
const DIAGNOSIS = JSON.stringify({ title: 'Say fixed', root_cause: 'app.txt said broken.', summary: 'Wrote fixed to app.txt.' });

let model: ModelServer;
let repo: TestRepo;

beforeEach(async () => {
  model = await ModelServer.start();
  repo = await createRepo({ 'app.txt': 'broken\n', 'other.txt': 'one\n', '.github/workflows/ci.yml': 'on: push\n' });
});
afterEach(async () => {
  await model.close();
  await repo.cleanup();
});

/** Runs the CLI in-process with collecting streams. */
async function cli(argv: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  let stdout = '';
  let stderr = '';
  const code = await main({
    argv,
    env: options.env ?? { ...process.env, OPENAI_API_KEY: TEST_API_KEY, NO_COLOR: '1' },
    cwd: options.cwd ?? repo.dir,
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
  });
  return { code, stdout, stderr };
}

const fix = (flags: string[], command = CHECK) =>
  cli(['fix', '--codex-path', CODEX_BINARY, '--model', 'gpt-5.4', '--base-url', model.url, ...flags, '--', ...command]);

/** One fixing turn: the model runs `command`, then answers the diagnosis. */
function agentRuns(command: string) {
  model.respond((req) => (isAfterToolCall(req) ? { message: DIAGNOSIS } : { exec: command }));
}

/** What a user compares before and after: status, the staged diff, the unstaged diff, HEAD. */
async function treeState() {
  return {
    status: await repo.git('status', '--porcelain=v1', '--untracked-files=all'),
    staged: await repo.git('diff', '--cached'),
    unstaged: await repo.git('diff'),
    head: await repo.git('rev-parse', 'HEAD'),
    app: await readFile(join(repo.dir, 'app.txt'), 'utf8'),
  };
}

const keptPatches = async () => (existsSync(join(repo.dir, '.git/codex-ci')) ? readdir(join(repo.dir, '.git/codex-ci')) : []);

test('a verified fix is left in the working tree, uncommitted', async () => {
  agentRuns("printf 'fixed\\n' > app.txt");
  const { code, stdout, stderr } = await fix([]);

  expect(code).toBe(0);
  expect(stdout).toContain("✓ Verified: `sh -c 'grep -q fixed app.txt'` passes after the fix (1 try).");
  expect(stdout).toContain('Root cause: app.txt said broken.');
  expect(stdout).toContain('app.txt (+1 −1)');
  expect(stdout).toContain('The change is in your working tree, uncommitted');
  expect(stdout).toMatch(/Tokens: 200 input \(80 cached\), 20 output/);
  // Progress went to stderr.
  expect(stderr).toContain('failed with exit code 1');
  expect(stderr).toContain('passed in');
  expect(await readFile(join(repo.dir, 'app.txt'), 'utf8')).toBe('fixed\n');
  expect(await repo.git('status', '--porcelain')).toBe(' M app.txt');
  expect(await repo.git('rev-parse', 'HEAD')).toBe(repo.headSha);
  expect(await repo.git('rev-list', '--count', 'HEAD')).toBe('1');
  // The first turn carried the failing command and its exit code.
  expect(userText(model.responseRequests[0]!)).toContain("`sh -c 'grep -q fixed app.txt'` failed (exit code 1)");
  expect(await keptPatches()).toEqual([]);
});

test('an unverified change never stays in the tree: it is kept as a patch, and the user\'s own changes are untouched', async () => {
  // The user is mid-change: a staged edit and an untracked file.
  await writeFile(join(repo.dir, 'other.txt'), 'two\n');
  await repo.git('add', 'other.txt');
  await writeFile(join(repo.dir, 'notes.txt'), 'mine\n');
  const before = await treeState();
  agentRuns("printf 'still broken\\n' > app.txt && mkdir -p lib && printf 'helper\\n' > lib/helper.txt && printf 'three\\n' > other.txt");

  const { code, stdout } = await fix(['--max-attempts', '1']);

  expect(code).toBe(1);
  expect(stdout).toContain("✗ Not verified: `sh -c 'grep -q fixed app.txt'` still fails after the agent's change (1 try).");
  expect(stdout).toContain('Last run: `sh -c \'grep -q fixed app.txt\'` failed with exit code 1');
  expect(await treeState()).toEqual(before);
  expect(existsSync(join(repo.dir, 'lib'))).toBe(false);
  expect(await readFile(join(repo.dir, 'other.txt'), 'utf8')).toBe('two\n');

  const where = /The change is in (\S+\.patch) \(it is not verified/.exec(stdout)?.[1];
  expect(where).toBeDefined();
  expect(dirname(where!)).toBe(join(repo.dir, '.git/codex-ci'));
  const patch = await readFile(where!, 'utf8');
  expect(patch).toContain('+still broken');
  expect(patch).toContain('+++ b/lib/helper.txt');
  // The agent's part only, on top of the user's tree: other.txt goes from the user's two to three.
  expect(patch).toContain('-two\n+three');
  expect(patch).not.toContain('notes.txt');
  await repo.git('apply', '--check', where!);
});

test('a fix on top of uncommitted work: both stay in the tree, the agent\'s part alone is kept, protected paths are put back', async () => {
  // The user's own uncommitted edit, under a protected path too: it is theirs, not the agent's, and stays.
  await writeFile(join(repo.dir, '.github/workflows/ci.yml'), 'on: [push, pull_request]\n');
  await writeFile(join(repo.dir, 'other.txt'), 'two\n');
  agentRuns("printf 'fixed\\n' > app.txt && printf 'jobs: {}\\n' >> .github/workflows/ci.yml");

  const { code, stdout } = await fix([]);

  expect(code).toBe(0);
  expect(stdout).toContain('Put back (protected paths, never part of a fix): .github/workflows/ci.yml');
  expect(await repo.git('status', '--porcelain')).toBe([' M .github/workflows/ci.yml', ' M app.txt', ' M other.txt'].join('\n'));
  expect(await readFile(join(repo.dir, '.github/workflows/ci.yml'), 'utf8')).toBe('on: [push, pull_request]\n');
  expect(await readFile(join(repo.dir, 'other.txt'), 'utf8')).toBe('two\n');
  const where = /the agent's part alone is in (\S+\.patch)\./.exec(stdout)?.[1];
  expect(where).toBeDefined();
  const patch = await readFile(where!, 'utf8');
  expect(patch).toContain('+++ b/app.txt');
  expect(patch).not.toContain('other.txt');
  expect(patch).not.toContain('ci.yml');
  expect(await repo.git('rev-parse', 'HEAD')).toBe(repo.headSha);
});

test('--patch FILE: a verified fix goes only to FILE, and the tree stays as it was', async () => {
  agentRuns("printf 'fixed\\n' > app.txt");
  const { code, stdout } = await fix(['--patch', '../fix.patch']);

  expect(code).toBe(0);
  const file = join(dirname(repo.dir), 'fix.patch');
  expect(stdout).toContain(`The change is in ${file} (as --patch asked); your working tree is as it was.`);
  expect(await repo.git('status', '--porcelain')).toBe('');
  expect(await readFile(join(repo.dir, 'app.txt'), 'utf8')).toBe('broken\n');
  // The patch is the fix: applied, the command passes.
  await repo.git('apply', file);
  await execa('sh', ['-c', 'grep -q fixed app.txt'], { cwd: repo.dir });
});

test('a command that passes already: exit 0, and the model is never asked', async () => {
  await writeFile(join(repo.dir, 'app.txt'), 'fixed\n');
  const { code, stdout } = await fix([]);
  expect(code).toBe(0);
  expect(stdout).toBe("✓ `sh -c 'grep -q fixed app.txt'` passes already: nothing to fix. No agent was started.\n");
  expect(model.requests).toHaveLength(0);
});

test('outside a git repository: exit 2 with one line saying so', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'not-a-repo-'));
  try {
    const { code, stdout, stderr } = await cli(['fix', '--codex-path', CODEX_BINARY, '--base-url', model.url, '--', ...CHECK], { cwd: dir });
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.trim().split('\n')).toEqual([expect.stringMatching(new RegExp(`^codex-ci: ${dir} is not in a git repository`))]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('no credentials: exit 2 and what to set', async () => {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  for (const name of ['OPENAI_API_KEY', 'CODEX_API_KEY', 'CODEX_HOME']) delete env[name];
  const { code, stderr } = await cli(['fix', '--codex-path', CODEX_BINARY, '--', ...CHECK], { env });
  expect(code).toBe(2);
  expect(stderr).toContain('codex-ci: no credentials: set OPENAI_API_KEY');
  expect(model.requests).toHaveLength(0);
});

test('a refused key: exit 1, the endpoint\'s own words on stderr, the tree unchanged', async () => {
  model.respond(() => errorReply(401, 'Incorrect API key provided: sk-test-9f8e…; find your key at https://platform.example/keys.'));
  const { code, stdout, stderr } = await fix([]);

  expect(code).toBe(1);
  expect(stderr).toMatch(/codex-ci: The agent stopped during try 1: .*HTTP 401 Unauthorized: "Incorrect API key provided: sk-test-9f8e…/);
  expect(stdout).toContain('✗ Not fixed: the agent stopped before it finished');
  for (const form of secretForms([TEST_API_KEY])) expect(stdout + stderr).not.toContain(form);
  expect(model.responseRequests).toHaveLength(1);
  expect(await repo.git('status', '--porcelain')).toBe('');
  expect(await keptPatches()).toEqual([]);
});

test('the agent\'s environment holds no API key', async () => {
  agentRuns('env');
  const { code } = await fix(['--max-attempts', '1']);

  expect(code).toBe(1);
  const outputs = model.responseRequests.flatMap(functionCallOutputs).join('\n');
  // The probe really ran and its output went back to the model.
  expect(outputs).toMatch(/^PATH=/m);
  expect(outputs).toContain('CODEX_HOME=');
  for (const form of secretForms([TEST_API_KEY])) {
    expect(outputs).not.toContain(form);
    expect(model.requests.map((r) => r.raw).join('\n')).not.toContain(form);
  }
  expect(outputs).not.toMatch(/^(OPENAI_API_KEY|CODEX_API_KEY)=/m);
  // The key travelled only as the header the proxy adds after the agent.
  expect(model.responseRequests[0]!.headers.authorization).toBe(`Bearer ${TEST_API_KEY}`);
});

test("the first attempt carries the committed nested AGENTS.md of the files the failing output names, not an uncommitted edit of it", async () => {
  const nested = await createRepo({ 'lib/AGENTS.md': 'LIB-RULE-4: app files say fixed.\n', 'lib/app.txt': 'broken\n', 'web/AGENTS.md': 'WEB-RULE-5\n' });
  try {
    await writeFile(join(nested.dir, 'lib/AGENTS.md'), 'DIRTY-RULE: anything goes.\n');
    agentRuns("printf 'fixed\\n' > lib/app.txt");
    const check = ['sh', '-c', 'grep -q fixed lib/app.txt || { echo "FAIL: lib/app.txt says broken"; exit 1; }'];
    const { code } = await cli(['fix', '--codex-path', CODEX_BINARY, '--model', 'gpt-5.4', '--base-url', model.url, '--', ...check], { cwd: nested.dir });
    expect(code).toBe(0);
    const first = userText(model.responseRequests[0]!);
    const section = /## Rules for the files the failure points at[\s\S]*?(?=\n## )/.exec(first)![0];
    expect(section).toContain('The output names `lib/app.txt`.');
    expect(section).toContain('### lib/AGENTS.md (for `lib/`)\n```\nLIB-RULE-4');
    expect(first).not.toContain('DIRTY-RULE');
    expect(first).not.toContain('WEB-RULE-5');
  } finally {
    await nested.cleanup();
  }
});
