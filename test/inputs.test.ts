// readInputs against plain env objects: defaults, the error text a workflow author reads, secrets and masking.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { jest } from '@jest/globals';
import { CODEX_VERSION } from '../src/base/codex/install.js';
import { INPUT_NAMES, InputError, readInputs, secretsOf } from '../src/action/inputs.js';
import { DEFAULTS, type RunOptions } from '../src/base/options.js';

const KEY = 'sk-test-abcdefghijklmnop';

/** An env with an API key and the given inputs, named as in action.yml. */
function envWith(inputs: Record<string, string> = {}, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { GITHUB_WORKSPACE: '/ws', 'INPUT_OPENAI-API-KEY': KEY, ...extra };
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.toUpperCase()}`] = value;
  return env;
}

/** The InputError message readInputs throws for `env`. */
function errorFor(env: NodeJS.ProcessEnv): string {
  try {
    readInputs(env);
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).name).toBe('InputError');
    return (error as Error).message;
  }
  throw new Error('readInputs did not throw');
}

// @actions/core writes workflow commands (add-mask, warning) to stdout; capture them.
let stdout: string[];
beforeEach(() => {
  stdout = [];
  jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout.push(String(chunk));
    return true;
  });
});
afterEach(() => jest.restoreAllMocks());
const masked = () => stdout.filter((l) => l.startsWith('::add-mask::')).map((l) => l.slice('::add-mask::'.length).trim());
const warnings = () => stdout.filter((l) => l.startsWith('::warning'));

test('a minimal env (only an API key) gets the documented defaults', () => {
  const expected: RunOptions = {
    mode: 'auto',
    openaiApiKey: KEY,
    openaiBaseUrl: 'https://api.openai.com/v1',
    openaiGateway: { style: 'openai' },
    mcpServers: [],
    maxTokens: undefined,
    maxTurns: undefined,
    pricePerMillion: undefined,
    codexAuthJson: undefined,
    codexAccessToken: undefined,
    codexHome: undefined,
    model: undefined,
    effort: undefined,
    codexVersion: undefined,
    codexPath: undefined,
    codexConfig: [],
    sandbox: undefined,
    approvalPolicy: 'never',
    approvalsReviewer: 'user',
    githubToken: undefined,
    workingDirectory: resolve('/ws'),
    prompt: undefined,
    promptFile: undefined,
    timeoutMinutes: 30,
    prNumbers: [],
    maxParallel: 4,
    minSeverity: 'low',
    failOnSeverity: undefined,
    maxComments: 25,
    verify: 'findings',
    minConfidence: 0.6,
    verifySuggestions: 'apply',
    reviewEvent: 'COMMENT',
    paths: [],
    pathsIgnore: [],
    testCommand: undefined,
    runId: undefined,
    fixBranchPrefix: 'codex/fix/',
    fixDelivery: 'pull-request',
    baseBranch: undefined,
    draft: true,
    maxAttempts: 2,
    openUnverified: false,
    allowForks: false,
    triggerPhrase: '@codex',
    incremental: true,
    resolveThreads: true,
    allowUsers: [],
    allowBots: [],
    resumeThread: undefined,
    shard: undefined,
    planId: undefined,
    maxShards: 4,
    chunksPerShard: 8,
  };
  expect(readInputs({ 'INPUT_OPENAI-API-KEY': KEY, GITHUB_WORKSPACE: '/ws' })).toEqual(expected);
});

test('empty and blank inputs count as not given', () => {
  const inputs = readInputs(envWith({ mode: '', 'max-parallel': '   ', draft: '\n', model: ' ' }));
  expect(inputs).toMatchObject({ mode: 'auto', maxParallel: 4, draft: true, model: undefined });
});

test('values are trimmed and read with hyphens kept in the variable name', () => {
  const inputs = readInputs(
    envWith({ model: '  gpt-5.1-codex \n', 'max-parallel': ' 8 ', 'openai-base-url': 'https://proxy.example/v1///' }),
  );
  expect(inputs).toMatchObject({ model: 'gpt-5.1-codex', maxParallel: 8, openaiBaseUrl: 'https://proxy.example/v1' });
});

test('every input name in action.yml is read by readInputs, and no other', () => {
  const yml = readFileSync(new URL('../action.yml', import.meta.url), 'utf8');
  const section = yml.slice(yml.indexOf('\ninputs:'), yml.indexOf('\noutputs:'));
  const names = [...section.matchAll(/^ {2}([a-z-]+):$/gm)].map((m) => m[1]);
  expect(names).toEqual(INPUT_NAMES);
});

describe('enum inputs', () => {
  test.each([
    ['mode', 'fixit', 'auto, review, fix, login, plan, merge'],
    ['effort', 'max', 'none, minimal, low, medium, high, xhigh'],
    ['sandbox', 'full', 'read-only, workspace-write, danger-full-access'],
    ['approval-policy', 'always', 'never, on-request, untrusted, on-failure'],
    ['approvals-reviewer', 'robot', 'user, auto_review, guardian_subagent'],
    ['min-severity', 'severe', 'critical, high, medium, low, info'],
    ['fail-on-severity', 'any', 'critical, high, medium, low, info'],
    ['fix-delivery', 'email', 'pull-request, push, patch'],
    ['review-event', 'DISMISS', 'COMMENT, REQUEST_CHANGES'],
    ['verify', 'always', 'findings, off'],
    ['verify-suggestions', 'build', 'apply, tests, off'],
  ])('%s rejects %j and lists the allowed values', (name, value, allowed) => {
    expect(errorFor(envWith({ [name]: value }))).toBe(`Input '${name}' has value "${value}": expected one of ${allowed}.`);
  });

  test('min-confidence takes a number from 0 to 1', () => {
    expect(readInputs(envWith({ 'min-confidence': '0.85' })).minConfidence).toBe(0.85);
    expect(readInputs(envWith({ 'min-confidence': '1' })).minConfidence).toBe(1);
    expect(readInputs(envWith({ 'min-confidence': '0' })).minConfidence).toBe(0);
    for (const bad of ['1.5', '-0.1', 'high', '85%']) {
      expect(errorFor(envWith({ 'min-confidence': bad }))).toBe(`Input 'min-confidence' has value "${bad}": expected a number from 0 to 1.`);
    }
  });

  test('values are case-insensitive', () => {
    const inputs = readInputs(
      envWith({
        mode: 'Review',
        sandbox: 'Workspace-Write',
        'min-severity': 'HIGH',
        'fail-on-severity': 'Critical',
        'review-event': 'request_changes',
        'fix-delivery': 'PATCH',
        effort: 'XHigh',
        'approvals-reviewer': 'Auto_Review',
      }),
    );
    expect(inputs).toMatchObject({
      mode: 'review',
      sandbox: 'workspace-write',
      minSeverity: 'high',
      failOnSeverity: 'critical',
      reviewEvent: 'REQUEST_CHANGES',
      fixDelivery: 'patch',
      effort: 'xhigh',
      approvalsReviewer: 'auto_review',
    });
    expect(readInputs(envWith({ 'review-event': 'comment' })).reviewEvent).toBe('COMMENT');
  });

  test('approvals-reviewer guardian_subagent (the legacy name codex still accepts) is read as auto_review', () => {
    expect(readInputs(envWith({ 'approvals-reviewer': 'guardian_subagent' })).approvalsReviewer).toBe('auto_review');
  });

  test('review-event APPROVE is rejected: the action never approves', () => {
    expect(errorFor(envWith({ 'review-event': 'APPROVE' }))).toBe(
      `Input 'review-event' has value "APPROVE": expected COMMENT or REQUEST_CHANGES; this action never approves pull requests.`,
    );
    expect(errorFor(envWith({ 'review-event': 'approve' }))).toContain('never approves');
  });

  test("approval-policy 'on-failure' becomes 'on-request' with a warning", () => {
    expect(readInputs(envWith({ 'approval-policy': 'on-failure' })).approvalPolicy).toBe('on-request');
    expect(warnings()).toHaveLength(1);
    expect(warnings()[0]).toContain("'on-failure'");
    expect(warnings()[0]).toContain("'on-request'");
  });

  test('other approval policies pass through without a warning', () => {
    expect(readInputs(envWith({ 'approval-policy': 'untrusted' })).approvalPolicy).toBe('untrusted');
    expect(warnings()).toEqual([]);
  });
});

describe('number inputs', () => {
  test.each([
    ['max-parallel', '0', 'expected an integer from 1 to 16'],
    ['max-parallel', '17', 'expected an integer from 1 to 16'],
    ['max-parallel', '2.5', 'expected an integer from 1 to 16'],
    ['max-comments', '-1', 'expected an integer from 0 to 100'],
    ['max-comments', 'lots', 'expected an integer from 0 to 100'],
    ['max-attempts', '6', 'expected an integer from 1 to 5'],
    ['timeout-minutes', '0', 'expected a number of minutes greater than 0 and at most 360'],
    ['timeout-minutes', '361', 'expected a number of minutes greater than 0 and at most 360'],
    ['timeout-minutes', '10m', 'expected a number of minutes greater than 0 and at most 360'],
    ['run-id', '-4', 'expected a workflow run id (a positive integer)'],
    ['run-id', 'latest', 'expected a workflow run id (a positive integer)'],
    ['resume-thread', '../../etc/passwd', 'expected a Codex thread id (the thread-id output of an earlier run)'],
  ])('%s rejects %j', (name, value, expected) => {
    expect(errorFor(envWith({ [name]: value }))).toBe(`Input '${name}' has value "${value}": ${expected}.`);
  });

  test('valid numbers are parsed, including fractional minutes and the range ends', () => {
    const inputs = readInputs(
      envWith({ 'timeout-minutes': '0.5', 'max-parallel': '16', 'max-comments': '0', 'max-attempts': '5', 'run-id': '12345678901' }),
    );
    expect(inputs).toMatchObject({ timeoutMinutes: 0.5, maxParallel: 16, maxComments: 0, maxAttempts: 5, runId: 12345678901 });
  });

  test('resume-thread takes a thread id', () => {
    expect(readInputs(envWith({ 'resume-thread': '01a22d35-08ce-7081-818c-95eaa84306ca' })).resumeThread).toBe('01a22d35-08ce-7081-818c-95eaa84306ca');
  });

  test('pr-number takes a list separated by commas, spaces and newlines, deduplicated in order', () => {
    expect(readInputs(envWith({ 'pr-number': '142, 143\n147' })).prNumbers).toEqual([142, 143, 147]);
    expect(readInputs(envWith({ 'pr-number': '9 #3,9' })).prNumbers).toEqual([9, 3]);
  });

  test('pr-number names the entries that are not pull request numbers', () => {
    expect(errorFor(envWith({ 'pr-number': '142, abc, 0' }))).toBe(
      `Input 'pr-number' has value "142, abc, 0": expected pull request numbers (positive integers) separated by commas, spaces or newlines, not "abc", "0".`,
    );
  });
});

describe('boolean inputs', () => {
  test.each(['draft', 'open-unverified', 'allow-forks'])('%s rejects a value other than true or false', (name) => {
    expect(errorFor(envWith({ [name]: 'yes' }))).toBe(`Input '${name}' has value "yes": expected true or false.`);
  });

  test('true and false in any case', () => {
    const inputs = readInputs(envWith({ draft: 'FALSE', 'open-unverified': 'True', 'allow-forks': 'true' }));
    expect(inputs).toMatchObject({ draft: false, openUnverified: true, allowForks: true });
  });
});

describe('string inputs with a format', () => {
  test('openai-base-url must be an http(s) URL', () => {
    expect(errorFor(envWith({ 'openai-base-url': 'ftp://example.com' }))).toBe(
      `Input 'openai-base-url' has value "ftp://example.com": expected an http:// or https:// URL.`,
    );
    expect(errorFor(envWith({ 'openai-base-url': 'localhost:8080' }))).toContain("Input 'openai-base-url'");
  });

  test('openai-api-style picks azure for an Azure host, openai-api-version rides along', () => {
    const azure = readInputs(envWith({ 'openai-base-url': 'https://r.openai.azure.com/openai/', 'openai-api-version': '2025-04-01-preview' }));
    expect(azure.openaiGateway).toEqual({ style: 'azure', apiVersion: '2025-04-01-preview' });
    expect(readInputs(envWith({ 'openai-api-style': 'azure' })).openaiGateway).toEqual({ style: 'azure' });
    expect(errorFor(envWith({ 'openai-api-style': 'bearer' }))).toContain("Input 'openai-api-style' has value \"bearer\"");
    expect(errorFor(envWith({ 'openai-api-version': '2025-04-01&x=1' }))).toContain("Input 'openai-api-version'");
  });

  test('codex-version must look like x.y.z', () => {
    expect(readInputs(envWith({ 'codex-version': '0.170.0-alpha.2' })).codexVersion).toBe('0.170.0-alpha.2');
    expect(errorFor(envWith({ 'codex-version': 'latest' }))).toBe(
      `Input 'codex-version' has value "latest": expected a version like ${CODEX_VERSION}, or empty for the pinned version.`,
    );
  });

  test.each(['codex fix/', 'codex..fix/', '-codex/', '/codex/', 'codex~1/', 'codex:fix/', 'co*dex/', 'codex\\fix'])(
    'fix-branch-prefix rejects %j',
    (value) => {
      expect(errorFor(envWith({ 'fix-branch-prefix': value }))).toMatch(
        `Input 'fix-branch-prefix' has value ${JSON.stringify(value)}: expected the start of a git branch name`,
      );
    },
  );

  test('fix-branch-prefix accepts an ordinary prefix', () => {
    expect(readInputs(envWith({ 'fix-branch-prefix': 'bots/codex-' })).fixBranchPrefix).toBe('bots/codex-');
  });

  test('codex-config keeps key=value lines and drops blanks and comments', () => {
    const inputs = readInputs(
      envWith({ 'codex-config': '# tuning\nmodel_reasoning_summary = "detailed"\n\n  features.web_search=true  \nx=a=b' }),
    );
    expect(inputs.codexConfig).toEqual(['model_reasoning_summary="detailed"', 'features.web_search=true', 'x=a=b']);
  });

  test('codex-config names the lines without a key', () => {
    expect(errorFor(envWith({ 'codex-config': 'a=1\nnot an override\n=2' }))).toBe(
      `Input 'codex-config' has value "a=1\\nnot an override\\n=2": expected one key=value TOML override per line (line 2 has no '=', line 3 has an empty key).`,
    );
  });

  test('paths split on newlines and commas but keep brace globs whole', () => {
    const inputs = readInputs(envWith({ paths: 'src/**/*.{ts,tsx}, lib/**\n\n docs/*.md ', 'paths-ignore': 'dist/**' }));
    expect(inputs.paths).toEqual(['src/**/*.{ts,tsx}', 'lib/**', 'docs/*.md']);
    expect(inputs.pathsIgnore).toEqual(['dist/**']);
  });

  test('allow-users and allow-bots are login lists', () => {
    const inputs = readInputs(envWith({ 'allow-users': 'octocat, @hubot\nmona-lisa', 'allow-bots': 'dependabot[bot]' }));
    expect(inputs.allowUsers).toEqual(['octocat', 'hubot', 'mona-lisa']);
    expect(inputs.allowBots).toEqual(['dependabot[bot]']);
    expect(errorFor(envWith({ 'allow-users': 'octocat; hubot' }))).toMatch(/^Input 'allow-users' has value "octocat; hubot": expected GitHub logins/);
  });
});

