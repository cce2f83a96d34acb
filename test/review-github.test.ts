// Review mode's GitHub side against the fake GitHub through the real Octokit: gathering, conventions, posting, sticky.
import { upsertStickyComment } from '../src/base/github/comments.js';
import { createOctokit, type GitHub } from '../src/base/github/octokit.js';
import { placeFindings, REVIEW_MARKER, selectFindings, SUMMARY_MARKER, type ReviewContext } from '../src/modes/review/deliver/compose.js';
import { readConventions } from '../src/modes/review/gather/conventions.js';
import { parsePatch } from '../src/modes/review/gather/diff.js';
import { gatherPull } from '../src/modes/review/gather/gather.js';
import { postReview } from '../src/modes/review/deliver/post.js';
import { BOT_USER, FakeGitHub, paginate, type FakeReview } from './support/fake-github.js';
import { captureStdout, createReviewThen502Once, finding, serveContents } from './support/review-fixtures.js';

const repo = { owner: 'octo', repo: 'demo' };
const HEAD = 'a'.repeat(40);
const BASE = 'b'.repeat(40);
let fake: FakeGitHub;
let gh: GitHub;
let stdout: ReturnType<typeof captureStdout>;

beforeEach(async () => {
  stdout = captureStdout();
  fake = await FakeGitHub.start();
  gh = createOctokit('t0ken', { baseUrl: fake.url, timeUnitMs: 0 });
});
afterEach(async () => {
  stdout.restore();
  await fake.close();
});

const options = { explicit: false, paths: [], pathsIgnore: [] };

describe('gatherPull', () => {
  it('reads every page of files and says when GitHub\'s 3000-file limit was reached', async () => {
    const files = Array.from({ length: 3000 }, (_, i) => ({ filename: `f${i}.ts`, status: 'added', patch: '@@ -0,0 +1 @@\n+x' }));
    fake.addPullRequest({ ...repo, number: 1, head: { ref: 'h', sha: HEAD }, base: { ref: 'main', sha: BASE }, files });
    const pull = await gatherPull(gh, repo, 1, options);
    expect(pull).toMatchObject({ kind: 'review', truncated: true });
    if (pull.kind === 'review') expect(pull.files).toHaveLength(3000);
    expect(fake.requestsTo('GET', '/repos/:o/:r/pulls/:n/files')).toHaveLength(30);
    expect(fake.requestsTo('GET', '/repos/:o/:r/pulls/:n')).toHaveLength(1);
  });

  it('asks for every page of files at once when the pull request says how many files it changes', async () => {
    const files = Array.from({ length: 250 }, (_, i) => ({ filename: `f${i}.ts`, status: 'added', patch: '@@ -0,0 +1 @@\n+x' }));
    fake.addPullRequest({ ...repo, number: 4, head: { ref: 'h', sha: HEAD }, base: { ref: 'main', sha: BASE }, files });
    // Each page is held until all three were asked for (or a second passed): one after another, only one is ever waiting.
    let waiting = 0;
    let peak = 0;
    const release: Array<() => void> = [];
    fake.route('GET', '/repos/:owner/:repo/pulls/:pull_number/files', async ({ query, url }) => {
      peak = Math.max(peak, ++waiting);
      if (waiting === 3) release.splice(0).forEach((go) => go());
      else await new Promise<void>((resolve) => release.push(resolve) && setTimeout(resolve, 1000));
      waiting--;
      return paginate(files, query, url);
    });
    const pull = await gatherPull(gh, repo, 4, options);
    expect(pull.kind === 'review' && pull.allPaths).toEqual(files.map((f) => f.filename));
    expect(peak).toBe(3);
    expect(fake.requestsTo('GET', '/repos/:o/:r/pulls/:n/files')).toHaveLength(3);
  });

  it('skips drafts unless named explicitly', async () => {
    fake.addPullRequest({ ...repo, number: 2, draft: true, head: { ref: 'h', sha: HEAD }, base: { ref: 'main', sha: BASE }, files: [] });
    expect(await gatherPull(gh, repo, 2, options)).toMatchObject({ kind: 'skipped', reason: expect.stringContaining('draft') });
    expect(await gatherPull(gh, repo, 2, { ...options, explicit: true })).toMatchObject({ kind: 'review' });
  });

  it('reads the head and base of a pull request from a fork', async () => {
    fake.addPullRequest({ ...repo, number: 3, head: { ref: 'h', sha: HEAD, repoFullName: 'stranger/demo' }, base: { ref: 'main', sha: BASE }, files: [] });
    expect(await gatherPull(gh, repo, 3, options)).toMatchObject({ pr: { headSha: HEAD, headRef: 'h', baseSha: BASE, baseRef: 'main' } });
  });
});

