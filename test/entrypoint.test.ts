// The bundled action run the way GitHub runs it: `node dist/index.js` with the runner's environment.
import { mkdtemp, readFile, rm, writeFile, access } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { CODEX_BINARY, TEST_API_KEY } from './support/codex.js';
import { FakeGitHub } from './support/fake-github.js';
import { createRepo } from './support/git-repo.js';
import { ModelServer } from './support/model-server.js';
import { diagnosisJson, FIX_COMMAND, startFixScenario, TEST_COMMAND } from './support/fix-scenario.js';
import { isAfterToolCall, lastUserText, type ModelRequest } from './support/model-server.js';
import { TEST_GITHUB_TOKEN } from './support/context.js';
import { secretForms } from '../src/base/text/redact.js';
import { CODEX_VERSION } from '../src/base/codex/install.js';
import { addedPatch, finding, findingsReply, scriptReviewModel, serveContents, turnKind } from './support/review-fixtures.js';
import { sarifErrors } from './support/sarif-schema.js';
import { startFakeArtifactService } from './support/fake-artifact-service.js';
import type { Log } from 'sarif';

const DIST = resolve('dist/index.js');
/** The file a chunk turn reviews (the chunks of these tests are one file each). */
const chunkFor = (req: ModelRequest) => /### File: (\S+)/.exec(lastUserText(req))?.[1];

interface Runner {
  dir: string;
  env: Record<string, string>;
  outputs(): Promise<Record<string, string>>;
  summary(): Promise<string>;
}

async function runner(
  inputs: Record<string, string>,
  event: { name: string; payload: unknown },
  where: { workspace?: string; apiUrl?: string; graphqlUrl?: string } = {},
): Promise<Runner> {
  const dir = await mkdtemp(join(tmpdir(), 'runner-'));
  const eventPath = join(dir, 'event.json');
  await writeFile(eventPath, JSON.stringify(event.payload));
  for (const f of ['output', 'summary']) await writeFile(join(dir, f), '');
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? dir,
    GITHUB_ACTIONS: 'true',
    GITHUB_EVENT_NAME: event.name,
    GITHUB_EVENT_PATH: eventPath,
    GITHUB_OUTPUT: join(dir, 'output'),
    GITHUB_STEP_SUMMARY: join(dir, 'summary'),
    GITHUB_REPOSITORY: 'octo/demo',
    GITHUB_API_URL: where.apiUrl ?? 'http://127.0.0.1:9',
    // As the runner sets it: https://api.github.com/graphql, or https://HOST/api/graphql on GHES.
    ...(where.graphqlUrl ? { GITHUB_GRAPHQL_URL: where.graphqlUrl } : {}),
    GITHUB_WORKSPACE: where.workspace ?? dir,
    // The throttling plugin spaces writes by seconds; the fake GitHub needs no spacing.
    CODEX_CI_GITHUB_TIME_UNIT_MS: '0',
    RUNNER_TEMP: join(dir, 'temp'),
    RUNNER_TOOL_CACHE: join(dir, 'tool-cache'),
  };
  for (const [k, v] of Object.entries(inputs)) env[`INPUT_${k.toUpperCase()}`] = v;
  return {
    dir,
    env,
    outputs: async () => parseOutputs(await readFile(join(dir, 'output'), 'utf8')),
    summary: () => readFile(join(dir, 'summary'), 'utf8'),
  };
}

/** Reads the runner's `name<<DELIMITER … DELIMITER` output file format. */
function parseOutputs(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /^([^<\n]+)<<(\S+)\n([\s\S]*?)\n\2$/gm;
  for (const m of text.matchAll(re)) out[m[1]!] = m[3]!;
  return out;
}

