// The fake GitHub holds every request and answer to GitHub's published descriptions: wrong requests are caught and
// fail the test that made them, with the operation, the problem and the request.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { FakeGitHub, useFakeGitHub } from './support/fake-github.js';
import { ALLOWED, EMPTY_LAST_PARAMETER, OUTSIDE_THE_API } from './support/github-contract/allow-list.js';
import { createOctokit } from '../src/base/github/octokit.js';

const github = useFakeGitHub();
const repo = { owner: 'acme', repo: 'widgets' };

function addPull() {
  github.fake.addPullRequest({ ...repo, number: 3, head: { ref: 'feat', sha: 'a'.repeat(40) }, base: { ref: 'main', sha: 'b'.repeat(40) }, files: [] });
}

/** The problems recorded so far, taken so that the guard does not fail the test for them. */
function problems(): string[] {
  return github.fake.takeViolations().map((v) => `${v.side} ${v.operation}: ${v.problem}`);
}

describe('REST requests are checked against api.github.com’s OpenAPI description', () => {
  it('a request the description allows passes, answer included', async () => {
    addPull();
    await github.gh.rest.pulls.get({ ...repo, pull_number: 3 });
    await github.gh.rest.pulls.listFiles({ ...repo, pull_number: 3, per_page: 100 });
    expect(problems()).toEqual([]);
  });

  it('an undeclared query parameter is a violation', async () => {
    addPull();
    await github.gh.request('GET /repos/{owner}/{repo}/pulls/{pull_number}', { ...repo, pull_number: 3, colour: 'blue' });
    expect(problems()).toEqual(["request pulls/get: query parameter 'colour' is not declared by the operation"]);
  });

  it('a query parameter of the wrong type is a violation', async () => {
    addPull();
    await github.gh.request('GET /repos/{owner}/{repo}/pulls/{pull_number}/files', { ...repo, pull_number: 3, per_page: 'many' as unknown as number });
    expect(problems()).toEqual(["request pulls/list-files: query parameter 'per_page' must be integer"]);
  });

  it('a body field of the wrong type is a violation', async () => {
    addPull();
    await github.gh.request('POST /repos/{owner}/{repo}/pulls/{pull_number}/reviews', { ...repo, pull_number: 3, body: 'x', event: 'COMMENT', comments: [{ path: 'a.ts', line: 'two' as unknown as number, body: 'b' }] });
    expect(problems()).toEqual(['request pulls/create-review: the body at /comments/0/line must be integer']);
  });

  it('a body on an operation that takes none is a violation', async () => {
    addPull();
    await github.gh.request('DELETE /repos/{owner}/{repo}/pulls/{pull_number}/reviews/{review_id}', { ...repo, pull_number: 3, review_id: 1, note: 'why' }).catch(() => undefined);
    expect(problems()).toEqual([expect.stringMatching(/^request pulls\/delete-pending-review: the operation takes no body, but one was sent: \{"note":"why"\}$/)]);
  });

  it('a route GitHub does not have is a violation', async () => {
    await github.gh.request('GET /repos/{owner}/{repo}/pulls/{pull_number}/colours', { ...repo, pull_number: 3 }).catch(() => undefined);
    expect(problems()).toEqual(['request GET /repos/acme/widgets/pulls/3/colours: GitHub has no operation GET /repos/acme/widgets/pulls/3/colours']);
  });

  it('an answer GitHub would never give is a violation: a wrong field type, a status it does not send', async () => {
    github.fake.route('GET', '/repos/:owner/:repo/pulls/:pull_number', () => ({ body: { number: 'three' } }));
    github.fake.route('POST', '/repos/:owner/:repo/issues/:issue_number/comments', () => ({ status: 200, body: {} }));
    await github.gh.rest.pulls.get({ ...repo, pull_number: 3 });
    await github.gh.rest.issues.createComment({ ...repo, issue_number: 3, body: 'x' });
    expect(problems()).toEqual([
      'answer pulls/get: the answer at /number must be integer',
      expect.stringMatching(/^answer issues\/create-comment: GitHub does not answer 200 to this operation \(it declares 201/),
    ]);
  });

  it('an answer is completed to GitHub’s whole shape: the fields the fake models are kept, the rest are neutral', async () => {
    addPull();
    const { data } = await github.gh.rest.pulls.get({ ...repo, pull_number: 3 });
    expect(data).toMatchObject({ number: 3, head: { sha: 'a'.repeat(40) }, merged_at: null, labels: [], _links: expect.any(Object) });
    expect(problems()).toEqual([]);
  });
});

describe('GraphQL documents are checked against GitHub’s schema', () => {
  it('a field that does not exist is a violation', async () => {
    addPull();
    await github.gh.graphql('query { repository(owner: "acme", name: "widgets") { colour } }').catch(() => undefined);
    expect(problems()).toEqual(['request GraphQL: Cannot query field "colour" on type "Repository".']);
  });

  it('a connection without first/last, or with more than 100, is a violation', async () => {
    addPull();
    const threads = (page: string) => `repository(owner: "acme", name: "widgets") { pullRequest(number: 3) { reviewThreads${page} { nodes { id } } } }`;
    await github.gh.graphql(`query { ${threads('')} }`).catch(() => undefined);
    await github.gh.graphql(`query($n: Int!) { ${threads('(first: $n)')} }`, { n: 101 }).catch(() => undefined);
    expect(problems()).toEqual([
      "request query (anonymous): the 'reviewThreads' connection has no `first` or `last` (GitHub requires one, 1–100)",
      "request query (anonymous): the 'reviewThreads' connection asks for 101 nodes (GitHub allows 1–100)",
    ]);
  });

  it('variables are checked against their declared types, and undeclared ones are caught', async () => {
    addPull();
    const query = 'query($number: Int!) { repository(owner: "acme", name: "widgets") { pullRequest(number: $number) { id } } }';
    await github.gh.graphql(query, { number: 'three', extra: true }).catch(() => undefined);
    expect(problems()).toEqual([
      "request query (anonymous): variable '$extra' is sent but the query (anonymous) does not declare it",
      'request query (anonymous): Variable "$number" got invalid value "three"; Int cannot represent non-integer value: "three"',
    ]);
  });
});

describe('GitHub Enterprise Server', () => {
  it('serves the REST API under /api/v3 and GraphQL at /api/graphql, held to the GHES description', async () => {
    const fake = await FakeGitHub.start({ enterprise: 'ghes-3.19' });
    try {
      expect(fake.url).toMatch(/\/api\/v3$/);
      expect(fake.graphqlUrl).toMatch(/\/api\/graphql$/);
      fake.addPullRequest({ ...repo, number: 3, head: { ref: 'feat', sha: 'a'.repeat(40) }, base: { ref: 'main', sha: 'b'.repeat(40) }, files: [] });
      // Octokit's own GHES rule: a baseUrl ending in /api/v3 sends GraphQL to /api/graphql.
      const gh = createOctokit('t0ken', { baseUrl: fake.url, timeUnitMs: 0 });
      expect((await gh.rest.pulls.get({ ...repo, pull_number: 3 })).data.number).toBe(3);
      await gh.graphql('query { repository(owner: "acme", name: "widgets") { pullRequest(number: 3) { id } } }').catch(() => undefined);
      expect(fake.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /repos/acme/widgets/pulls/3', 'POST /graphql']);
      expect(fake.takeViolations()).toEqual([]);
    } finally {
      await fake.close();
    }
  });
});

describe('the allow-list', () => {
  it('gives every exception its reason', () => {
    for (const entry of [...ALLOWED, ...EMPTY_LAST_PARAMETER, ...OUTSIDE_THE_API]) expect(entry.why.length).toBeGreaterThan(40);
  });
});

test('a wrong request fails the test that made it, naming the operation, the problem and the request', async () => {
  // A test file of its own, run by jest as the suite runs: it makes one wrong request and asserts nothing about it.
  const dir = await mkdtemp(join(resolve('test'), '.contract-'));
  try {
    await writeFile(
      join(dir, 'wrong.test.ts'),
      [
        "import { useFakeGitHub } from '../support/fake-github.js';",
        'const github = useFakeGitHub();',
        "test('asks for a colour', async () => {",
        "  await github.gh.request('GET /repos/{owner}/{repo}/pulls', { owner: 'acme', repo: 'widgets', colour: 'blue' });",
        '});',
        "test('asks for nothing wrong', async () => {",
        "  await github.gh.request('GET /repos/{owner}/{repo}/pulls', { owner: 'acme', repo: 'widgets', state: 'open' });",
        '});',
      ].join('\n'),
    );
    const result = await execa(
      'node',
      ['--experimental-vm-modules', '--no-warnings=ExperimentalWarning', 'node_modules/jest/bin/jest.js', '--testMatch', '**/.contract-*/wrong.test.ts', '--', dir],
      { reject: false, env: { ...process.env, FORCE_COLOR: '0' } },
    );
    const output = result.stdout + result.stderr;
    expect(result.exitCode).toBe(1);
    expect(output).toMatch(/✕ asks for a colour/);
    expect(output).toMatch(/✓ asks for nothing wrong/);
    expect(output).toContain("request to pulls/list: query parameter 'colour' is not declared by the operation");
    expect(output).toContain('GET /repos/acme/widgets/pulls?colour=blue');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