describe('directories and prompts', () => {
  test('working-directory is resolved against GITHUB_WORKSPACE', () => {
    expect(readInputs(envWith({ 'working-directory': 'packages/app' })).workingDirectory).toBe(resolve('/ws', 'packages/app'));
    expect(readInputs(envWith({ 'working-directory': '/elsewhere' })).workingDirectory).toBe(resolve('/elsewhere'));
  });

  test('without GITHUB_WORKSPACE, working-directory is resolved against the current directory', () => {
    const inputs = readInputs({ 'INPUT_OPENAI-API-KEY': KEY, 'INPUT_WORKING-DIRECTORY': 'sub' });
    expect(inputs.workingDirectory).toBe(resolve(process.cwd(), 'sub'));
  });

  test('prompt-file is resolved against the working directory', () => {
    const inputs = readInputs(envWith({ 'working-directory': 'app', 'prompt-file': '.github/codex.md' }));
    expect(inputs.promptFile).toBe(resolve('/ws', 'app', '.github/codex.md'));
  });

  test('prompt and prompt-file together are an error', () => {
    expect(errorFor(envWith({ prompt: 'Be brief.', 'prompt-file': 'p.md' }))).toBe(
      "Inputs 'prompt' and 'prompt-file' are both set: use only one.",
    );
  });
});

