// createOctokit against the loopback fake GitHub: auth, base URL, pagination, 5xx retries and rate-limit throttling.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { jest } from '@jest/globals';
import { GitHubRequestError, githubErrorInfo } from '../src/base/github/errors.js';
import { createOctokit, TIME_UNIT_ENV } from '../src/base/github/octokit.js';
import { BODY_LIMIT, FakeGitHub } from './support/fake-github.js';

const TOKEN = 'ghs_fakeTokenValue1234567890';

let fake: FakeGitHub;
let stdout: string[];

beforeEach(async () => {
  fake = await FakeGitHub.start();
  // @actions/core writes debug lines and warnings to stdout as workflow commands; capture them to assert on.
  stdout = [];
  jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout.push(String(chunk));
    return true;
  });
});

afterEach(async () => {
  jest.restoreAllMocks();
  await fake.close();
});

const octokit = (opts: Parameters<typeof createOctokit>[1] = {}) =>
  createOctokit(TOKEN, { baseUrl: fake.url, timeUnitMs: 1, ...opts });

function addFiles(count: number) {
  fake.addPullRequest({
    owner: 'acme',
    repo: 'widgets',
    number: 7,
    head: { ref: 'feature', sha: 'a'.repeat(40) },
    base: { ref: 'main', sha: 'b'.repeat(40) },
    files: Array.from({ length: count }, (_, i) => ({ filename: `src/f${i}.ts`, status: 'modified', patch: '@@ -1 +1 @@\n-a\n+b' })),
  });
}

