// `codex-home`: a persistent CODEX_HOME on a self-hosted runner, used by real runs of the pinned Codex. The login kept
// there is used without an API key; the action writes nothing of a run into it, never deletes it, and says when its
// modes let other users read it.
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CodexHomeError, configOverrides, configToml, openPersistentHome } from '../src/base/codex/codex-home.js';
import { AUTH_API_ENV, deviceCodeLogin, LOGIN_ISSUER_ENV } from '../src/base/codex/login.js';
import { secretForms } from '../src/base/text/redact.js';
import { CODEX_BINARY, TEST_API_KEY } from './support/codex.js';
import { testContext } from './support/context.js';
import { FakeAuthIssuer } from './support/fake-auth-issuer.js';
import { createRepo, type TestRepo } from './support/git-repo.js';
import { functionCallOutputs, ModelServer } from './support/model-server.js';
import { captureStdout } from './support/review-fixtures.js';

let dir: string;
let repo: TestRepo;
let model: ModelServer;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'codex-home-test-'));
  repo = await createRepo({ 'README.md': '# demo\n' });
  model = await ModelServer.start();
});
afterEach(async () => {
  await model.close();
  await repo.cleanup();
  await rm(dir, { recursive: true, force: true });
});

/** Every file under `root`, with its bytes, for "is this secret anywhere in there" checks. */
async function filesUnder(root: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) {
      const path = join(entry.parentPath, entry.name);
      files.set(path, await readFile(path));
    }
  }
  return files;
}

test('a ChatGPT login kept in codex-home (by mode login) is used by a later run without an API key', async () => {
  const issuer = await FakeAuthIssuer.start();
  try {
    const home = join(dir, 'codex');
    await mkdir(home, { mode: 0o700 });
    await deviceCodeLogin({
      codexPath: CODEX_BINARY,
      codexHome: home,
      env: { PATH: process.env.PATH ?? '', HOME: dir, CODEX_HOME: home, [LOGIN_ISSUER_ENV]: issuer.url },
      configOverrides: [`chatgpt_base_url="${issuer.backendUrl}"`],
      timeoutMs: 60_000,
      onCode: () => {},
    });
    const authBefore = await readFile(join(home, 'auth.json'), 'utf8');
    model.respond(() => ({ message: 'Looks fine.' }));
    // The ChatGPT backend is out of reach here: a provider that takes the ChatGPT login stands in for it.
    const provider = `{ name = "chatgpt stand-in", base_url = "${model.url}", wire_api = "responses", requires_openai_auth = true, request_max_retries = 0, stream_max_retries = 0 }`;
    const ctx = await testContext({
      githubUrl: 'http://127.0.0.1:9',
      modelUrl: model.url,
      workdir: repo.dir,
      withoutApiKey: true,
      inputs: {
        'codex-home': home,
        'codex-config': [`chatgpt_base_url="${issuer.backendUrl}"`, 'model_provider="chatgpt-standin"', `model_providers.chatgpt-standin=${provider}`].join('\n'),
      },
    });
    expect(ctx.inputs.openaiApiKey).toBeUndefined();
    const session = await ctx.openSession();
    try {
      expect(session.codexHome).toBe(home);
      const thread = await session.server.startThread({ sandbox: 'read-only', approvalPolicy: 'never', cwd: repo.dir });
      const result = await thread.run('Say something.');
      expect(result.finalResponse).toBe('Looks fine.');
    } finally {
      await session.close();
    }
    // The model was called with the access token the device login stored, not with any API key.
    expect(model.requests[0]!.headers.authorization).toBe(`Bearer ${issuer.accessToken}`);
    // The run left codex-home in place with the login, and wrote no config of its own into it.
    expect(await readFile(join(home, 'auth.json'), 'utf8')).toBe(authBefore);
    expect(existsSync(join(home, 'config.toml'))).toBe(false);
  } finally {
    await issuer.close();
  }
}, 90_000);

