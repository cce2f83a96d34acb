// The fake GitHub driven by the real Octokit from createOctokit, plus the createRepo git helper.
import { execa } from 'execa';
import { paginate, useFakeGitHub } from './support/fake-github.js';
import { createRepo } from './support/git-repo.js';

const repo = { owner: 'acme', repo: 'widgets' };
const HEAD = 'a'.repeat(40);
const BASE = 'b'.repeat(40);

const github = useFakeGitHub();

function addPr(files = [{ filename: 'src/a.ts', status: 'modified', patch: '@@ -1,2 +1,2 @@\n ctx\n-old\n+new' }]) {
  return github.fake.addPullRequest({ ...repo, number: 3, title: 'Add things', body: 'Body', head: { ref: 'feat', sha: HEAD }, base: { ref: 'main', sha: BASE }, files });
}

describe('routing', () => {
  // The router's own tests use made-up routes; GitHub has none of them, so each test takes the violations it caused
  // (and so shows that a route GitHub does not have is one).
  afterEach(() => {
    for (const v of github.fake.takeViolations()) expect(v.problem).toMatch(/^GitHub has no operation (GET|POST) \/(nothing|things|raw|diff|items)/);
  });

  it('answers unrouted requests 404 Not Found and records them', async () => {
    await expect(github.gh.request('GET /nothing/here', { q: 'x' })).rejects.toMatchObject({ status: 404, response: { data: { message: 'Not Found' } } });
    expect(github.fake.requests).toEqual([expect.objectContaining({ method: 'GET', path: '/nothing/here', query: { q: 'x' }, status: 404 })]);
  });

  it('passes params, query and JSON body to handlers; a later route overrides an earlier one', async () => {
    const seen: unknown[] = [];
    github.fake.route('POST', '/things/:id', () => ({ body: { from: 'first' } }));
    github.fake.route('POST', '/things/:id', ({ params, query, body }) => {
      seen.push({ params, query, body });
      return { status: 201, body: { from: 'second' }, headers: { 'x-extra': 'yes' } };
    });
    const res = await github.gh.request('POST /things/{id}?flag=1', { id: 'a b', name: 'n' });
    expect(res.status).toBe(201);
    expect(res.data).toEqual({ from: 'second' });
    expect(res.headers['x-extra']).toBe('yes');
    expect(seen).toEqual([{ params: { id: 'a b' }, query: { flag: '1' }, body: { name: 'n' } }]);
  });

  it('serves raw string bodies with their content type', async () => {
    github.fake.route('GET', '/raw', () => ({ body: 'plain text' }));
    github.fake.route('GET', '/diff', () => ({ body: 'diff --git a/x b/x\n', headers: { 'content-type': 'application/vnd.github.diff; charset=utf-8' } }));
    expect((await github.gh.request('GET /raw')).data).toBe('plain text');
    const diff = await github.gh.request('GET /diff');
    expect(diff.headers['content-type']).toMatch(/vnd\.github\.diff/);
    expect(diff.data).toBe('diff --git a/x b/x\n');
  });

  it('failNext fails exactly one matching request', async () => {
    github.fake.route('GET', '/items/:id', ({ params }) => ({ body: { id: params.id } }));
    github.fake.failNext('GET', '/items/:id', 404, { message: 'Gone for now' });
    await expect(github.gh.request('GET /items/{id}', { id: '1' })).rejects.toMatchObject({ status: 404, message: expect.stringContaining('Gone for now') });
    expect((await github.gh.request('GET /items/{id}', { id: '1' })).data).toEqual({ id: '1' });
    expect(github.fake.requestsTo('GET', '/items/:id').map((r) => r.status)).toEqual([404, 200]);
  });

  it('paginate() slices by per_page/page and links next and last', () => {
    const items = Array.from({ length: 7 }, (_, i) => i);
    const first = paginate(items, { per_page: '3', state: 'open' }, 'http://h/x');
    expect(first.body).toEqual([0, 1, 2]);
    expect(first.headers.link).toBe(
      '<http://h/x?state=open&per_page=3&page=2>; rel="next", <http://h/x?state=open&per_page=3&page=3>; rel="last"',
    );
    const last = paginate(items, { per_page: '3', page: '3' }, 'http://h/x');
    expect(last.body).toEqual([6]);
    expect(last.headers.link).not.toMatch(/rel="next"/);
    expect(paginate(items, {}, 'http://h/x')).toEqual({ body: items, headers: {} });
  });
});

