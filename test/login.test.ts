// `mode: login`: the device-code login of the real pinned Codex against a loopback fake of OpenAI's sign-in server
// (CODEX_APP_SERVER_LOGIN_ISSUER), its credentials kept in codex-home and used by a later run without an API key.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deviceCodeLogin, LOGIN_ISSUER_ENV, LOGIN_METHODS, type DeviceCode } from '../src/base/codex/login.js';
import { run } from '../src/action/main.js';
import { CODEX_BINARY } from './support/codex.js';
import { FakeAuthIssuer } from './support/fake-auth-issuer.js';
import { captureStdout } from './support/review-fixtures.js';
import { withStepFiles } from './support/step-files.js';

let dir: string;
let issuer: FakeAuthIssuer | undefined;
// @actions/core keeps the summary file's path after its first write, so every run of this file writes to the same one.
let state: string;
beforeAll(async () => {
  state = await mkdtemp(join(tmpdir(), 'login-state-'));
});
afterAll(async () => {
  await rm(state, { recursive: true, force: true });
});
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'login-'));
});
afterEach(async () => {
  await issuer?.close();
  issuer = undefined;
  process.exitCode = undefined;
  await rm(dir, { recursive: true, force: true });
});

/** Runs the action's entry point with `mode: login`; returns what a user sees (log, summary, outputs). */
async function runLogin(inputs: Record<string, string>, env: Record<string, string> = {}) {
  const stdout = captureStdout();
  let written: { summary: string; outputs: string };
  try {
    written = await withStepFiles(state, async () => {
      const all: Record<string, string> = {
        PATH: process.env.PATH ?? '',
        HOME: dir,
        RUNNER_TEMP: join(dir, 'temp'),
        INPUT_MODE: 'login',
        'INPUT_CODEX-PATH': CODEX_BINARY,
        ...env,
      };
      for (const [name, value] of Object.entries(inputs)) all[`INPUT_${name.toUpperCase()}`] = value;
      // Whether this run failed is read from process.exitCode: start from none.
      process.exitCode = undefined;
      await run(all);
    });
  } finally {
    stdout.restore();
  }
  return {
    log: stdout.text(),
    ...written,
    failed: process.exitCode === 1,
  };
}

/** RunOptions and environment that point the login at `fake`. */
function pointedAt(fake: FakeAuthIssuer, home: string, extra: Record<string, string> = {}) {
  return {
    inputs: { 'codex-home': home, 'codex-config': `chatgpt_base_url="${fake.backendUrl}"`, ...extra },
    env: { [LOGIN_ISSUER_ENV]: fake.url },
  };
}

test('mode login: the code is shown in the log and summary, the user approves, the credentials stay in codex-home (0600)', async () => {
  issuer = await FakeAuthIssuer.start({ email: 'ci-bot@example.com', plan: 'plus' });
  const home = join(dir, 'runner-state', 'codex');
  const { inputs, env } = pointedAt(issuer, home);
  const result = await runLogin(inputs, env);

  expect(result.failed).toBe(false);
  expect(result.outputs).toMatch(/conclusion<<.*\nsuccess\n/);
  // What the user must do, where they look: a notice on the run page (and the log), and the job summary.
  const url = `${issuer.url}/codex/device`;
  expect(result.log).toContain(`::notice title=Codex login%3A enter this code::To log in Codex on this runner, open ${url}`);
  expect(result.log).toContain(`enter the code ${issuer.userCode}. Waiting up to 15 minutes.`);
  expect(result.summary).toContain('### Codex: logged in');
  expect(result.summary).toContain(`- Verification URL: ${url}`);
  expect(result.summary).toContain(`- Code: \`${issuer.userCode}\``);
  expect(result.summary).toContain('- Account: chatgpt (ci-bot@example.com, plan plus)');
  // The flow the real binary ran: user code, polling until approved, the code exchanged for tokens.
  expect(JSON.parse(issuer.to('/api/accounts/deviceauth/usercode')[0]!.body)).toEqual({ client_id: expect.any(String) });
  expect(issuer.to('/api/accounts/deviceauth/token').length).toBeGreaterThanOrEqual(2);
  expect(new URLSearchParams(issuer.to('/oauth/token')[0]!.body).get('code')).toBe('auth-code-fake-1');
  // Kept for later runs, private to the runner's user.
  const auth = JSON.parse(await readFile(join(home, 'auth.json'), 'utf8')) as { tokens: { refresh_token: string } };
  expect(auth.tokens.refresh_token).toBe(issuer.refreshToken);
  expect((await stat(join(home, 'auth.json'))).mode & 0o777).toBe(0o600);
  expect((await stat(home)).mode & 0o777).toBe(0o700);
  // The action wrote nothing of its own there.
  expect(existsSync(join(home, 'config.toml'))).toBe(false);
  // The tokens are the user's secrets: not in the log or the summary.
  for (const token of [issuer.refreshToken, issuer.accessToken]) expect(result.log + result.summary).not.toContain(token);
}, 60_000);

