// Logins other than an API key: the one-time ChatGPT device-code login (`mode: login`) that keeps its credentials in a
// persistent `codex-home`, and a Codex access token (Business/Enterprise) logged in to a run's private home.
import { chmod, stat } from 'node:fs/promises';
import { execa } from 'execa';
import { join } from 'node:path';
import { z } from 'zod';
import { AppServer, type Logger } from './app-server.js';
import { openPersistentHome } from './codex-home.js';
import { agentEnvironment } from './environment.js';
import { RpcError } from './rpc.js';
import { type JobOutcome } from '../outcome.js';
import { type RunOptions } from '../options.js';
import { log } from '../log.js';

/** The app-server methods of the login; the contract test checks each against the pinned binary's schema. */
export const LOGIN_METHODS = {
  start: 'account/login/start',
  cancel: 'account/login/cancel',
  read: 'account/read',
  completed: 'account/login/completed',
} as const;

/**
 * Codex's own override of the sign-in server (default https://auth.openai.com). Passed on from the step's environment
 * in login mode only, where no agent runs; the tests point it at a loopback fake of the device-code endpoints.
 */
export const LOGIN_ISSUER_ENV = 'CODEX_APP_SERVER_LOGIN_ISSUER';

/**
 * Codex's own override of the account API that checks an access token (default https://auth.openai.com/api/accounts).
 * Passed on to `codex login` and the app-server when set in the step's environment (a URL, no secret).
 */
export const AUTH_API_ENV = 'CODEX_AUTHAPI_BASE_URL';

/** The endpoint overrides of the step's environment that the login processes get (tests use loopback fakes). */
export function authEndpoints(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries([LOGIN_ISSUER_ENV, AUTH_API_ENV].flatMap((name) => (env[name] ? [[name, env[name]]] : [])));
}

/** A device code lives 15 minutes at OpenAI; waiting longer than that cannot succeed. */
export const DEVICE_CODE_LIFETIME_MINUTES = 15;

/**
 * Credentials go to `codex-home/auth.json`, not to an OS keyring a headless runner may not have (and a later run
 * would not look in); the same override is given to the runs that use the login.
 */
export const FILE_CREDENTIALS = 'cli_auth_credentials_store="file"';

export const deviceCodeStarted = z
  .object({ type: z.literal('chatgptDeviceCode'), loginId: z.string(), verificationUrl: z.string(), userCode: z.string() })
  .loose();
export const loginCompleted = z.object({ loginId: z.string().nullish(), success: z.boolean(), error: z.string().nullish() }).loose();
export const accountRead = z
  .object({
    account: z.object({ type: z.string(), email: z.string().nullish(), planType: z.string().nullish() }).loose().nullable(),
  })
  .loose();

/** What the user must do: open the URL and enter the code. */
export interface DeviceCode {
  loginId: string;
  verificationUrl: string;
  userCode: string;
}

/** The account Codex says it is logged in as. */
export type Account = NonNullable<z.infer<typeof accountRead>['account']>;

/** The login could not be started, was refused, or no one completed it in time; the message says what to do. */
export class LoginError extends Error {
  override name = 'LoginError';
}

export interface DeviceCodeLoginOptions {
  codexPath: string;
  /** Where the credentials are kept (CODEX_HOME of the app-server). */
  codexHome: string;
  /** The app-server's whole environment (CODEX_HOME included). */
  env: Record<string, string>;
  configOverrides?: string[];
  /** How long to wait for the user to enter the code. */
  timeoutMs: number;
  logger?: Logger;
  /** Told the code as soon as Codex has it, so the user can act while the login waits. */
  onCode: (code: DeviceCode) => void;
}