describe('createOctokit', () => {
  it('sends the token as `authorization: token …` to the given baseUrl, and never logs it', async () => {
    addFiles(1);
    const { data } = await octokit({ userAgent: 'my-agent' }).rest.pulls.get({ owner: 'acme', repo: 'widgets', pull_number: 7 });
    expect(data.number).toBe(7);
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]).toMatchObject({ method: 'GET', path: '/repos/acme/widgets/pulls/7' });
    expect(fake.requests[0]!.headers.authorization).toBe(`token ${TOKEN}`);
    expect(fake.requests[0]!.headers['user-agent']).toMatch(/^my-agent /);
    const logged = stdout.join('');
    expect(logged).toContain('::debug::GET /repos/acme/widgets/pulls/7 - 200');
    expect(logged).not.toContain(TOKEN);
  });

  it('takes GITHUB_API_URL as the runner gives it, a trailing slash included, and reads nothing from process.env', async () => {
    // The shells pass the URL from @actions/github's context (the Action) or the environment (the CLI).
    const saved = process.env.GITHUB_API_URL;
    process.env.GITHUB_API_URL = 'http://127.0.0.1:9';
    try {
      await expect(createOctokit(TOKEN, { baseUrl: `${fake.url}/`, timeUnitMs: 1 }).rest.repos.get({ owner: 'acme', repo: 'x' })).rejects.toMatchObject({
        status: 404,
      });
    } finally {
      if (saved === undefined) delete process.env.GITHUB_API_URL;
      else process.env.GITHUB_API_URL = saved;
    }
    expect(fake.requests.map((r) => r.path)).toEqual(['/repos/acme/x']);
  });

  it('paginates 250 pull request files in 3 requests', async () => {
    addFiles(250);
    const gh = octokit();
    const files = await gh.paginate(gh.rest.pulls.listFiles, {
      owner: 'acme',
      repo: 'widgets',
      pull_number: 7,
      per_page: 100,
    });
    expect(files).toHaveLength(250);
    expect(files.map((f) => f.filename)).toEqual(Array.from({ length: 250 }, (_, i) => `src/f${i}.ts`));
    expect(fake.requests.map((r) => r.query.page ?? '1')).toEqual(['1', '2', '3']);
  });

  it('retries a 502 and succeeds', async () => {
    addFiles(1);
    fake.failNext('GET', '/repos/:owner/:repo/pulls/:pull_number', 502);
    const { data } = await octokit().rest.pulls.get({ owner: 'acme', repo: 'widgets', pull_number: 7 });
    expect(data.title).toBe('Pull request #7');
    expect(fake.requests.map((r) => r.status)).toEqual([502, 200]);
  });

  it('gives up on 5xx after 2 retries', async () => {
    addFiles(1);
    for (let i = 0; i < 3; i++) fake.failNext('GET', '/repos/:owner/:repo/pulls/:pull_number', 503);
    await expect(octokit().rest.pulls.get({ owner: 'acme', repo: 'widgets', pull_number: 7 })).rejects.toMatchObject({ status: 503 });
    expect(fake.requests.map((r) => r.status)).toEqual([503, 503, 503]);
  });

  it('does not retry a 422', async () => {
    addFiles(1);
    fake.failNext('GET', '/repos/:owner/:repo/pulls/:pull_number', 422);
    await expect(octokit().rest.pulls.get({ owner: 'acme', repo: 'widgets', pull_number: 7 })).rejects.toMatchObject({ status: 422 });
    expect(fake.requests).toHaveLength(1);
  });

  it('retries a 403 secondary rate limit (retry-after: 0) and warns with the method and url', async () => {
    addFiles(1);
    const secondary = {
      message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
      documentation_url: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api',
    };
    fake.failNext('POST', '/repos/:owner/:repo/issues/:issue_number/comments', 403, secondary, { 'retry-after': '0' });
    const started = Date.now();
    const { data } = await octokit().rest.issues.createComment({ owner: 'acme', repo: 'widgets', issue_number: 7, body: 'hi' });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(data.body).toBe('hi');
    expect(fake.requests.map((r) => r.status)).toEqual([403, 201]);
    expect(fake.issueComments).toHaveLength(1);
    expect(stdout.join('')).toMatch(/::warning::Secondary rate limit hit on POST \/repos\/\{owner\}\/\{repo\}\/issues\/\{issue_number\}\/comments; retrying/);
  });

  it('gives up after 2 rate-limit retries', async () => {
    const primary = { message: 'API rate limit exceeded for installation ID 1.' };
    const reset = String(Math.floor(Date.now() / 1000));
    for (let i = 0; i < 3; i++) {
      fake.failNext('GET', '/repos/:owner/:repo', 403, primary, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': reset });
    }
    fake.route('GET', '/repos/:owner/:repo', () => ({ body: { full_name: 'acme/widgets' } }));
    await expect(octokit().rest.repos.get({ owner: 'acme', repo: 'widgets' })).rejects.toMatchObject({ status: 403 });
    expect(fake.requests.map((r) => r.status)).toEqual([403, 403, 403]);
    expect(stdout.join('')).toContain('::warning::Rate limit hit on GET /repos/{owner}/{repo}; giving up');
  });

  it('takes the time unit from the environment', async () => {
    const saved = process.env[TIME_UNIT_ENV];
    process.env[TIME_UNIT_ENV] = '0';
    try {
      addFiles(1);
      fake.failNext('GET', '/repos/:owner/:repo/pulls/:pull_number', 500);
      fake.failNext('GET', '/repos/:owner/:repo/pulls/:pull_number', 500);
      const started = Date.now();
      await createOctokit(TOKEN, { baseUrl: fake.url }).rest.pulls.get({ owner: 'acme', repo: 'widgets', pull_number: 7 });
      // With the default unit these two retries would wait 1 s + 4 s.
      expect(Date.now() - started).toBeLessThan(1000);
      expect(fake.requests).toHaveLength(3);
    } finally {
      if (saved === undefined) delete process.env[TIME_UNIT_ENV];
      else process.env[TIME_UNIT_ENV] = saved;
    }
  });

  it('follows the job-logs redirect and returns the text', async () => {
    fake.addWorkflowRun({
      owner: 'acme',
      repo: 'widgets',
      id: 99,
      headBranch: 'main',
      headSha: 'c'.repeat(40),
      conclusion: 'failure',
      jobs: [{ id: 501, name: 'test', conclusion: 'failure', log: '2024-01-01T00:00:00Z npm test\nFAIL src/a.test.ts\n' }],
    });
    const res = await octokit().rest.actions.downloadJobLogsForWorkflowRun({ owner: 'acme', repo: 'widgets', job_id: 501 });
    expect(res.status).toBe(200);
    expect(res.data).toBe('2024-01-01T00:00:00Z npm test\nFAIL src/a.test.ts\n');
    expect(fake.requests.map((r) => [r.path, r.status])).toEqual([
      ['/repos/acme/widgets/actions/jobs/501/logs', 302],
      ['/_storage/acme/widgets/jobs/501/log.txt', 200],
    ]);
  });

  it('surfaces a rejected review comment as 422 with GitHub’s error shape', async () => {
    addFiles(1);
    fake.rejectReviewCommentsWhere((c) => c.line === 999);
    const error = await octokit()
      .rest.pulls.createReview({
        owner: 'acme',
        repo: 'widgets',
        pull_number: 7,
        event: 'COMMENT',
        body: 'Review',
        comments: [
          { path: 'src/f0.ts', line: 1, body: 'fine' },
          { path: 'src/f0.ts', line: 999, body: 'outside the diff' },
        ],
      })
      .then(
        () => undefined,
        (e: unknown) => e as { status: number; message: string; response: { data: unknown } },
      );
    expect(error?.status).toBe(422);
    expect(error?.message).toMatch(/could not be resolved/);
    expect(error?.response.data).toMatchObject({ message: 'Unprocessable Entity', errors: ['Line could not be resolved'] });
    // A 422 is final: no retry, and nothing stored.
    expect(fake.requests).toHaveLength(1);
    expect(fake.reviews).toHaveLength(0);
  });
});

