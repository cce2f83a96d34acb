// The parts delivery is built from: create-or-update of the pull request, the test command runner, the diagnosis.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { agentEnvironment } from '../src/base/codex/environment.js';
import { gitWords, pushHint } from '../src/modes/fix/remote-words.js';
import { patchPreview } from '../src/modes/fix/saved-patch.js';
import { runTestCommand } from '../src/base/command/test-command.js';
import { createOrUpdatePullRequest, ERROR_DRAFTS_NOT_SUPPORTED } from '../src/base/github/pull-requests.js';
import { useFakeGitHub } from './support/fake-github.js';
import { createRepo, type TestRepo } from './support/git-repo.js';
import { parseDiagnosis } from '../src/base/repair/diagnosis.js';

const repo = { owner: 'octo', repo: 'demo' };
const spec = { head: 'codex/fix/main-1', base: 'main', title: 'fix: a', body: 'b', draft: true };

describe('createOrUpdatePullRequest', () => {
  const github = useFakeGitHub();

  it('creates once, then updates the open pull request of the same branch', async () => {
    const first = await createOrUpdatePullRequest(github.gh, repo, spec);
    const second = await createOrUpdatePullRequest(github.gh, repo, { ...spec, title: 'fix: c', body: 'd' });
    expect(first).toMatchObject({ created: true, pull: { number: 1, base: 'main' } });
    expect(second).toMatchObject({ created: false, pull: { number: 1, title: 'fix: c' } });
    expect(github.fake.createdPulls).toHaveLength(1);
    expect(github.fake.createdPulls[0]).toMatchObject({ body: 'd', draft: true });
    expect(github.fake.requestsTo('GET', '/repos/:owner/:repo/pulls')[0]!.query).toMatchObject({ head: 'octo:codex/fix/main-1', state: 'open' });
  });

  it('updates the pull request another run opened between the list and the create', async () => {
    let lists = 0;
    const real = { number: 7, html_url: 'https://github.com/octo/demo/pull/7', title: 'x', body: '', base: { ref: 'main' }, head: { ref: spec.head } };
    github.fake.route('GET', '/repos/:owner/:repo/pulls', () => ({ body: lists++ === 0 ? [] : [real] }));
    github.fake.failNext('POST', '/repos/:owner/:repo/pulls', 422, {
      message: 'Validation Failed',
      errors: [{ resource: 'PullRequest', code: 'custom', message: `A pull request already exists for octo:${spec.head}.` }],
    });
    github.fake.route('PATCH', '/repos/:owner/:repo/pulls/:pull_number', ({ body }) => ({ body: { ...real, title: body.title, body: body.body } }));
    const result = await createOrUpdatePullRequest(github.gh, repo, spec);
    expect(result).toMatchObject({ created: false, pull: { number: 7, title: 'fix: a' } });
  });

  it('falls back to a ready pull request where drafts are not supported', async () => {
    github.fake.failNext('POST', '/repos/:owner/:repo/pulls', 422, { message: `Validation Failed: ${ERROR_DRAFTS_NOT_SUPPORTED} in this repository.` });
    const result = await createOrUpdatePullRequest(github.gh, repo, spec);
    expect(result.created).toBe(true);
    const posts = github.fake.requestsTo('POST', '/repos/:owner/:repo/pulls');
    expect(posts.map((p) => (p.body as { draft: boolean }).draft)).toEqual([true, false]);
  });
});