test('bad inputs fail the step with one clear message before anything is installed or spawned', async () => {
  const r = await runner(
    { 'openai-api-key': 'sk-secret-value-123456', 'max-parallel': '0', 'review-event': 'APPROVE', 'codex-path': '/nonexistent/codex' },
    { name: 'pull_request', payload: { pull_request: { number: 1 } } },
  );
  const result = await execa('node', [DIST], { env: r.env, extendEnv: false, reject: false });
  expect(result.exitCode).toBe(1);
  expect(result.stdout).toContain(`::error::`);
  expect(result.stdout).toContain(`Input 'max-parallel' has value "0"`);
  expect(result.stdout).toContain(`Input 'review-event' has value "APPROVE"`);
  // The runner is told to mask the key first; after that it appears nowhere.
  expect(result.stdout).toContain('::add-mask::sk-secret-value-123456');
  expect(result.stdout.replace('::add-mask::sk-secret-value-123456', '')).not.toContain('sk-secret-value-123456');
  expect(await r.summary()).toContain(`Input 'max-parallel' has value "0"`);
  expect((await r.outputs()).conclusion).toBe('failure');
  // Nothing was installed or spawned: the bad codex-path was never tried, the tool cache never created.
  expect(result.stdout).not.toContain('/nonexistent/codex');
  await expect(access(r.env.RUNNER_TOOL_CACHE!)).rejects.toThrow();
  await rm(r.dir, { recursive: true, force: true });
});

test('a workflow_run that succeeded is skipped, with outputs and a summary', async () => {
  const r = await runner(
    { 'openai-api-key': 'sk-secret-value-123456', 'github-token': 'ghs_token_abcdef123456' },
    { name: 'workflow_run', payload: { workflow_run: { id: 77, conclusion: 'success' } } },
  );
  const result = await execa('node', [DIST], { env: r.env, extendEnv: false, reject: false });
  expect(result.exitCode).toBe(0);
  const outputs = await r.outputs();
  expect(outputs.conclusion).toBe('skipped');
  expect(outputs['input-tokens']).toBe('0');
  expect(await r.summary()).toContain("concluded 'success'");
  await rm(r.dir, { recursive: true, force: true });
});

test.each([
  ['pull_request', { pull_request: { title: 'no number' } }, 'pull_request.number is missing'],
  ['pull_request_target', { pull_request: { number: 'five' } }, 'pull_request.number is "five" (expected number)'],
  ['workflow_run', { workflow_run: { conclusion: 'failure' } }, 'workflow_run.id is missing'],
  ['issue_comment', { issue: { pull_request: {} }, comment: { body: '@codex review', author_association: 'OWNER', user: { login: 'mona' } } }, 'issue.number is missing'],
])('mode auto with a malformed %s payload fails the step, naming the event and the field', async (name, payload, problem) => {
  const r = await runner({ mode: 'auto', 'openai-api-key': 'sk-secret-value-123456', 'github-token': 'ghs_token_abcdef123456' }, { name, payload });
  const result = await execa('node', [DIST], { env: r.env, extendEnv: false, reject: false });
  expect(result.exitCode).toBe(1);
  expect(result.stdout).toContain(`::error::The '${name}' event's payload (GITHUB_EVENT_PATH) is malformed: ${problem}.`);
  expect((await r.outputs()).conclusion).toBe('failure');
  expect(await r.summary()).toContain(problem);
  await rm(r.dir, { recursive: true, force: true });
});

test('an event file that cannot be read fails the step instead of reading as an empty payload', async () => {
  const r = await runner({ 'openai-api-key': 'sk-secret-value-123456', 'github-token': 'ghs_token_abcdef123456' }, { name: 'pull_request', payload: {} });
  r.env.GITHUB_EVENT_PATH = join(r.dir, 'missing-event.json');
  const result = await execa('node', [DIST], { env: r.env, extendEnv: false, reject: false });
  expect(result.exitCode).toBe(1);
  expect(result.stdout).toContain(`::error::Could not read the 'pull_request' event's payload at GITHUB_EVENT_PATH (${r.env.GITHUB_EVENT_PATH}): ENOENT`);
  await rm(r.dir, { recursive: true, force: true });
});