/** Runs the device-code login over the app-server protocol; resolves once Codex has stored the credentials. */
export async function deviceCodeLogin(options: DeviceCodeLoginOptions): Promise<{ code: DeviceCode; account: Account | null }> {
  const server = await AppServer.start({
    codexPath: options.codexPath,
    cwd: options.codexHome,
    env: options.env,
    configOverrides: [FILE_CREDENTIALS, ...(options.configOverrides ?? [])],
    logger: options.logger,
  });
  try {
    // Listening before the start request: the completion may follow its answer at once.
    const completions: z.infer<typeof loginCompleted>[] = [];
    let wake: () => void = () => {};
    const subscription = server.subscribe((method, params) => {
      if (method !== LOGIN_METHODS.completed) return;
      const parsed = loginCompleted.safeParse(params);
      if (parsed.success) completions.push(parsed.data);
      else options.logger?.warning(`Skipped an ${method} notification of an unexpected shape: ${z.prettifyError(parsed.error)}`);
      wake();
    });
    try {
      const code = await startDeviceCode(server);
      options.onCode(code);
      const done = () => completions.find((c) => c.loginId === code.loginId || c.loginId == null);
      let timer: NodeJS.Timeout | undefined;
      const outcome = await Promise.race([
        new Promise<'completed'>((resolve) => {
          wake = () => done() && resolve('completed');
          wake();
        }),
        new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), options.timeoutMs))),
        server.ended.then((exited) => Promise.reject(exited)),
      ]).finally(() => clearTimeout(timer));
      if (outcome === 'timeout') {
        // Codex would go on polling the sign-in server until the code expires; the job is over.
        await server.call(LOGIN_METHODS.cancel, { loginId: code.loginId }).catch((e: Error) => options.logger?.debug(`cancel failed: ${e.message}`));
        throw new LoginError(
          `No one completed the login within ${duration(options.timeoutMs)} (code ${code.userCode} at ` +
            `${code.verificationUrl}), so it was cancelled. Run the login again and enter the new code within ` +
            `'timeout-minutes' (a code is valid for ${DEVICE_CODE_LIFETIME_MINUTES} minutes).`,
        );
      }
      const completed = done()!;
      if (!completed.success) {
        throw new LoginError(
          `The device-code login failed; Codex said: ${completed.error ?? '(no reason given)'}. Nothing was stored; run the login again.`,
        );
      }
      const account = accountRead.safeParse(await server.call(LOGIN_METHODS.read, {}).catch(() => null));
      await keepPrivate(options.codexHome);
      return { code, account: account.success ? account.data.account : null };
    } finally {
      subscription.dispose();
    }
  } finally {
    await server.close();
  }
}

function duration(ms: number): string {
  if (ms < 60_000) return `${Math.round(ms / 1000)} seconds`;
  const minutes = Math.round((ms / 60_000) * 10) / 10;
  return `${minutes} minute${minutes === 1 ? '' : 's'}`;
}

async function startDeviceCode(server: AppServer): Promise<DeviceCode> {
  let answer: unknown;
  try {
    answer = await server.call(LOGIN_METHODS.start, { type: 'chatgptDeviceCode' });
  } catch (error) {
    if (!(error instanceof RpcError)) throw error;
    const message = error.message.replace(/^account\/login\/start failed \(-?\d+\): /, '');
    const hint = /failed to request device code/i.test(message)
      ? " The runner must reach OpenAI's sign-in server (https://auth.openai.com) over HTTPS; check its network and proxy settings."
      : /not enabled/i.test(message)
        ? ' Check that device-code login is allowed for your ChatGPT account or workspace (a workspace admin setting).'
        : '';
    throw new LoginError(`Codex could not start the device-code login: ${message}.${hint}`, { cause: error });
  }
  const parsed = deviceCodeStarted.safeParse(answer);
  if (!parsed.success) {
    throw new LoginError(`Codex answered the device-code login request with something unexpected: ${z.prettifyError(parsed.error)}`);
  }
  return { loginId: parsed.data.loginId, verificationUrl: parsed.data.verificationUrl, userCode: parsed.data.userCode };
}

// Codex writes auth.json as 0600; the login is the runner's from now on, so make sure no one else can read it.
async function keepPrivate(codexHome: string): Promise<void> {
  const path = join(codexHome, 'auth.json');
  const file = await stat(path).catch(() => undefined);
  if (!file) {
    throw new LoginError(
      `Codex reported the login done but stored no ${path}; check the codex-config input for a credentials store other than "file".`,
    );
  }
  await chmod(path, 0o600);
}

/**
 * Logs a Codex access token (`codex-access-token`) in to `codexHome` with `codex login --with-access-token`: the token
 * goes on stdin (not the command line, not the environment); Codex checks it with OpenAI's account API and stores it
 * in `codexHome/auth.json`. The failure is Codex's own message, which does not repeat the token.
 */