describe('pull requests', () => {
  it('serves an added pull request, its files and its diff', async () => {
    addPr();
    const { data: pr } = await github.gh.rest.pulls.get({ ...repo, pull_number: 3 });
    expect(pr).toMatchObject({
      number: 3,
      title: 'Add things',
      body: 'Body',
      draft: false,
      state: 'open',
      html_url: 'https://github.com/acme/widgets/pull/3',
      head: { ref: 'feat', sha: HEAD, repo: { full_name: 'acme/widgets', fork: false } },
      base: { ref: 'main', sha: BASE, repo: { full_name: 'acme/widgets' } },
    });
    const { data: files } = await github.gh.rest.pulls.listFiles({ ...repo, pull_number: 3 });
    expect(files).toEqual([expect.objectContaining({ filename: 'src/a.ts', status: 'modified', additions: 1, deletions: 1, changes: 2 })]);
    const diff = await github.gh.rest.pulls.get({ ...repo, pull_number: 3, mediaType: { format: 'diff' } });
    expect(diff.data as unknown as string).toBe(
      'diff --git a/src/a.ts b/src/a.ts\n--- a/src/a.ts\n+++ b/src/a.ts\n@@ -1,2 +1,2 @@\n ctx\n-old\n+new\n',
    );
  });

  it('marks a pull request from another repository as a fork', async () => {
    github.fake.addPullRequest({ ...repo, number: 4, head: { ref: 'x', sha: HEAD, repoFullName: 'stranger/widgets' }, base: { ref: 'main', sha: BASE }, files: [] });
    const { data } = await github.gh.rest.pulls.get({ ...repo, pull_number: 4 });
    expect(data.head.repo?.fork).toBe(true);
    expect(data.head.label).toBe('stranger:x');
  });

  it('creates, finds by head and updates pull requests; refuses a duplicate', async () => {
    const { data: created } = await github.gh.rest.pulls.create({ ...repo, title: 'Fix CI', head: 'codex/fix-1', base: 'main', body: 'b', draft: true });
    expect(created).toMatchObject({ number: 1, html_url: 'https://github.com/acme/widgets/pull/1', draft: true, head: { ref: 'codex/fix-1' }, base: { ref: 'main' } });
    expect(github.fake.createdPulls).toHaveLength(1);

    const { data: found } = await github.gh.rest.pulls.list({ ...repo, head: 'acme:codex/fix-1', state: 'open' });
    expect(found.map((p) => p.number)).toEqual([1]);
    expect((await github.gh.rest.pulls.list({ ...repo, head: 'acme:other', state: 'open' })).data).toEqual([]);

    await github.gh.rest.pulls.update({ ...repo, pull_number: 1, title: 'Fix CI (again)', body: 'b2' });
    expect(github.fake.createdPulls[0]).toMatchObject({ title: 'Fix CI (again)', body: 'b2' });

    await expect(github.gh.rest.pulls.create({ ...repo, title: 'dup', head: 'codex/fix-1', base: 'main' })).rejects.toMatchObject({ status: 422 });
  });
});

describe('reviews and comments', () => {
  it('stores a review and serves its comments', async () => {
    addPr();
    const { data } = await github.gh.rest.pulls.createReview({
      ...repo,
      pull_number: 3,
      commit_id: HEAD,
      event: 'COMMENT',
      body: 'Summary',
      comments: [
        { path: 'src/a.ts', line: 2, side: 'RIGHT', body: 'one' },
        { path: 'src/a.ts', start_line: 1, line: 2, body: 'range' },
      ],
    });
    expect(data).toMatchObject({ state: 'COMMENTED', html_url: expect.stringContaining('#pullrequestreview-') });
    expect(github.fake.reviews).toEqual([expect.objectContaining({ id: data.id, body: 'Summary', event: 'COMMENT', commit_id: HEAD })]);
    expect(github.fake.reviews[0]!.comments).toHaveLength(2);

    const comments = await github.gh.paginate(github.gh.rest.pulls.listReviewComments, { ...repo, pull_number: 3, per_page: 1 });
    expect(comments).toEqual([
      expect.objectContaining({ path: 'src/a.ts', line: 2, side: 'RIGHT', start_line: null, body: 'one', pull_request_review_id: data.id, commit_id: HEAD }),
      expect.objectContaining({ line: 2, start_line: 1, body: 'range', user: expect.objectContaining({ login: 'github-actions[bot]', type: 'Bot' }) }),
    ]);
    expect(github.fake.reviewComments).toHaveLength(2);
  });

  it('creates, lists and updates issue comments', async () => {
    github.fake.addIssueComment({ ...repo, number: 3, body: 'someone else', user: { login: 'human', type: 'User' } });
    const { data: posted } = await github.gh.rest.issues.createComment({ ...repo, issue_number: 3, body: 'first' });
    expect(posted).toMatchObject({ body: 'first', user: { login: 'github-actions[bot]' }, html_url: expect.stringContaining('#issuecomment-') });
    await github.gh.rest.issues.updateComment({ ...repo, comment_id: posted.id, body: 'edited' });
    const { data: list } = await github.gh.rest.issues.listComments({ ...repo, issue_number: 3 });
    expect(list.map((c) => [c.user?.login, c.body])).toEqual([
      ['human', 'someone else'],
      ['github-actions[bot]', 'edited'],
    ]);
    expect((await github.gh.rest.issues.listComments({ ...repo, issue_number: 4 })).data).toEqual([]);
    await expect(github.gh.rest.issues.updateComment({ ...repo, comment_id: 1, body: 'x' })).rejects.toMatchObject({ status: 404 });
  });
});