test('with an API key and MCP secrets, a run leaves codex-home as it found it: the user\'s files unchanged, no key, no secret, not deleted', async () => {
  const home = join(dir, 'codex');
  await mkdir(home, { mode: 0o700 });
  const userConfig = '# the runner owner\'s own settings\nhide_agent_reasoning = true\n';
  const userAuth = JSON.stringify({ OPENAI_API_KEY: 'sk-stored-by-the-runner-owner-0000', tokens: null });
  await writeFile(join(home, 'config.toml'), userConfig, { mode: 0o600 });
  await writeFile(join(home, 'auth.json'), userAuth, { mode: 0o600 });
  const mcpSecret = 'mcp-secret-codex-home-1f2e3d4c5b6a';
  process.env.NOTES_SERVICE_PASS = mcpSecret;
  process.env.RUNNER_ENVIRONMENT = 'github-hosted';
  const stdout = captureStdout();
  try {
    const spec = { notes: { command: process.execPath, args: [resolve('test/fixtures/mcp-server.mjs')], env: ['NOTES_SERVICE_PASS'] } };
    const ctx = await testContext({
      githubUrl: 'http://127.0.0.1:9',
      modelUrl: model.url,
      workdir: repo.dir,
      inputs: { 'codex-home': home, 'mcp-servers': JSON.stringify(spec) },
    });
    model.respond(() => ({ message: 'Done.' }));
    const session = await ctx.openSession({ extraToml: ['project_doc_max_bytes = 0'] });
    try {
      const thread = await session.server.startThread({ sandbox: 'read-only', approvalPolicy: 'never', cwd: repo.dir });
      expect((await thread.run('Hello.')).finalResponse).toBe('Done.');
    } finally {
      await session.close();
    }
    // The run's settings reached Codex from the command line: the model call went through the key-adding proxy.
    expect(model.requests[0]!.headers.authorization).toBe(`Bearer ${TEST_API_KEY}`);
    expect(model.requests[0]!.body.model).toBe('gpt-5.4');
    // Still there, the owner's files byte for byte, and nothing anywhere in it carries the key or the MCP secret
    // (Codex's own logs and state databases included).
    expect(await readFile(join(home, 'config.toml'), 'utf8')).toBe(userConfig);
    expect(await readFile(join(home, 'auth.json'), 'utf8')).toBe(userAuth);
    const files = await filesUnder(home);
    expect(files.size).toBeGreaterThan(2);
    for (const [path, bytes] of files) {
      for (const form of secretForms([TEST_API_KEY, mcpSecret])) expect({ path, found: bytes.includes(form) }).toEqual({ path, found: false });
    }
    expect(stdout.text()).toContain(`::warning::'codex-home' (${home}) is set on a GitHub-hosted runner, whose disk is discarded when the job ends`);
  } finally {
    stdout.restore();
    delete process.env.NOTES_SERVICE_PASS;
    delete process.env.RUNNER_ENVIRONMENT;
  }
}, 90_000);

test('codex-home without a login and without an API key: the run stops before Codex starts, saying how to log in', async () => {
  const home = join(dir, 'empty-home');
  const ctx = await testContext({ githubUrl: 'http://127.0.0.1:9', modelUrl: model.url, workdir: repo.dir, withoutApiKey: true, inputs: { 'codex-home': home } });
  const attempt = ctx.openSession();
  await expect(attempt).rejects.toThrow(CodexHomeError);
  await expect(attempt).rejects.toThrow(
    `'codex-home' (${home}) holds no login (no auth.json) and no API key is set: run the action once with 'mode: login' on this runner to log in, or set 'openai-api-key'.`,
  );
  expect(model.requests).toHaveLength(0);
});

describe('openPersistentHome', () => {
  test('creates a missing folder private to the runner\'s user, and has nothing to warn about', async () => {
    const home = join(dir, 'state', 'codex');
    const opened = await openPersistentHome(home);
    expect(opened).toEqual({ path: home, hasLogin: false, warnings: [] });
  });

  test('warns when other users can read the folder or the login, with the command that fixes it', async () => {
    const home = join(dir, 'shared');
    await mkdir(home);
    await chmod(home, 0o755);
    await writeFile(join(home, 'auth.json'), '{}');
    await chmod(join(home, 'auth.json'), 0o644);
    const opened = await openPersistentHome(home);
    expect(opened.hasLogin).toBe(true);
    expect(opened.warnings).toEqual([
      `codex-home ${home} can be read by other users (mode 0755): run \`chmod 700 ${home}\`.`,
      `${join(home, 'auth.json')} can be read by other users (mode 0644): run \`chmod 600 ${join(home, 'auth.json')}\`.`,
    ]);
  });

  test('a file where the folder should be is an error', async () => {
    await writeFile(join(dir, 'not-a-folder'), '');
    await expect(openPersistentHome(join(dir, 'not-a-folder'))).rejects.toThrow(`Input 'codex-home' is ${join(dir, 'not-a-folder')}, which is not a folder.`);
  });
});