describe('readConventions', () => {
  it('reads the conventions files that exist at the base commit, bounded in size, and nothing else', async () => {
    const served = serveContents(fake, {
      ...repo,
      sha: BASE,
      files: { 'AGENTS.md': 'A'.repeat(40_000), '.eslintrc.json': '{}', 'README.md': 'readme', '.github/CONTRIBUTING.md': 'contrib', 'src/x.ts': '' },
      delayMs: 50,
    });
    const conventions = await readConventions(gh, repo, BASE);
    expect(conventions.map((c) => [c.path, c.text.length, c.truncated])).toEqual([
      ['AGENTS.md', 32 * 1024, true],
      ['.eslintrc.json', 2, false],
      ['.github/CONTRIBUTING.md', 7, false],
    ]);
    // Two listings and one request per existing file: no probing for files that are not there.
    expect(fake.requests.filter((r) => r.path.includes('/contents'))).toHaveLength(5);
    expect(fake.requests.every((r) => r.query.ref === BASE)).toBe(true);
    // The three files are read at once.
    expect(served.peakInFlight()).toBe(3);
  });

  it("reads the root's AGENTS.override.md in place of its AGENTS.md, as Codex does; a blank one leaves no AGENTS rules", async () => {
    serveContents(fake, { ...repo, sha: [BASE, 'c'.repeat(40)], files: { 'AGENTS.md': 'PLAIN', 'AGENTS.override.md': 'OVERRIDE', 'CONTRIBUTING.md': 'contrib' } });
    const conventions = await readConventions(gh, repo, BASE);
    expect(conventions.map((c) => [c.path, c.text])).toEqual([
      ['AGENTS.override.md', 'OVERRIDE'],
      ['CONTRIBUTING.md', 'contrib'],
    ]);
    fake.requests.length = 0;
    serveContents(fake, { ...repo, sha: BASE, files: { 'AGENTS.md': 'PLAIN', 'AGENTS.override.md': ' \n', 'CONTRIBUTING.md': 'contrib' } });
    expect((await readConventions(gh, repo, BASE)).map((c) => c.path)).toEqual(['CONTRIBUTING.md']);
    expect(fake.requests.some((r) => r.path.endsWith('/contents/AGENTS.md'))).toBe(false);
  });

  it('keeps the total size bounded when the files are read at once', async () => {
    serveContents(fake, { ...repo, sha: BASE, files: { 'AGENTS.md': 'A'.repeat(40_000), ...Object.fromEntries(['CONTRIBUTING.md', '.editorconfig', 'eslint.config.js', 'eslint.config.mjs', 'biome.json'].map((n) => [n, 'x'.repeat(20_000)])) } });
    const conventions = await readConventions(gh, repo, BASE);
    const bytes = conventions.reduce((n, c) => n + c.text.length, 0);
    expect(bytes).toBe(96 * 1024);
    expect(conventions.map((c) => c.path)).toEqual(['AGENTS.md', 'CONTRIBUTING.md', '.editorconfig', 'eslint.config.js', 'eslint.config.mjs']);
    expect(conventions.at(-1)!.truncated).toBe(true);
  });

  it('finds nothing at a commit without the files', async () => {
    expect(await readConventions(gh, repo, 'c'.repeat(40))).toEqual([]);
  });
});

describe('upsertStickyComment', () => {
  it('creates the comment once, then edits it; leaves other comments alone', async () => {
    fake.addIssueComment({ ...repo, number: 5, body: 'a human comment', user: { login: 'human', type: 'User' } });
    const first = await upsertStickyComment(gh, repo, 5, SUMMARY_MARKER, `${SUMMARY_MARKER}\none`);
    const second = await upsertStickyComment(gh, repo, 5, SUMMARY_MARKER, `${SUMMARY_MARKER}\ntwo`);
    expect(first.created).toBe(true);
    expect(second).toMatchObject({ created: false, id: first.id });
    expect(fake.issueComments.map((c) => c.body)).toEqual(['a human comment', `${SUMMARY_MARKER}\ntwo`]);
  });

  it('creates its own comment when the marked one cannot be edited', async () => {
    const foreign = fake.addIssueComment({ ...repo, number: 6, body: `${SUMMARY_MARKER}\nforged`, user: { login: 'human', type: 'User' } });
    fake.failNext('PATCH', '/repos/:o/:r/issues/comments/:id', 403);
    const result = await upsertStickyComment(gh, repo, 6, SUMMARY_MARKER, `${SUMMARY_MARKER}\nmine`);
    expect(result.created).toBe(true);
    expect(foreign.body).toBe(`${SUMMARY_MARKER}\nforged`);
  });
});