export async function accessTokenLogin(args: { codexPath: string; codexHome: string; env: Record<string, string>; token: string }): Promise<void> {
  const result = await execa(args.codexPath, ['login', '-c', FILE_CREDENTIALS, '--with-access-token'], {
    cwd: args.codexHome,
    env: { ...args.env, CODEX_HOME: args.codexHome },
    extendEnv: false,
    input: `${args.token}\n`,
    reject: false,
    timeout: 60_000,
  });
  if (result.exitCode === 0 && !result.timedOut) return;
  const said = `${result.stderr}\n${result.stdout}`
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !/^(WARNING|Reading access token)/.test(line) && !line.includes(args.token));
  const words = said.find((line) => /error/i.test(line)) ?? said.at(-1) ?? (result.timedOut ? 'no answer within 60 s' : `exit code ${result.exitCode}`);
  throw new LoginError(
    `Codex could not log in with 'codex-access-token': ${words.replace(/^Error logging in with access token: /, '')}. ` +
      'Check that the token is current (ChatGPT admin console, Access tokens) and that the runner reaches https://auth.openai.com.',
  );
}

/** The log and summary lines that tell the user what to do. */
export function codePrompt(code: DeviceCode, minutes: number): string {
  return (
    `To log in Codex on this runner, open ${code.verificationUrl} in a browser, sign in with the ChatGPT account ` +
    `the runs should use, and enter the code ${code.userCode}. Waiting up to ${minutes} minutes.`
  );
}

/** The job summary of a login run (pure). */
export function loginSummary(args: { code?: DeviceCode; account?: Account | null; home: string; failure?: string }): string {
  const lines = [`### Codex: ${args.failure ? 'login failed' : 'logged in'}`, ''];
  if (args.code) {
    lines.push(`- Verification URL: ${args.code.verificationUrl}`, `- Code: \`${args.code.userCode}\``);
  }
  lines.push(`- codex-home: \`${args.home}\``);
  if (args.account) {
    const who = [args.account.email, args.account.planType ? `plan ${args.account.planType}` : undefined].filter(Boolean).join(', ');
    lines.push(`- Account: ${args.account.type}${who ? ` (${who})` : ''}`);
  }
  lines.push('');
  lines.push(
    args.failure
      ? `Nothing was stored. ${args.failure}`
      : 'The credentials are kept in codex-home (auth.json, mode 0600). Later runs on this runner with the same ' +
          "'codex-home' and no API key use them; Codex refreshes them there.",
  );
  return `${lines.join('\n')}\n`;
}

/** `mode: login`: the device-code login into `codex-home`, reported like any job (conclusion success or failure). */
export async function runLogin(
  inputs: RunOptions,
  env: NodeJS.ProcessEnv,
  secrets: readonly string[],
  codexPath: () => Promise<string>,
): Promise<JobOutcome> {
  const home = await openPersistentHome(inputs.codexHome!);
  for (const warning of home.warnings) log.warning(warning);
  if (home.hasLogin) log.info(`${home.path} already holds a login (auth.json); a completed login replaces it.`);
  const minutes = Math.min(inputs.timeoutMinutes, DEVICE_CODE_LIFETIME_MINUTES);
  let code: DeviceCode | undefined;
  try {
    const result = await deviceCodeLogin({
      codexPath: await codexPath(),
      codexHome: home.path,
      env: agentEnvironment(env, secrets, { CODEX_HOME: home.path, ...authEndpoints(env) }),
      configOverrides: inputs.codexConfig,
      timeoutMs: minutes * 60_000,
      logger: log,
      onCode: (c) => {
        code = c;
        // A notice shows on the run's page while the step still waits, where the log may be collapsed.
        log.notice(codePrompt(c, minutes), { title: 'Codex login: enter this code' });
      },
    });
    const who = result.account?.email ? ` as ${result.account.email}` : '';
    log.info(`Logged in${who}; the credentials are in ${join(home.path, 'auth.json')}.`);
    return { conclusion: 'success', outputs: {}, summary: loginSummary({ code, account: result.account, home: home.path }) };
  } catch (error) {
    if (!(error instanceof LoginError)) throw error;
    return { conclusion: 'failure', outputs: {}, summary: loginSummary({ code, home: home.path, failure: error.message }), failure: error.message };
  }
}