test('the -c overrides for a persistent home say what the private config.toml says', () => {
  const settings = { providerUrl: 'http://127.0.0.1:5/v1', model: 'gpt "x"', requestRetries: 0, extraToml: ['project_doc_max_bytes = 0'] };
  expect(configOverrides(settings)).toEqual([
    'model="gpt \\"x\\""',
    'project_doc_max_bytes=0',
    'model_provider="codex-ci-action"',
    'model_providers.codex-ci-action.name="codex-ci-action (loopback proxy)"',
    'model_providers.codex-ci-action.base_url="http://127.0.0.1:5/v1"',
    'model_providers.codex-ci-action.wire_api="responses"',
    'model_providers.codex-ci-action.request_max_retries=0',
    'model_providers.codex-ci-action.stream_max_retries=0',
  ]);
  // Every key of the file is among the overrides.
  const keys = configToml(settings)
    .split('\n')
    .filter((l) => /^\w+ = /.test(l))
    .map((l) => l.split(' = ')[0]);
  for (const key of keys) expect(configOverrides(settings).some((o) => o.startsWith(`${key}=`) || o.includes(`.${key}=`))).toBe(true);
});

describe('codex-access-token (a Codex access token for ChatGPT Business/Enterprise)', () => {
  let issuer: FakeAuthIssuer;
  beforeEach(async () => {
    issuer = await FakeAuthIssuer.start();
    // Codex checks the token with OpenAI's account API; here a loopback fake of it.
    process.env[AUTH_API_ENV] = issuer.authApiUrl;
  });
  afterEach(async () => {
    delete process.env[AUTH_API_ENV];
    await issuer.close();
  });

  /** A run's context with only the access token as credential; the model stands in for the ChatGPT backend. */
  const contextWith = (token: string) => {
    const provider = `{ name = "chatgpt stand-in", base_url = "${model.url}", wire_api = "responses", requires_openai_auth = true, request_max_retries = 0, stream_max_retries = 0 }`;
    return testContext({
      githubUrl: 'http://127.0.0.1:9',
      modelUrl: model.url,
      workdir: repo.dir,
      withoutApiKey: true,
      inputs: {
        'codex-access-token': token,
        'codex-config': [`chatgpt_base_url="${issuer.backendUrl}"`, 'model_provider="chatgpt-standin"', `model_providers.chatgpt-standin=${provider}`].join('\n'),
      },
    });
  };

  test('is logged in to the run\'s private home through stdin, checked by the account API, and sent with the model requests', async () => {
    const ctx = await contextWith(issuer.personalAccessToken);
    let probe = '';
    model.respond((req) => (functionCallOutputs(req).length === 0 ? { exec: 'env' } : { message: 'Checked.' }));
    const session = await ctx.openSession();
    let home = '';
    try {
      home = session.codexHome;
      const thread = await session.server.startThread({ sandbox: 'read-only', approvalPolicy: 'never', cwd: repo.dir });
      const result = await thread.run('Check.');
      expect(result.finalResponse).toBe('Checked.');
      probe = (result.items.find((i) => i.type === 'commandExecution') as { aggregatedOutput?: string }).aggregatedOutput ?? '';
    } finally {
      await session.close();
    }
    // Codex checked the token with the account API, then called the model as that workspace user.
    const whoami = issuer.to('/v1/user-auth-credential/whoami');
    expect(whoami.length).toBeGreaterThanOrEqual(1);
    expect(whoami.every((r) => r.headers.authorization === `Bearer ${issuer.personalAccessToken}`)).toBe(true);
    expect(model.requests[0]!.headers.authorization).toBe(`Bearer ${issuer.personalAccessToken}`);
    expect(model.requests[0]!.headers['chatgpt-account-id']).toBe('acct-fake-1');
    // Not in the agent's environment; and the private home it was stored in is gone with the run.
    expect(probe).toContain('CODEX_HOME=');
    expect(probe).not.toContain(issuer.personalAccessToken);
    expect(existsSync(home)).toBe(false);
  }, 90_000);

  test('a token the account API refuses fails the run before the app-server starts, in Codex\'s words, without the token', async () => {
    const ctx = await contextWith('at-revoked-0000000000000000');
    const attempt = ctx.openSession();
    await expect(attempt).rejects.toThrow(
      "Codex could not log in with 'codex-access-token': personal access token metadata request failed with status 401 Unauthorized. " +
        'Check that the token is current (ChatGPT admin console, Access tokens) and that the runner reaches https://auth.openai.com.',
    );
    await expect(attempt).rejects.not.toThrow('at-revoked');
    expect(model.requests).toHaveLength(0);
  }, 60_000);
});