describe('GitHub errors say where', () => {
  const pull = { owner: 'acme', repo: 'widgets', pull_number: 7 };
  const failure = (promise: Promise<unknown>) =>
    promise.then(
      () => {
        throw new Error('expected the request to fail');
      },
      (e: unknown) => e as GitHubRequestError,
    );

  it('a 403 names the request, the API URL, GitHub\'s words, the permission and the fork case', async () => {
    addFiles(1);
    fake.failNext('POST', '/repos/:owner/:repo/pulls/:pull_number/reviews', 403);
    const error = await failure(octokit().rest.pulls.createReview({ ...pull, event: 'COMMENT', body: 'x' }));
    expect(error).toBeInstanceOf(GitHubRequestError);
    expect(error.status).toBe(403);
    expect(error.message).toContain(`GitHub answered 403 to POST /repos/acme/widgets/pulls/7/reviews at ${fake.url} (GITHUB_API_URL)`);
    expect(error.message).toContain('Resource not accessible by integration');
    expect(error.message).toContain("it needs 'pull-requests: write'");
    expect(error.message).toContain('a read-only token on pull_request events');
    expect(githubErrorInfo(error)).toMatchObject({ status: 403, message: 'Resource not accessible by integration', summary: error.message });
  });

  it('a 422 keeps GitHub\'s words and its errors list, and adds no guess', async () => {
    addFiles(1);
    fake.rejectReviewCommentsWhere((c) => c.line === 999);
    const error = await failure(
      octokit().rest.pulls.createReview({ ...pull, event: 'COMMENT', body: 'x', comments: [{ path: 'src/f0.ts', line: 999, body: 'b' }] }),
    );
    expect(error.message).toMatch(
      /^GitHub answered 422 to POST \/repos\/acme\/widgets\/pulls\/7\/reviews at http:\/\/127\.0\.0\.1:\d+ \(GITHUB_API_URL\): Unprocessable Entity; Line could not be resolved/,
    );
    expect(error.message).not.toMatch(/permission|token/);
    expect(githubErrorInfo(error).details).toEqual(['Line could not be resolved']);
  });

  it('a 5xx after the retries says GitHub failed and to re-run later', async () => {
    addFiles(1);
    for (let i = 0; i < 3; i++) fake.failNext('GET', '/repos/:owner/:repo/pulls/:pull_number', 503);
    const error = await failure(octokit().rest.pulls.get(pull));
    expect(fake.requests).toHaveLength(3);
    expect(error.status).toBe(503);
    expect(error.message).toContain('GitHub answered 503 to GET /repos/acme/widgets/pulls/7');
    expect(error.message).toContain('Server Error');
    expect(error.message).toContain('re-run the job later');
  });

  it('a 401 says the token was not accepted', async () => {
    fake.failNext('GET', '/repos/:owner/:repo', 401);
    const error = await failure(octokit().rest.repos.get({ owner: 'acme', repo: 'widgets' }));
    expect(error.message).toContain('GitHub answered 401 to GET /repos/acme/widgets');
    expect(error.message).toContain("Bad credentials");
    expect(error.message).toContain("check the 'github-token' input");
  });

  it('an unreachable API names the request, the API URL and the network cause, and what to check', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const apiUrl = `http://127.0.0.1:${port}/api/v3`;
    const error = await failure(createOctokit(TOKEN, { baseUrl: apiUrl, timeUnitMs: 0 }).rest.pulls.get(pull));
    expect(githubErrorInfo(error).status).toBeUndefined();
    expect(error.message).toContain(`Could not reach the GitHub API at ${apiUrl} (GITHUB_API_URL) for GET /repos/acme/widgets/pulls/7`);
    expect(error.message).toContain(`ECONNREFUSED 127.0.0.1:${port}`);
    expect(error.message).toContain('https://HOST/api/v3 on GitHub Enterprise Server');
  });

  it('a URL fetch refuses outright (a blocked port) is named the same way', async () => {
    const error = await failure(createOctokit(TOKEN, { baseUrl: 'http://127.0.0.1:9', timeUnitMs: 0 }).rest.pulls.get(pull));
    expect(error.message).toMatch(/^Could not reach the GitHub API at http:\/\/127\.0\.0\.1:9 \(GITHUB_API_URL\) for GET \/repos\/acme\/widgets\/pulls\/7: .*bad port/);
  });
});