test('an unreachable GitHub API fails the step naming the request, GITHUB_API_URL and the cause', async () => {
  const r = await runner(
    { 'openai-api-key': 'sk-secret-value-123456', 'github-token': 'ghs_token_abcdef123456', 'codex-path': '/nonexistent/codex' },
    { name: 'pull_request', payload: { pull_request: { number: 3 } } },
  );
  const result = await execa('node', [DIST], { env: r.env, extendEnv: false, reject: false });
  expect(result.exitCode).toBe(1);
  expect(result.stdout).toMatch(
    /^::error::Could not reach the GitHub API at http:\/\/127\.0\.0\.1:9 \(GITHUB_API_URL\) for GET \/repos\/octo\/demo\/pulls\/3: bad port\. Check that GITHUB_API_URL/m,
  );
  expect((await r.outputs()).conclusion).toBe('failure');
  await rm(r.dir, { recursive: true, force: true });
});

test('the suite runs on the runtime action.yml declares (node24)', async () => {
  const actionYml = await readFile(resolve('action.yml'), 'utf8');
  expect(actionYml).toMatch(/using:\s*node24/);
  expect(actionYml).toMatch(/main:\s*dist\/index\.js/);
  expect(Number(process.versions.node.split('.')[0])).toBe(24);
});

/** Serves pull request `number` of octo/demo adding `files` (path → lines) at `head`, with the base's AGENTS.md. */
function serveAddedFiles(github: FakeGitHub, number: number, head: string, files: Record<string, string[]>): void {
  const base = 'b'.repeat(40);
  serveContents(github, { owner: 'octo', repo: 'demo', sha: base, files: { 'AGENTS.md': 'Use typed errors.\n' } });
  github.addPullRequest({
    owner: 'octo',
    repo: 'demo',
    number,
    head: { ref: 'feature', sha: head },
    base: { ref: 'main', sha: base },
    files: Object.entries(files).map(([filename, lines]) => ({ filename, status: 'added', patch: addedPatch(lines), additions: lines.length })),
  });
}

/** Runs the bundle on a pull_request event whose one changed line gets one finding of `severity`. */
async function reviewThroughBundle(severity: 'critical' | 'high', failOnSeverity: string, options: { enterprise?: 'ghes-3.19' } = {}) {
  const github = await FakeGitHub.start(options);
  const model = await ModelServer.start();
  const repo = await createRepo({ 'src/app.ts': 'export const limit = 10;\n' });
  try {
    serveAddedFiles(github, 5, repo.headSha, { 'src/app.ts': ['export const limit = 10;'] });
    scriptReviewModel(model, {
      chunk: () => findingsReply([finding({ path: 'src/app.ts', line: 1, title: 'Magic number', severity })]),
    });
    const r = await runner(
      {
        mode: 'auto',
        'openai-api-key': TEST_API_KEY,
        'openai-base-url': model.url,
        'github-token': 'ghs_entrypoint_token_0123456789',
        'codex-path': CODEX_BINARY,
        'fail-on-severity': failOnSeverity,
      },
      { name: 'pull_request', payload: { pull_request: { number: 5 } } },
      { workspace: repo.dir, apiUrl: github.url, graphqlUrl: github.graphqlUrl },
    );
    const result = await execa('node', [DIST], { env: r.env, extendEnv: false, reject: false });
    const outputs = await r.outputs();
    // The SARIF file is under RUNNER_TEMP, which goes with the runner's folder below.
    const sarif = outputs['sarif-file'] ? (JSON.parse(await readFile(outputs['sarif-file'], 'utf8')) as Log) : undefined;
    const seen = { result, outputs, sarif, summary: await r.summary(), reviews: [...github.reviews], requests: [...github.requests] };
    await rm(r.dir, { recursive: true, force: true });
    return seen;
  } finally {
    await github.close();
    await model.close();
    await repo.cleanup();
  }
}

