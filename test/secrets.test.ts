// Secrets never reach the agent: not through its environment, CODEX_HOME, .git/config, or the model's input.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removePersistedCredentials } from '../src/action/git-credentials.js';
import { secretForms } from '../src/base/text/redact.js';
import { TEST_API_KEY } from './support/codex.js';
import { TEST_GITHUB_TOKEN, testContext } from './support/context.js';
import { FakeGitHub } from './support/fake-github.js';
import { createRepo } from './support/git-repo.js';
import { isAfterToolCall, ModelServer } from './support/model-server.js';

const basic = Buffer.from(`x-access-token:${TEST_GITHUB_TOKEN}`).toString('base64');

test('the agent running env, reading CODEX_HOME and git config sees no key and no token', async () => {
  const repo = await createRepo({ 'README.md': '# demo\n' });
  const model = await ModelServer.start();
  const github = await FakeGitHub.start();
  // What actions/checkout leaves behind with persist-credentials: true.
  await repo.git('config', '--local', 'http.https://github.com/.extraheader', `AUTHORIZATION: basic ${basic}`);
  const ctx = await testContext({ githubUrl: github.url, modelUrl: model.url, workdir: repo.dir });
  const restore = await removePersistedCredentials(repo.dir, ctx.secrets);
  const session = await ctx.openSession();
  try {
    const probe = 'env; echo ---; ls -la "$CODEX_HOME"; cat "$CODEX_HOME"/*.toml "$CODEX_HOME"/*.json 2>/dev/null; echo ---; git config --list --show-origin';
    model.respond((req) => (isAfterToolCall(req) ? { message: 'looked around' } : { exec: probe }));
    const thread = await session.server.startThread({ sandbox: 'read-only', approvalPolicy: 'never', cwd: repo.dir });
    const result = await thread.run('Show me your environment.');

    const command = result.items.find((i) => i.type === 'commandExecution') as { aggregatedOutput?: string };
    const output = command.aggregatedOutput ?? '';
    // The probe really ran: it printed the environment, CODEX_HOME and the git config.
    expect(output).toContain('CODEX_HOME=');
    expect(output).toContain('model_provider = "codex-ci-action"');
    expect(output).toContain('core.bare=false');
    expect(output).not.toMatch(/^(OPENAI_API_KEY|GITHUB_TOKEN|INPUT_[A-Z-]+)=/m);

    const everythingTheModelSaw = model.requests.map((r) => r.raw).join('\n');
    expect(everythingTheModelSaw).toContain('CODEX_HOME=');
    for (const form of secretForms([TEST_API_KEY, TEST_GITHUB_TOKEN])) {
      expect(everythingTheModelSaw).not.toContain(form);
      expect(output).not.toContain(form);
    }
    // The key did travel, but only as a header the proxy added after the agent.
    expect(model.responseRequests[0]!.headers.authorization).toBe(`Bearer ${TEST_API_KEY}`);
  } finally {
    await session.close();
    await restore();
    await model.close();
    await github.close();
  }
  // After the run the user's checkout is as it was: the persisted header is back.
  const config = await readFile(join(repo.dir, '.git', 'config'), 'utf8');
  expect(config).toContain(`AUTHORIZATION: basic ${basic}`);
  await repo.cleanup();
});

test('a token left where the action cannot remove it stops the run before the agent starts', async () => {
  const repo = await createRepo({ 'README.md': '# demo\n' });
  await repo.git('remote', 'set-url', 'origin', `https://x-access-token:${TEST_GITHUB_TOKEN}@github.com/octo/demo.git`);
  await expect(removePersistedCredentials(repo.dir, [TEST_GITHUB_TOKEN])).rejects.toThrow(/persist-credentials: false/);
  await repo.cleanup();
});

test('actions/checkout v6 credentials (includeIf → a file in RUNNER_TEMP) are out of reach while the agent runs', async () => {
  const repo = await createRepo({ 'README.md': '# demo\n' });
  const runnerTemp = await mkdtemp(join(tmpdir(), 'runner-temp-'));
  const credentials = join(runnerTemp, 'git-credentials-1234.config');
  const original = `[http "https://github.com/"]\n\textraheader = AUTHORIZATION: basic ${basic}\n`;
  await writeFile(credentials, original);
  await repo.git('config', '--local', `includeIf.gitdir:${repo.dir}/.git.path`, credentials);

  const restore = await removePersistedCredentials(repo.dir, [TEST_GITHUB_TOKEN], runnerTemp);
  for (const form of secretForms([TEST_GITHUB_TOKEN])) expect(await readFile(credentials, 'utf8')).not.toContain(form);
  expect(await repo.git('config', '--list')).not.toContain(basic);

  await restore();
  expect(await readFile(credentials, 'utf8')).toBe(original);
  expect(await repo.git('config', '--local', '--get', `includeIf.gitdir:${repo.dir}/.git.path`)).toBe(credentials);
  await rm(runnerTemp, { recursive: true, force: true });
  await repo.cleanup();
});

test('removing credentials keeps other values of the same key, and empties a named file holding any token', async () => {
  const repo = await createRepo({ 'README.md': '# demo\n' });
  const dir = await mkdtemp(join(tmpdir(), 'creds-'));
  // A checkout with a personal access token the action does not know: the file is named by the config.
  const patFile = join(dir, 'git-credentials-pat.config');
  await writeFile(patFile, '[http "https://github.com/"]\n\textraheader = AUTHORIZATION: basic cGF0OnVua25vd24=\n');
  const unrelated = join(dir, 'settings.config');
  await writeFile(unrelated, '[core]\n\tautocrlf = false\n');
  const key = `includeIf.gitdir:${repo.dir}/.git.path`;
  await repo.git('config', '--local', '--add', key, unrelated);
  await repo.git('config', '--local', '--add', key, patFile);

  const restore = await removePersistedCredentials(repo.dir, [TEST_GITHUB_TOKEN]);
  expect((await repo.git('config', '--local', '--get-all', key)).split('\n')).toEqual([unrelated]);
  expect(await readFile(patFile, 'utf8')).not.toContain('extraheader');

  await restore();
  expect((await repo.git('config', '--local', '--get-all', key)).split('\n').sort()).toEqual([patFile, unrelated].sort());
  expect(await readFile(patFile, 'utf8')).toContain('extraheader');
  await rm(dir, { recursive: true, force: true });
  await repo.cleanup();
});