describe('postReview', () => {
  const PATCH = '@@ -1,2 +1,3 @@\n a\n+b\n c';
  const files = [{ path: 'x.ts', status: 'modified', hunks: parsePatch(PATCH) }];
  const context: ReviewContext = { headSha: HEAD, summary: 'Sum.', alreadyPosted: 0, overCap: [], maxComments: 25, notReviewed: [] };
  const placement = () => placeFindings(selectFindings([finding({ path: 'x.ts', line: 2, title: 'On b' })], 'info'), files);
  const reviewPosts = () => fake.requestsTo('POST', '/repos/:o/:r/pulls/:n/reviews');

  beforeEach(() => {
    fake.addPullRequest({ ...repo, number: 7, head: { ref: 'h', sha: HEAD }, base: { ref: 'main', sha: BASE }, files: [{ filename: 'x.ts', status: 'modified', patch: PATCH }] });
  });

  it('falls back to COMMENT when GitHub refuses REQUEST_CHANGES on the token\'s own pull request', async () => {
    fake.failNext('POST', '/repos/:o/:r/pulls/:n/reviews', 422, { message: 'Unprocessable Entity', errors: ['Review Can not request changes on your own pull request'] });
    const result = await postReview(gh, repo, { pullNumber: 7, event: 'REQUEST_CHANGES', placement: placement(), context, secrets: [] });
    expect(result).toMatchObject({ posted: true, inline: 1 });
    expect(fake.reviews.map((r) => r.event)).toEqual(['COMMENT']);
  });

  it('moves only the comment GitHub names when it names one', async () => {
    const two = placeFindings(
      selectFindings([finding({ path: 'x.ts', line: 2, title: 'first' }), finding({ path: 'x.ts', line: 3, title: 'second' })], 'info'),
      files,
    );
    fake.failNext('POST', '/repos/:o/:r/pulls/:n/reviews', 422, { message: 'Unprocessable Entity', errors: ['comments[1] line could not be resolved'] });
    const result = await postReview(gh, repo, { pullNumber: 7, event: 'COMMENT', placement: two, context, secrets: [] });
    expect(result).toMatchObject({ posted: true, inline: 1, movedToBody: 1 });
    expect(fake.reviews[0]!.comments.map((c) => c.body)).toEqual([expect.stringContaining('first')]);
    expect(fake.reviews[0]!.body).toContain('second');
  });

  it('keeps the whole review when GitHub keeps failing: submitted twice at most, each time checked for first', async () => {
    for (let i = 0; i < 3; i++) fake.failNext('POST', '/repos/:o/:r/pulls/:n/reviews', 502);
    const result = await postReview(gh, repo, { pullNumber: 7, event: 'COMMENT', placement: placement(), context, secrets: [] });
    expect(result).toMatchObject({ posted: false, forbidden: false, markdown: expect.stringContaining('On b') });
    // No automatic retries of the POST: one submission, a look at the reviews, one more submission, another look.
    expect(reviewPosts()).toHaveLength(2);
    expect(fake.requestsTo('GET', '/repos/:o/:r/pulls/:n/reviews')).toHaveLength(2);
  });

  it('a read-only token is "forbidden"; a rate limit GitHub answers with 403 is not', async () => {
    fake.failNext('POST', '/repos/:o/:r/pulls/:n/reviews', 403);
    const readOnly = await postReview(gh, repo, { pullNumber: 7, event: 'COMMENT', placement: placement(), context, secrets: [] });
    expect(readOnly).toMatchObject({ posted: false, forbidden: true, message: expect.stringContaining('Resource not accessible by integration') });
    const limited = { message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.' };
    for (let i = 0; i < 3; i++) fake.failNext('POST', '/repos/:o/:r/pulls/:n/reviews', 403, limited, { 'retry-after': '0' });
    const result = await postReview(gh, repo, { pullNumber: 7, event: 'COMMENT', placement: placement(), context, secrets: [] });
    expect(result).toMatchObject({ posted: false, forbidden: false, message: expect.stringContaining('secondary rate limit') });
    expect(result.posted ? '' : result.message).toContain('re-run the job later');
  });

  it('posts a review once when GitHub creates it and then answers 502', async () => {
    createReviewThen502Once(fake);
    const result = await postReview(gh, repo, { pullNumber: 7, event: 'COMMENT', placement: placement(), context, secrets: [], knownReviewIds: new Set() });
    expect(fake.reviews).toHaveLength(1);
    expect(reviewPosts()).toHaveLength(1);
    expect(result).toMatchObject({ posted: true, htmlUrl: fake.reviews[0]!.html_url, inline: 1 });
  });

  it('after a 502, does not take an older review (or someone else\'s) for the one it sent', async () => {
    // An earlier run's review of the same commit (known before posting), and a human's copy of the marker.
    fake.reviews.push({ ...fakeReview(1), id: 1 }, { ...fakeReview(2), id: 2, user: { login: 'mallory', type: 'User' } });
    fake.failNext('POST', '/repos/:o/:r/pulls/:n/reviews', 502);
    const result = await postReview(gh, repo, { pullNumber: 7, event: 'COMMENT', placement: placement(), context, secrets: [], knownReviewIds: new Set([1]) });
    expect(reviewPosts()).toHaveLength(2);
    expect(result).toMatchObject({ posted: true });
    expect(fake.reviews).toHaveLength(3);
  });

  it('finds the one refused comment by bisecting with pending reviews when GitHub does not name it', async () => {
    const patch = ['@@ -1,1 +1,9 @@', ' a', ...Array.from({ length: 8 }, (_, i) => `+line ${i + 2}`)].join('\n');
    const eight = [{ path: 'x.ts', status: 'modified', hunks: parsePatch(patch) }];
    const findings = Array.from({ length: 8 }, (_, i) => finding({ path: 'x.ts', line: i + 2, title: `finding on ${i + 2}` }));
    fake.rejectReviewCommentsWhere((c) => c.line === 7);
    const result = await postReview(gh, repo, { pullNumber: 7, event: 'COMMENT', placement: placeFindings(selectFindings(findings, 'info'), eight), context, secrets: [] });
    expect(result).toMatchObject({ posted: true, inline: 7, movedToBody: 1 });
    expect(fake.reviews).toHaveLength(1);
    expect(fake.reviews[0]!.comments.map((c) => c.line)).toEqual([2, 3, 4, 5, 6, 8, 9]);
    expect(fake.reviews[0]!.body).toContain('finding on 7');
    // The first 422, log2(8) = 3 probes (each pending review deleted), the final review.
    expect(reviewPosts()).toHaveLength(1 + 3 + 1);
    expect(reviewPosts().filter((r) => (r.body as { event?: string }).event === undefined)).toHaveLength(3);
    expect(fake.requestsTo('DELETE', '/repos/:o/:r/pulls/:n/reviews/:id').length).toBe(
      reviewPosts().filter((r) => (r.body as { event?: string }).event === undefined && r.status === 200).length,
    );
    expect(fake.reviewComments.map((c) => c.line)).toEqual([2, 3, 4, 5, 6, 8, 9]);
  });

  it('stops bisecting after a bounded number of probes and then moves every suspect', async () => {
    const patch = ['@@ -1,1 +1,5 @@', ' a', ...Array.from({ length: 4 }, (_, i) => `+line ${i + 2}`)].join('\n');
    const four = [{ path: 'x.ts', status: 'modified', hunks: parsePatch(patch) }];
    const findings = Array.from({ length: 4 }, (_, i) => finding({ path: 'x.ts', line: i + 2, title: `finding on ${i + 2}` }));
    fake.rejectReviewCommentsWhere(() => true);
    const result = await postReview(gh, repo, { pullNumber: 7, event: 'COMMENT', placement: placeFindings(selectFindings(findings, 'info'), four), context, secrets: [] });
    expect(result).toMatchObject({ posted: true, inline: 0, movedToBody: 4 });
    expect(fake.reviews).toHaveLength(1);
    const probes = reviewPosts().filter((r) => (r.body as { event?: string }).event === undefined);
    expect(probes.length).toBeLessThanOrEqual(Math.ceil(Math.log2(4)) + 2);
    expect(reviewPosts().length - probes.length).toBeLessThanOrEqual(5);
  });

  it('redacts secrets from everything it sends', async () => {
    const secret = 'ghp_supersecretvalue123456';
    const p = placeFindings(selectFindings([finding({ path: 'x.ts', line: 2, title: 'T', body: `token ${secret}` })], 'info'), files);
    await postReview(gh, repo, { pullNumber: 7, event: 'COMMENT', placement: p, context: { ...context, summary: secret }, secrets: [secret] });
    expect(JSON.stringify(fake.reviews)).not.toContain(secret);
    expect(fake.reviews[0]!.comments[0]!.body).toContain('token ***');
  });
});

function fakeReview(id: number): FakeReview {
  return {
    id,
    owner: repo.owner,
    repo: repo.repo,
    pull_number: 7,
    html_url: `https://github.com/octo/demo/pull/7#pullrequestreview-${id}`,
    body: `${REVIEW_MARKER}\nAn earlier review.`,
    event: 'COMMENT',
    state: 'COMMENTED',
    commit_id: HEAD,
    user: BOT_USER,
    comments: [],
  };
}