describe('actions and permissions', () => {
  it('serves a workflow run and its jobs', async () => {
    github.fake.addWorkflowRun({
      ...repo,
      id: 42,
      headBranch: 'main',
      headSha: HEAD,
      conclusion: 'failure',
      actor: { login: 'dependabot[bot]', type: 'Bot' },
      headRepoFullName: 'fork/widgets',
      jobs: [
        { id: 1, name: 'lint', conclusion: 'success', log: '' },
        { id: 2, name: 'test', conclusion: 'failure', steps: [{ name: 'npm test', number: 3, conclusion: 'failure' }], log: 'boom' },
      ],
    });
    const { data: run } = await github.gh.rest.actions.getWorkflowRun({ ...repo, run_id: 42 });
    expect(run).toMatchObject({ id: 42, head_branch: 'main', head_sha: HEAD, conclusion: 'failure', actor: { login: 'dependabot[bot]' }, head_repository: { full_name: 'fork/widgets' } });
    const jobs = await github.gh.paginate(github.gh.rest.actions.listJobsForWorkflowRun, { ...repo, run_id: 42, per_page: 1 });
    expect(jobs.map((j) => [j.id, j.name, j.conclusion])).toEqual([
      [1, 'lint', 'success'],
      [2, 'test', 'failure'],
    ]);
    expect(jobs[1]!.steps).toEqual([{ name: 'npm test', number: 3, conclusion: 'failure', status: 'completed' }]);
    await expect(github.gh.rest.actions.getWorkflowRun({ ...repo, run_id: 43 })).rejects.toMatchObject({ status: 404 });
  });

  it('reports collaborator permissions and 404s unknown users', async () => {
    github.fake.setPermission('Maintainer', 'write');
    const { data } = await github.gh.rest.repos.getCollaboratorPermissionLevel({ ...repo, username: 'maintainer' });
    expect(data).toMatchObject({ permission: 'write', role_name: 'write', user: { login: 'maintainer' } });
    await expect(github.gh.rest.repos.getCollaboratorPermissionLevel({ ...repo, username: 'nobody' })).rejects.toMatchObject({ status: 404 });
  });
});

describe('git database', () => {
  it('serves a commit\'s tree (recursive or one level, cut past treeEntryLimit) and its blobs from a real repository', async () => {
    const r = await createRepo({ 'a.txt': 'A\n', 'd/b.txt': 'B\n', 'd/e/c.txt': 'C\n' });
    try {
      github.fake.useGitRepo(repo.owner, repo.repo, r.dir);
      const all = (await github.gh.rest.git.getTree({ ...repo, tree_sha: r.headSha, recursive: '1' })).data;
      expect(all.truncated).toBe(false);
      expect(all.tree.map((e) => [e.path, e.type])).toEqual([
        ['a.txt', 'blob'],
        ['d', 'tree'],
        ['d/b.txt', 'blob'],
        ['d/e', 'tree'],
        ['d/e/c.txt', 'blob'],
      ]);
      expect(all.tree[0]).toMatchObject({ mode: '100644', size: 2, sha: await r.git('rev-parse', `${r.headSha}:a.txt`) });
      expect(all.tree[1]!.size).toBeUndefined();
      // One level: a folder's tree is named by its own sha.
      const d = (await github.gh.rest.git.getTree({ ...repo, tree_sha: all.tree[1]!.sha! })).data;
      expect(d.tree.map((e) => e.path)).toEqual(['b.txt', 'e']);
      github.fake.treeEntryLimit = 2;
      const cut = (await github.gh.rest.git.getTree({ ...repo, tree_sha: r.headSha, recursive: 'true' })).data;
      expect([cut.truncated, cut.tree.length]).toEqual([true, 2]);
      const blob = (await github.gh.rest.git.getBlob({ ...repo, file_sha: all.tree[4]!.sha! })).data;
      expect([Buffer.from(blob.content, 'base64').toString(), blob.encoding, blob.size]).toEqual(['C\n', 'base64', 2]);
      await expect(github.gh.rest.git.getTree({ ...repo, tree_sha: 'f'.repeat(40) })).rejects.toMatchObject({ status: 404 });
      await expect(github.gh.rest.git.getBlob({ ...repo, file_sha: all.tree[1]!.sha! })).rejects.toMatchObject({ status: 404 });
    } finally {
      await r.cleanup();
    }
  });
});

describe('createRepo', () => {
  it('commits the files on the branch and pushes them to the bare origin', async () => {
    const r = await createRepo({ 'README.md': '# hi\n', 'src/index.ts': 'export {};\n' }, { branch: 'trunk' });
    try {
      const { stdout: originSha } = await execa('git', ['--git-dir', r.origin, 'rev-parse', 'refs/heads/trunk']);
      expect(originSha).toBe(r.headSha);
      const { stdout: tree } = await execa('git', ['--git-dir', r.origin, 'ls-tree', '-r', '--name-only', 'trunk']);
      expect(tree.split('\n')).toEqual(['README.md', 'src/index.ts']);
      expect(await r.git('status', '--porcelain')).toBe('');
      expect(await r.git('rev-parse', '--abbrev-ref', '@{upstream}')).toBe('origin/trunk');
    } finally {
      await r.cleanup();
    }
  });
});