test('mode login on a GitHub-hosted runner is refused before anything starts: the login would not outlive the job', async () => {
  issuer = await FakeAuthIssuer.start();
  const { inputs, env } = pointedAt(issuer, join(dir, 'codex'));
  const result = await runLogin(inputs, { ...env, RUNNER_ENVIRONMENT: 'github-hosted' });
  expect(result.failed).toBe(true);
  expect(result.log).toContain("'mode: login' runs on a GitHub-hosted runner (RUNNER_ENVIRONMENT=github-hosted)");
  expect(issuer.requests).toHaveLength(0);
  expect(existsSync(join(dir, 'codex'))).toBe(false);
});

test('the sign-in server cannot be reached: the step fails with Codex\'s own words and what to check', async () => {
  // Port 9 (discard) on loopback: nothing listens, the connection is refused at once, as for a blocked auth.openai.com.
  const home = join(dir, 'codex');
  const result = await runLogin({ 'codex-home': home }, { [LOGIN_ISSUER_ENV]: 'http://127.0.0.1:9' });
  expect(result.failed).toBe(true);
  expect(result.outputs).toMatch(/conclusion<<.*\nfailure\n/);
  expect(result.log).toMatch(/::error::Codex could not start the device-code login: failed to request device code: .+\. The runner must reach OpenAI's sign-in server/);
  expect(result.summary).toContain('### Codex: login failed');
  expect(result.summary).not.toContain('Code:');
  expect(existsSync(join(home, 'auth.json'))).toBe(false);
}, 60_000);

test('a server without device-code login (404 on the user-code request): Codex\'s refusal is passed on', async () => {
  issuer = await FakeAuthIssuer.start({ userCodeStatus: 404 });
  const { inputs, env } = pointedAt(issuer, join(dir, 'codex'));
  const result = await runLogin(inputs, env);
  expect(result.failed).toBe(true);
  expect(result.log).toContain('::error::Codex could not start the device-code login: device code login is not enabled for this Codex server');
  expect(result.log).toContain('Check that device-code login is allowed for your ChatGPT account or workspace');
}, 60_000);

test('the sign-in server refuses the code (the user denied it): the login fails with its status, nothing is stored', async () => {
  issuer = await FakeAuthIssuer.start({ deviceToken: 'denied' });
  const home = join(dir, 'codex');
  const { inputs, env } = pointedAt(issuer, home);
  const result = await runLogin(inputs, env);
  expect(result.failed).toBe(true);
  expect(result.log).toMatch(/::error::The device-code login failed; Codex said: device auth failed with status 400/);
  // The code was shown before the refusal, and stays in the summary next to the reason.
  expect(result.summary).toContain(`- Code: \`${issuer.userCode}\``);
  expect(result.summary).toContain('Nothing was stored.');
  expect(existsSync(join(home, 'auth.json'))).toBe(false);
}, 60_000);

test('no one enters the code in time: the login is cancelled in Codex and the step says what to do', async () => {
  issuer = await FakeAuthIssuer.start({ deviceToken: 'never-approved' });
  const home = join(dir, 'codex');
  await mkdir(home, { mode: 0o700 });
  const debug: string[] = [];
  const shown: DeviceCode[] = [];
  const attempt = deviceCodeLogin({
    codexPath: CODEX_BINARY,
    codexHome: home,
    env: { PATH: process.env.PATH ?? '', HOME: dir, CODEX_HOME: home, [LOGIN_ISSUER_ENV]: issuer.url },
    configOverrides: [`chatgpt_base_url="${issuer.backendUrl}"`],
    timeoutMs: 2500,
    logger: { info: () => {}, warning: () => {}, debug: (m) => debug.push(m) },
    onCode: (code) => shown.push(code),
  });
  await expect(attempt).rejects.toThrow(
    new RegExp(`^No one completed the login within \\d+ seconds \\(code ${issuer.userCode} at ${issuer.url}/codex/device\\), so it was cancelled\\.`),
  );
  expect(shown).toHaveLength(1);
  // The action asked Codex to stop polling, and Codex confirmed.
  expect(debug.some((l) => l.startsWith('rpc → ') && l.includes(`"method":"${LOGIN_METHODS.cancel}"`) && l.includes(shown[0]!.loginId))).toBe(true);
  expect(debug.some((l) => l.startsWith('rpc ← ') && l.includes('"status":"canceled"'))).toBe(true);
  expect(existsSync(join(home, 'auth.json'))).toBe(false);
}, 60_000);