describe('credentials', () => {
  test('the API key falls back to OPENAI_API_KEY, then CODEX_API_KEY', () => {
    expect(readInputs({ OPENAI_API_KEY: 'sk-openai', CODEX_API_KEY: 'sk-codex' }).openaiApiKey).toBe('sk-openai');
    expect(readInputs({ CODEX_API_KEY: 'sk-codex' }).openaiApiKey).toBe('sk-codex');
    expect(readInputs({ 'INPUT_OPENAI-API-KEY': 'sk-input', OPENAI_API_KEY: 'sk-openai' }).openaiApiKey).toBe('sk-input');
  });

  test('codex-auth-json alone is enough', () => {
    const authJson = '{"tokens":{"access_token":"eyJ-access-token-value"}}';
    const inputs = readInputs({ 'INPUT_CODEX-AUTH-JSON': authJson });
    expect(inputs.codexAuthJson).toBe(authJson);
    expect(inputs.openaiApiKey).toBeUndefined();
  });

  test('no credentials at all is a clear error', () => {
    expect(errorFor({ INPUT_MODE: 'review' })).toBe(
      "No credentials: set the 'openai-api-key' input (or OPENAI_API_KEY / CODEX_API_KEY in the environment), 'codex-access-token', 'codex-auth-json', or 'codex-home' (a folder where 'mode: login' stored a ChatGPT login).",
    );
  });

  test('codex-home alone is enough (a login kept there by mode login), and is an absolute path', () => {
    const inputs = readInputs({ GITHUB_WORKSPACE: '/ws', 'INPUT_CODEX-HOME': '/srv/runner/codex/' });
    expect(inputs.codexHome).toBe('/srv/runner/codex');
    expect(inputs.openaiApiKey).toBeUndefined();
    expect(errorFor(envWith({ 'codex-home': 'codex' }))).toBe(
      `Input 'codex-home' has value "codex": expected an absolute path to a folder on the runner (outside the workspace).`,
    );
  });

  test('codex-home inside the workspace, where the agent can write, is refused', () => {
    expect(errorFor(envWith({ 'codex-home': '/ws/.codex' }))).toBe(
      "'codex-home' (/ws/.codex) is inside the workspace, where the agent can write: use a folder outside it, e.g. /home/runner/.codex-ci.",
    );
    expect(errorFor(envWith({ 'codex-home': '/ws' }))).toContain("'codex-home' (/ws) is inside the workspace");
    expect(readInputs(envWith({ 'codex-home': '/ws-state/codex' })).codexHome).toBe('/ws-state/codex');
  });

  test('codex-home and codex-auth-json together are refused: the stored login is not overwritten', () => {
    expect(errorFor(envWith({ 'codex-home': '/srv/codex', 'codex-auth-json': '{"tokens":{}}' }))).toBe(
      "Inputs 'codex-home' and 'codex-auth-json' are both set: the action does not write an auth.json over the login kept in 'codex-home'. Use one of them.",
    );
  });

  test('mode login needs codex-home and no credentials, and is refused on a GitHub-hosted runner', () => {
    expect(readInputs({ INPUT_MODE: 'login', 'INPUT_CODEX-HOME': '/srv/codex' }).mode).toBe('login');
    expect(errorFor({ INPUT_MODE: 'login' })).toBe(
      "'mode: login' stores a ChatGPT login for later runs: set 'codex-home' to a folder on this self-hosted runner.",
    );
    expect(errorFor({ INPUT_MODE: 'login', 'INPUT_CODEX-HOME': '/srv/codex', RUNNER_ENVIRONMENT: 'github-hosted' })).toMatch(
      /^'mode: login' runs on a GitHub-hosted runner \(RUNNER_ENVIRONMENT=github-hosted\), whose disk is discarded when the job ends/,
    );
    expect(readInputs({ INPUT_MODE: 'login', 'INPUT_CODEX-HOME': '/srv/codex', RUNNER_ENVIRONMENT: 'self-hosted' }).codexHome).toBe('/srv/codex');
  });

  test('codex-access-token alone is enough, is a secret, and is the only credential', () => {
    const inputs = readInputs({ 'INPUT_CODEX-ACCESS-TOKEN': 'at-token-1234567890' });
    expect(inputs.codexAccessToken).toBe('at-token-1234567890');
    expect(secretsOf(inputs)).toContain('at-token-1234567890');
    expect(masked()).toContain('at-token-1234567890');
    expect(errorFor({ 'INPUT_CODEX-ACCESS-TOKEN': 'at-token-1234567890', OPENAI_API_KEY: 'sk-env' })).toBe(
      "Input 'codex-access-token' is set together with an API key ('openai-api-key', or OPENAI_API_KEY / CODEX_API_KEY in the step's env): give one credential.",
    );
    const both = errorFor({ 'INPUT_CODEX-ACCESS-TOKEN': 'at-token-1234567890', 'INPUT_CODEX-HOME': '/srv/codex', 'INPUT_CODEX-AUTH-JSON': '{}' });
    expect(both).toContain("Input 'codex-access-token' is set together with 'codex-auth-json' and 'codex-home' (its stored login would be overwritten): give one credential.");
    expect(both).not.toContain('at-token-1234567890');
  });

  test('codex-auth-json must be a JSON object, and its text is never shown', () => {
    const bad = '{"tokens": "secret-token-12345"';
    const message = errorFor({ 'INPUT_CODEX-AUTH-JSON': bad });
    expect(message).toBe(
      "Input 'codex-auth-json' has value (hidden): expected a JSON object (the contents of ~/.codex/auth.json).",
    );
    expect(errorFor({ 'INPUT_CODEX-AUTH-JSON': '["a"]' })).toContain("Input 'codex-auth-json' has value (hidden)");
  });

  test('secrets are masked before validation, including the tokens inside auth json', () => {
    const authJson = JSON.stringify({ OPENAI_API_KEY: null, tokens: { id_token: 'id-token-0123456789', account_id: 'short' } });
    errorFor({
      'INPUT_OPENAI-API-KEY': KEY,
      'INPUT_GITHUB-TOKEN': 'ghs_token0123456789',
      'INPUT_CODEX-AUTH-JSON': authJson,
      'INPUT_MAX-PARALLEL': '0',
    });
    expect(masked()).toEqual(expect.arrayContaining([KEY, 'ghs_token0123456789', authJson, 'id-token-0123456789']));
    expect(masked()).not.toContain('short');
  });

  test('an API key from the environment is masked too', () => {
    readInputs({ CODEX_API_KEY: 'sk-from-env-123' });
    expect(masked()).toContain('sk-from-env-123');
  });
});