describe('bodies over GitHub\'s limit', () => {
  it('the fake refuses them as GitHub does; the client cuts them with a visible note instead of losing the post', async () => {
    addFiles(1);
    const long = 'x'.repeat(BODY_LIMIT + 5_000);
    const raw = createOctokit(TOKEN, { baseUrl: fake.url, timeUnitMs: 0 });
    // Straight through fetch (no hook), GitHub's answer is a 422 that loses the whole comment.
    const direct = await fetch(`${fake.url}/repos/acme/widgets/issues/7/comments`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ body: long }) });
    expect(direct.status).toBe(422);
    expect(await direct.json()).toMatchObject({ errors: [{ field: 'body', message: 'body is too long (maximum is 65536 characters)' }] });

    const { data } = await raw.rest.issues.createComment({ owner: 'acme', repo: 'widgets', issue_number: 7, body: long });
    expect(data.body!.length).toBeLessThanOrEqual(BODY_LIMIT);
    expect(data.body).toMatch(/… \(cut short: GitHub limits the length of a body\)$/);
    await raw.rest.pulls.createReview({ owner: 'acme', repo: 'widgets', pull_number: 7, event: 'COMMENT', body: long, comments: [{ path: 'src/f0.ts', line: 1, body: long }] });
    expect(fake.reviews[0]!.body.length).toBeLessThanOrEqual(BODY_LIMIT);
    expect(fake.reviews[0]!.comments[0]!.body.length).toBeLessThanOrEqual(BODY_LIMIT);
  });
});