test('a pull_request event is reviewed end to end by the bundle, with outputs read back from GITHUB_OUTPUT', async () => {
  const { result, outputs, sarif, summary, reviews } = await reviewThroughBundle('high', 'critical');
  expect(result.stdout).not.toContain('::error::');
  expect(result.exitCode).toBe(0);
  expect(outputs).toMatchObject({ conclusion: 'findings', 'findings-count': '1', 'codex-version': CODEX_VERSION });
  expect(outputs['review-url']).toMatch(/\/pull\/5#pullrequestreview-\d+$/);
  expect(Number(outputs['input-tokens'])).toBeGreaterThan(0);
  expect(JSON.parse(outputs.findings!)).toEqual([expect.objectContaining({ path: 'src/app.ts', line: 1, severity: 'high' })]);
  expect(reviews).toHaveLength(1);
  expect(reviews[0]!.comments[0]).toMatchObject({ path: 'src/app.ts', line: 1, side: 'RIGHT' });
  expect(summary).toContain('Magic number');
  // The sarif-file output: valid SARIF 2.1.0 with the posted finding, where code scanning shows it.
  expect(outputs['sarif-file']).toMatch(/\.sarif$/);
  expect(sarifErrors(sarif)).toEqual([]);
  expect(sarif!.runs[0]!.results).toEqual([
    expect.objectContaining({
      level: 'error',
      message: expect.objectContaining({ text: expect.stringContaining('Magic number') }),
      locations: [{ physicalLocation: { artifactLocation: { uri: 'src/app.ts', uriBaseId: '%SRCROOT%' }, region: { startLine: 1, endLine: 1 } } }],
    }),
  ]);
  // The workflow annotation points at the line in the Files tab.
  expect(result.stdout).toMatch(/^::error [^\n]*file=src\/app\.ts,line=1[,:]/m);
});

test('on GitHub Enterprise Server (REST under /api/v3, GraphQL at /api/graphql) a pull request is reviewed end to end', async () => {
  const { result, outputs, reviews, requests } = await reviewThroughBundle('high', 'critical', { enterprise: 'ghes-3.19' });
  expect(result.stdout).not.toContain('::error::');
  expect(result.exitCode).toBe(0);
  expect(outputs).toMatchObject({ conclusion: 'findings', 'findings-count': '1' });
  expect(reviews).toHaveLength(1);
  // Every request went under /api/v3 or to /api/graphql (the fake refuses anything else as a violation) and kept to
  // the GHES 3.19 description: the guard checks each one.
  expect(requests.length).toBeGreaterThan(3);
  expect(requests.map((r) => `${r.method} ${r.path}`)).toContain('POST /repos/octo/demo/pulls/5/reviews');
});

test('a sharded review runs as three jobs of the bundle: plan, two shard processes at once, merge; one review, posted once', async () => {
  const github = await FakeGitHub.start();
  const model = await ModelServer.start();
  const service = await startFakeArtifactService();
  // Two files of about 10,000 tokens each: two chunks at the default budget, so two shards at one chunk per shard.
  const big = (name: string) => Array.from({ length: 600 }, (_, i) => `export const ${name}_${String(i).padStart(3, '0')} = "${'x'.repeat(32)}";`);
  const files = { 'src/a.ts': big('a'), 'src/b.ts': big('b') };
  const repo = await createRepo(Object.fromEntries(Object.entries(files).map(([p, l]) => [p, `${l.join('\n')}\n`])));
  const dirs: string[] = [];
  try {
    serveAddedFiles(github, 6, repo.headSha, files);
    scriptReviewModel(model, {
      chunk: (req) => findingsReply([finding({ path: chunkFor(req) ?? 'src/a.ts', line: 1, title: `Magic string in ${chunkFor(req)}`, severity: 'medium' })]),
    });
    const job = async (inputs: Record<string, string>) => {
      const r = await runner(
        { 'openai-api-key': TEST_API_KEY, 'openai-base-url': model.url, 'github-token': 'ghs_entrypoint_token_0123456789', 'codex-path': CODEX_BINARY, 'chunks-per-shard': '1', ...inputs },
        { name: 'pull_request', payload: { pull_request: { number: 6 } } },
        { workspace: repo.dir, apiUrl: github.url },
      );
      dirs.push(r.dir);
      // Each job of the matrix has its own runtime token of the same workflow run.
      Object.assign(r.env, { ACTIONS_RESULTS_URL: `${service.url}/`, ACTIONS_RUNTIME_TOKEN: service.jobToken() });
      const result = await execa('node', [DIST], { env: r.env, extendEnv: false, reject: false });
      return { result, outputs: await r.outputs(), summary: await r.summary() };
    };
    const plan = await job({ mode: 'plan' });
    expect(plan.result.exitCode).toBe(0);
    expect(JSON.parse(plan.outputs.matrix!)).toEqual({ shard: ['1/2', '2/2'] });
    const planId = plan.outputs['plan-id']!;
    const shards = await Promise.all(['1/2', '2/2'].map((shard) => job({ mode: 'review', shard, 'plan-id': planId })));
    for (const s of shards) expect({ code: s.result.exitCode, error: s.result.stdout.match(/^::error::.*$/m)?.[0] }).toEqual({ code: 0, error: undefined });
    expect(github.reviews).toHaveLength(0);
    const merge = await job({ mode: 'merge', 'plan-id': planId });
    expect(merge.result.stdout.match(/^::error::.*$/m)?.[0]).toBeUndefined();
    expect(merge.result.exitCode).toBe(0);
    expect(merge.outputs).toMatchObject({ conclusion: 'findings', 'findings-count': '2' });
    expect(github.reviews).toHaveLength(1);
    expect(github.reviews[0]!.comments.map((c) => c.path).sort()).toEqual(['src/a.ts', 'src/b.ts']);
    // A re-run of the merge job finds its review and posts nothing more.
    const again = await job({ mode: 'merge', 'plan-id': planId });
    expect(again.result.exitCode).toBe(0);
    expect(github.reviews).toHaveLength(1);
    // Two base threads (one per shard), each shard's chunk reviewed once.
    expect(model.requests.filter((q) => turnKind(q) === 'setup')).toHaveLength(2);
    expect(model.requests.filter((q) => turnKind(q) === 'chunk').map(chunkFor).sort()).toEqual(['src/a.ts', 'src/b.ts']);
  } finally {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
    await service.close();
    await github.close();
    await model.close();
    await repo.cleanup();
  }
});

test('fail-on-severity: high with a critical finding posts the review, then fails the step', async () => {
  const { result, outputs, reviews } = await reviewThroughBundle('critical', 'high');
  expect(reviews).toHaveLength(1);
  expect(result.exitCode).not.toBe(0);
  expect(result.stdout).toMatch(/^::error::.*at or above 'high' \(fail-on-severity\)/m);
  expect(outputs).toMatchObject({ conclusion: 'findings', 'findings-count': '1' });
  expect(outputs['review-url']).toContain('/pull/5');
});

test('a draft pull request is skipped without installing codex', async () => {
  const github = await FakeGitHub.start();
  try {
    github.addPullRequest({
      owner: 'octo',
      repo: 'demo',
      number: 9,
      draft: true,
      head: { ref: 'wip', sha: 'c'.repeat(40) },
      base: { ref: 'main', sha: 'd'.repeat(40) },
      files: [{ filename: 'a.ts', status: 'added', patch: addedPatch(['x']), additions: 1 }],
    });
    const r = await runner(
      { 'openai-api-key': TEST_API_KEY, 'github-token': 'ghs_entrypoint_token_0123456789' },
      { name: 'pull_request', payload: { pull_request: { number: 9 } } },
      { apiUrl: github.url },
    );
    // Any install attempt would fail fast against this registry.
    r.env.npm_config_registry = 'http://127.0.0.1:9';
    const result = await execa('node', [DIST], { env: r.env, extendEnv: false, reject: false });
    expect(result.exitCode).toBe(0);
    const outputs = await r.outputs();
    expect(outputs.conclusion).toBe('skipped');
    expect(outputs['codex-version']).toBeUndefined();
    await expect(access(r.env.RUNNER_TOOL_CACHE!)).rejects.toThrow();
    expect(await r.summary()).toMatch(/draft/i);
    await rm(r.dir, { recursive: true, force: true });
  } finally {
    await github.close();
  }
});

test('on GitHub Enterprise Server a failed workflow_run is fixed end to end by the bundle', async () => {
  const scenario = await startFixScenario({ github: { enterprise: 'ghes-3.19' } });
  try {
    scenario.model.respond((req) => (isAfterToolCall(req) ? { message: diagnosisJson('Make add() add') } : { exec: FIX_COMMAND }));
    const r = await runner(
      { 'openai-api-key': TEST_API_KEY, 'openai-base-url': scenario.model.url, 'github-token': TEST_GITHUB_TOKEN, 'codex-path': CODEX_BINARY, 'test-command': TEST_COMMAND },
      scenario.event,
      { workspace: scenario.repo.dir, apiUrl: scenario.github.url, graphqlUrl: scenario.github.graphqlUrl },
    );
    const result = await execa('node', [DIST], { env: r.env, extendEnv: false, reject: false });
    expect(result.stdout).not.toContain('::error::');
    expect(result.exitCode).toBe(0);
    expect(await r.outputs()).toMatchObject({ conclusion: 'success', verified: 'true', 'pr-number': '1' });
    expect(scenario.github.createdPulls).toHaveLength(1);
    expect(scenario.github.requests.every((q) => q.status !== 404)).toBe(true);
    await rm(r.dir, { recursive: true, force: true });
  } finally {
    await scenario.close();
  }
});

test('a failed workflow_run is fixed end to end by the bundle: verified PR, credentials back in place', async () => {
  const scenario = await startFixScenario();
  try {
    // What actions/checkout leaves behind with persist-credentials: true.
    const header = `AUTHORIZATION: basic ${Buffer.from(`x-access-token:${TEST_GITHUB_TOKEN}`).toString('base64')}`;
    await scenario.repo.git('config', '--local', 'http.https://github.com/.extraheader', header);
    scenario.model.respond((req) => (isAfterToolCall(req) ? { message: diagnosisJson('Make add() add') } : { exec: `${FIX_COMMAND} && git config --list` }));
    const r = await runner(
      {
        'openai-api-key': TEST_API_KEY,
        'openai-base-url': scenario.model.url,
        'github-token': TEST_GITHUB_TOKEN,
        'codex-path': CODEX_BINARY,
        'test-command': TEST_COMMAND,
      },
      scenario.event,
      { workspace: scenario.repo.dir, apiUrl: scenario.github.url },
    );
    const result = await execa('node', [DIST], { env: r.env, extendEnv: false, reject: false });
    expect(result.stdout).not.toContain('::error::');
    expect(result.exitCode).toBe(0);
    const outputs = await r.outputs();
    expect(outputs).toMatchObject({ conclusion: 'success', verified: 'true', 'pr-number': '1', 'fix-branch': 'codex/fix/feature/math-4242' });
    expect(scenario.github.createdPulls).toHaveLength(1);
    expect(await r.summary()).toContain('add() subtracted its arguments');
    // The agent's `git config --list` ran without the header; afterwards the user's config has it again.
    const everythingTheModelSaw = scenario.model.requests.map((q) => q.raw).join('\n');
    expect(everythingTheModelSaw).toContain('core.bare=false');
    for (const form of secretForms([TEST_API_KEY, TEST_GITHUB_TOKEN])) expect(everythingTheModelSaw).not.toContain(form);
    expect(await scenario.repo.git('config', '--local', '--get', 'http.https://github.com/.extraheader')).toBe(header);
    await rm(r.dir, { recursive: true, force: true });
  } finally {
    await scenario.close();
  }
});