test('several bad inputs are all reported, one line each, with secrets hidden', () => {
  const env = envWith(
    {
      'github-token': 'ghs_secretvalue123',
      mode: 'nope',
      'max-parallel': '0',
      draft: 'maybe',
      'codex-auth-json': 'not json ghs_secretvalue123',
      prompt: 'x',
      'prompt-file': 'y',
    },
    { 'INPUT_OPENAI-API-KEY': 'sk-secret-key-value' },
  );
  const message = errorFor(env);
  expect(message.split('\n')).toEqual([
    `Input 'mode' has value "nope": expected one of auto, review, fix, login, plan, merge.`,
    `Input 'codex-auth-json' has value (hidden): expected a JSON object (the contents of ~/.codex/auth.json).`,
    `Input 'max-parallel' has value "0": expected an integer from 1 to 16.`,
    `Input 'draft' has value "maybe": expected true or false.`,
    "Inputs 'prompt' and 'prompt-file' are both set: use only one.",
  ]);
  expect(message).not.toContain('sk-secret-key-value');
  expect(message).not.toContain('ghs_secretvalue123');
});

test('no credentials is reported together with other problems', () => {
  expect(errorFor({ 'INPUT_MAX-ATTEMPTS': '9' }).split('\n')).toEqual([
    `Input 'max-attempts' has value "9": expected an integer from 1 to 5.`,
    "No credentials: set the 'openai-api-key' input (or OPENAI_API_KEY / CODEX_API_KEY in the environment), 'codex-access-token', 'codex-auth-json', or 'codex-home' (a folder where 'mode: login' stored a ChatGPT login).",
  ]);
});