describe('runTestCommand', () => {
  let work: TestRepo;
  beforeEach(async () => {
    work = await createRepo({ 'README.md': 'x\n' });
  });
  afterEach(() => work.cleanup());

  it('runs through bash in the workspace and keeps the end of stdout and stderr', async () => {
    await writeFile(join(work.dir, 'check.sh'), 'for i in $(seq 1 2000); do echo "line $i"; done\necho "bad thing" >&2\nexit 3\n');
    const run = await runTestCommand('bash check.sh && echo never', { cwd: work.dir, env: { PATH: process.env.PATH! }, timeoutMs: 10_000, keepBytes: 200 });
    expect(run).toMatchObject({ passed: false, exitCode: 3, timedOut: false });
    expect(run.output).toContain('bad thing');
    expect(run.output).not.toContain('line 1\n');
    expect(run.output.length).toBeLessThanOrEqual(200);
  });

  it('gets no secrets in its environment', async () => {
    const env = agentEnvironment({ PATH: process.env.PATH, GITHUB_TOKEN: 'ghs_secretvalue1234', CI: 'true' }, ['ghs_secretvalue1234']);
    const run = await runTestCommand('env', { cwd: work.dir, env, timeoutMs: 10_000 });
    expect(run.passed).toBe(true);
    expect(run.output).toContain('CI=true');
    expect(run.output).not.toContain('ghs_secretvalue1234');
  });

  it('stops at its time limit, with everything it started', async () => {
    const started = Date.now();
    const run = await runTestCommand('echo started; sleep 30 & sleep 30', { cwd: work.dir, env: { PATH: process.env.PATH! }, timeoutMs: 300 });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(run).toMatchObject({ passed: false, timedOut: true });
    expect(run.output).toContain('started');
  });

  it('does not wait for background processes left running after it passes', async () => {
    const started = Date.now();
    const run = await runTestCommand('(sleep 30 &); echo ok', { cwd: work.dir, env: { PATH: process.env.PATH! }, timeoutMs: 10_000 });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(run).toMatchObject({ passed: true, exitCode: 0, output: 'ok\n' });
  });
});

describe('parseDiagnosis', () => {
  it('reads the schema JSON, fenced or not, and tidies the title', () => {
    const json = JSON.stringify({ title: 'fix: Make add() add\nmore', root_cause: ' r ', summary: 's' });
    expect(parseDiagnosis(json)).toEqual({ title: 'Make add() add', rootCause: 'r', summary: 's' });
    expect(parseDiagnosis('```json\n' + json + '\n```')?.title).toBe('Make add() add');
  });

  it('returns undefined for anything else', () => {
    expect(parseDiagnosis(null)).toBeUndefined();
    expect(parseDiagnosis('I fixed it.')).toBeUndefined();
    expect(parseDiagnosis('{"title": 1}')).toBeUndefined();
  });
});

describe('the kept patch in the summary', () => {
  it('shows the head of a big patch, cut at a line, in a fence the patch cannot close, naming the whole file', () => {
    const lines = Array.from({ length: 5_000 }, (_, i) => `+line ${i} with \`\`\`\` backticks`);
    const diff = `diff --git a/x b/x\n${lines.join('\n')}\n`;
    const preview = patchPreview({ path: '/runner/temp/codex-fix-1.patch', diff, baseSha: 'a'.repeat(40) }, 10_000);
    expect(Buffer.byteLength(preview)).toBeLessThan(10_300);
    expect(preview).toContain(`of ${Buffer.byteLength(diff)} bytes; the whole patch is <code>/runner/temp/codex-fix-1.patch</code>`);
    expect(preview).toContain('`````diff\ndiff --git a/x b/x\n+line 0 with');
    // Cut at a line boundary: the last shown line is whole, and the fence follows it.
    expect(preview).toMatch(/\+line \d+ with ```` backticks\n`````\n/);
  });

  it("quotes git's output line by line, bounded, without secrets", () => {
    const stderr = `remote: token ghs_secret123456 rejected        \n\n${'remote: noise\n'.repeat(40)}`;
    const words = gitWords(stderr, ['ghs_secret123456']);
    expect(words.split('\n')[0]).toBe('remote: token *** rejected');
    expect(words).toContain('… (21 more lines)');
  });

  it('names a cause only when the remote said it', () => {
    const target = { branch: 'main', onto: 'failing-branch' as const };
    expect(pushHint(' ! [remote rejected] x -> x (pre-receive hook declined)', target)).toBeUndefined();
    expect(pushHint('fatal: unable to access: The requested URL returned error: 500', target)).toBeUndefined();
    expect(pushHint('remote: Write access to repository not granted.', target)).toContain('contents: write');
    expect(pushHint(' ! [rejected] main -> main (fetch first)', target)).toContain('moved on');
    expect(pushHint(' ! [rejected] x -> x (stale info)', { branch: 'x', onto: 'fix-branch' })).toContain('changed on the remote');
  });
});