test('the run secrets include each token inside codex-auth-json, so a reply quoting one alone is redacted', () => {
  const auth = JSON.stringify({ tokens: { access_token: 'eyJaccess-token-abcdef', refresh_token: 'rt_refresh-123456789' }, last_refresh: 'x' });
  const inputs = readInputs({ GITHUB_WORKSPACE: '/w', 'INPUT_CODEX-AUTH-JSON': auth, 'INPUT_GITHUB-TOKEN': 'ghs_token_value_1' });
  expect(secretsOf(inputs)).toEqual(expect.arrayContaining([auth, 'ghs_token_value_1', 'eyJaccess-token-abcdef', 'rt_refresh-123456789']));
  expect(secretsOf(inputs)).not.toContain('x');
});

test("action.yml's defaults are the engine's DEFAULTS, so the Action and the CLI start from the same values", () => {
  const yml = readFileSync('action.yml', 'utf8');
  const inputs = yml.split('\ninputs:\n')[1]!.split(/\n\S/)[0]!;
  const declared = new Map([...inputs.matchAll(/^ {2}([a-z-]+):\n(?:^ {4}.*\n)*?^ {4}default: (.*)$/gm)].map((m) => [m[1]!, m[2]!.replace(/^["']|["']$/g, '')]));
  const camel = (name: string) => name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
  let compared = 0;
  for (const [name, value] of Object.entries(DEFAULTS)) {
    const input = [...declared.keys()].find((n) => camel(n) === name);
    expect({ name, input: input !== undefined }).toEqual({ name, input: true });
    expect({ name, value: declared.get(input!) }).toEqual({ name, value: String(value) });
    compared++;
  }
  expect(compared).toBe(Object.keys(DEFAULTS).length);
});
