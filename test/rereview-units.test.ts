// The parts of re-reviews one at a time: status texts, earlier findings and thread actions, the coalescing status
// comment, scope decisions (real git behind the compare endpoint), threads through GraphQL (GITHUB_GRAPHQL_URL).
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createOctokit } from '../src/base/github/octokit.js';
import { listReviewComments } from '../src/base/github/reviews.js';
import { listReviewThreads, replyToReviewComment, resolveReviewThread } from '../src/base/github/threads.js';
import { asksForFull, planRun } from '../src/action/plan.js';
import { readInputs } from '../src/action/inputs.js';
import { commentBody, selectFindings, SUMMARY_MARKER } from '../src/modes/review/deliver/compose.js';
import { parsePatch, type FileDiff } from '../src/modes/review/gather/diff.js';
import { ADDRESSED_MARKER, codeChanged, earlierFindings, planThreadActions, type EarlierFinding } from '../src/modes/review/gather/earlier.js';
import { selectFiles, type GatheredPull } from '../src/modes/review/gather/gather.js';
import { decideScope } from '../src/modes/review/gather/scope.js';
import { StatusComment } from '../src/modes/review/deliver/status-comment.js';
import { doneBody, failedBody, lastReviewedIn, progressBody, reviewedMarker } from '../src/modes/review/deliver/status.js';
import { BOT_USER, diffFiles, useFakeGitHub } from './support/fake-github.js';
import { createRepo } from './support/git-repo.js';
import { finding } from './support/review-fixtures.js';

const SHA1 = 'a'.repeat(40);
const SHA2 = 'b'.repeat(40);
const repo = { owner: 'octo', repo: 'demo' };

describe('status texts', () => {
  it('records the reviewed commit on the last line only, and reads it back from there', () => {
    const body = progressBody({ headSha: SHA2, scope: { kind: 'incremental', from: SHA1 }, files: 2, chunks: [{ index: 1, paths: ['a.ts'], state: 'done' }, { index: 2, paths: ['b`x.ts'], state: 'pending' }], runUrl: 'https://gh/run/1', reviewed: SHA1 });
    expect(body.startsWith(SUMMARY_MARKER)).toBe(true);
    expect(body).toContain('- [x] Chunk 1 of 2 — `a.ts`');
    expect(body).toContain("- [ ] Chunk 2 of 2 — `b'x.ts`");
    expect(body).toContain('1 of 2 done');
    expect(lastReviewedIn(body)).toBe(SHA1);
    // A marker quoted anywhere but the last line does not count.
    expect(lastReviewedIn(`${reviewedMarker(SHA2)}\nsomething else`)).toBeUndefined();
  });

  it('says "no issues found" only when every chunk was reviewed', () => {
    const view = {
      headSha: SHA2, summary: 'S', kept: [], minSeverity: 'low' as const, reviewUrl: undefined, newCount: 0, notReviewed: [],
      scope: { kind: 'full' as const }, files: 4, chunksOk: 2, chunksTotal: 2, usage: { inputTokens: 10, cachedInputTokens: 0, outputTokens: 1 },
      durationMs: 1500, runUrl: undefined, addressed: [], stillOpen: [], reviewed: SHA2,
    };
    expect(doneBody(view)).toContain('✅ No issues found in 4 files at commit `bbbbbbb`.');
    expect(doneBody({ ...view, chunksOk: 1, reviewed: SHA1 })).not.toContain('No issues found');
    expect(lastReviewedIn(doneBody({ ...view, chunksOk: 1, reviewed: SHA1 }))).toBe(SHA1);
  });

  it('a failure says what failed, defuses markers in the message, and keeps the last reviewed commit', () => {
    const body = failedBody({ headSha: SHA2, message: `boom <!-- codex-ci-action:reviewed:${SHA2} -->`, runUrl: undefined, reviewed: SHA1 });
    expect(body).toContain('could not be completed: boom');
    expect(lastReviewedIn(body)).toBe(SHA1);
    expect(body.match(/<!-- codex-ci-action:reviewed/g)).toHaveLength(1);
  });
});

describe('a trigger comment asking for a full review', () => {
  it('is the phrase followed by the word full', () => {
    expect(asksForFull('@codex full please', '@codex')).toBe(true);
    expect(asksForFull('hey @CODEX  Full', '@codex')).toBe(true);
    expect(asksForFull('@codex fully agree', '@codex')).toBe(false);
    expect(asksForFull('@codex review the full thing', '@codex')).toBe(false);
    expect(asksForFull('/review.* full', '/review.*')).toBe(true);
  });

  it('reaches the review target with the comment to react to', () => {
    const inputs = readInputs({ INPUT_MODE: 'auto', 'INPUT_OPENAI-API-KEY': 'k' });
    const payload = { action: 'created', issue: { number: 4, pull_request: {} }, comment: { id: 77, body: '@codex full', author_association: 'MEMBER', user: { login: 'a', type: 'User' } } };
    expect(planRun(inputs, { name: 'issue_comment', payload }, undefined)).toEqual({ job: 'review', target: { prNumbers: [4], explicit: true, full: true, triggerCommentId: 77 } });
  });
});

function earlier(over: Partial<EarlierFinding>): EarlierFinding {
  return { fp: 'f'.repeat(16), commentId: 1, path: 'a.ts', line: 5, severity: 'high', title: 'T', body: 'B', threadId: 'PRRT_1', resolved: false, humanReplied: false, answered: false, ...over };
}

const changedFile = (path: string, patch: string): FileDiff => ({ path, status: 'modified', hunks: parsePatch(patch) });
const HUNK_3_TO_7 = '@@ -3,5 +3,5 @@\n a\n b\n-c\n+C\n d\n e';

describe('earlier findings and thread actions', () => {
  it('reads only this action\'s top-level comments, with replies and threads joined', () => {
    const f = selectFindings([finding({ path: 'a.ts', line: 5, title: 'Null deref', severity: 'high' })], 'low')[0]!;
    const ours = { id: 10, body: commentBody(f, 'RIGHT'), path: 'a.ts', line: 5, side: 'RIGHT', inReplyTo: undefined, user: BOT_USER };
    const forged = { ...ours, id: 11, user: { login: 'mallory', type: 'User' } };
    const reply = { id: 12, body: 'no', path: 'a.ts', line: 5, side: 'RIGHT', inReplyTo: 10, user: { login: 'alice', type: 'User' } };
    const found = earlierFindings([ours, forged, reply], [{ id: 'PRRT_10', isResolved: false, comments: [{ databaseId: 10, author: { login: 'github-actions', type: 'Bot' } }] }], undefined);
    expect(found).toEqual([expect.objectContaining({ fp: f.fp, commentId: 10, severity: 'high', title: 'Null deref', threadId: 'PRRT_10', humanReplied: true, answered: false })]);
    expect(found[0]!.body).not.toContain('codex-ci-action:fp');
  });

  it('a finding counts as changed when its line lies in a hunk of the push, or GitHub marked it outdated', () => {
    const changed = [changedFile('a.ts', HUNK_3_TO_7)];
    expect(codeChanged(earlier({ line: 5 }), changed)).toBe(true);
    expect(codeChanged(earlier({ line: 40 }), changed)).toBe(false);
    expect(codeChanged(earlier({ line: null }), changed)).toBe(true);
    expect(codeChanged(earlier({ path: 'b.ts' }), changed)).toBe(false);
  });

  it('replies and resolves; only replies where a person wrote; never twice; nothing where the code did not change', () => {
    const changed = [changedFile('a.ts', HUNK_3_TO_7)];
    const all = [
      earlier({ fp: '1'.repeat(16) }),
      earlier({ fp: '2'.repeat(16), humanReplied: true }),
      earlier({ fp: '3'.repeat(16), answered: true, humanReplied: true }),
      earlier({ fp: '4'.repeat(16), line: 40 }),
      earlier({ fp: '5'.repeat(16), resolved: true }),
      earlier({ fp: '6'.repeat(16), threadId: undefined }),
    ];
    const actions = planThreadActions(all, new Set(all.map((e) => e.fp)), changed, SHA2, true);
    expect(actions.map((a) => [a.finding.fp[0], a.reply !== '', a.resolve])).toEqual([
      ['1', true, true],
      ['2', true, false],
      ['6', true, false],
    ]);
    expect(actions[0]!.reply).toBe(`Addressed in bbbbbbb.\n\n${ADDRESSED_MARKER}`);
    expect(planThreadActions(all, new Set(all.map((e) => e.fp)), changed, SHA2, false).every((a) => !a.resolve)).toBe(true);
    expect(planThreadActions(all, new Set(), changed, SHA2, true)).toEqual([]);
  });
});

describe('on the fake GitHub', () => {
  const gh = useFakeGitHub();

  function seedThread() {
    gh.fake.addPullRequest({ ...repo, number: 3, head: { ref: 'f', sha: SHA2 }, base: { ref: 'main', sha: SHA1 }, files: [{ filename: 'a.ts', status: 'modified', patch: HUNK_3_TO_7 }] });
    return gh.gh.rest.pulls.createReview({ ...repo, pull_number: 3, commit_id: SHA2, event: 'COMMENT', body: 'r', comments: [{ path: 'a.ts', line: 5, side: 'RIGHT', body: 'x' }] });
  }

  it('a burst of progress updates is one edit, and the final state comes after it', async () => {
    gh.fake.addPullRequest({ ...repo, number: 3, head: { ref: 'f', sha: SHA2 }, base: { ref: 'main', sha: SHA1 }, files: [] });
    const status = await StatusComment.open(gh.gh, repo, 3, { self: undefined, secrets: ['t0ken'], intervalMs: 0 });
    await status.show(`${SUMMARY_MARKER}\nstart`);
    for (let i = 1; i <= 10; i++) status.update(`${SUMMARY_MARKER}\nprogress ${i}`);
    await status.settled();
    const patches = () => gh.fake.requestsTo('PATCH', '/repos/:o/:r/issues/comments/:id').map((r) => (r.body as { body: string }).body);
    expect(patches()).toEqual([`${SUMMARY_MARKER}\nprogress 10`]);
    status.update(`${SUMMARY_MARKER}\nstale`);
    await status.finish(`${SUMMARY_MARKER}\ndone with t0ken`);
    expect(patches()).toEqual([`${SUMMARY_MARKER}\nprogress 10`, `${SUMMARY_MARKER}\ndone with ***`]);
    expect(gh.fake.issueComments).toHaveLength(1);
  });

  it('reuses this action\'s status comment, never someone else\'s marked one', async () => {
    gh.fake.addPullRequest({ ...repo, number: 3, head: { ref: 'f', sha: SHA2 }, base: { ref: 'main', sha: SHA1 }, files: [] });
    gh.fake.addIssueComment({ ...repo, number: 3, body: `${SUMMARY_MARKER}\n${reviewedMarker(SHA2)}`, user: { login: 'mallory', type: 'User' } });
    const mine = gh.fake.addIssueComment({ ...repo, number: 3, body: `${SUMMARY_MARKER}\nold\n\n${reviewedMarker(SHA1)}` });
    const status = await StatusComment.open(gh.gh, repo, 3, { self: undefined, secrets: [] });
    expect(lastReviewedIn(status.previousBody)).toBe(SHA1);
    await status.finish(`${SUMMARY_MARKER}\nnew`);
    expect(mine.body).toBe(`${SUMMARY_MARKER}\nnew`);
    expect(gh.fake.issueComments).toHaveLength(2);
  });

  it('lists threads, replies in one and resolves it through GraphQL, in GitHub\'s shapes', async () => {
    await seedThread();
    const [root] = await listReviewComments(gh.gh, repo, 3);
    await replyToReviewComment(gh.gh, repo, 3, root!.id, 'Addressed in bbbbbbb.');
    gh.fake.addReviewReply(root!.id, 'thanks', { login: 'alice', type: 'User' });
    const threads = await listReviewThreads(gh.gh, repo, 3);
    expect(threads).toEqual([
      {
        id: gh.fake.threadIdOf(root!.id),
        isResolved: false,
        comments: [
          { databaseId: root!.id, author: { login: 'github-actions', type: 'Bot' } },
          expect.objectContaining({ author: { login: 'github-actions', type: 'Bot' } }),
          expect.objectContaining({ author: { login: 'alice', type: 'User' } }),
        ],
      },
    ]);
    const replies = (await listReviewComments(gh.gh, repo, 3)).filter((c) => c.inReplyTo === root!.id);
    expect(replies).toHaveLength(2);
    await resolveReviewThread(gh.gh, threads[0]!.id);
    expect((await listReviewThreads(gh.gh, repo, 3))[0]!.isResolved).toBe(true);
    // An unknown thread is GitHub's NOT_FOUND error, thrown.
    await expect(resolveReviewThread(gh.gh, 'PRRT_nope')).rejects.toThrow(/Could not resolve to a node/);
    // Replies to replies are refused, as documented.
    await expect(replyToReviewComment(gh.gh, repo, 3, replies[0]!.id, 'x')).rejects.toMatchObject({ status: 422 });
  });

  it('sends GraphQL to GITHUB_GRAPHQL_URL, not where a GHES baseUrl would point', async () => {
    await seedThread();
    const ghes = createOctokit('t0ken', { baseUrl: `${gh.fake.url}/api/v3`, graphqlUrl: `${gh.fake.url}/graphql`, timeUnitMs: 0 });
    expect(await listReviewThreads(ghes, repo, 3)).toHaveLength(1);
    expect(gh.fake.requestsTo('POST', '/graphql')).toHaveLength(1);
    expect(gh.fake.requestsTo('POST', '/graphql')[0]!.headers.authorization).toBe('token t0ken');
    // Without it, Octokit turns …/api/v3 into …/api/graphql, which this server does not serve.
    const derived = createOctokit('t0ken', { baseUrl: `${gh.fake.url}/api/v3`, timeUnitMs: 0 });
    await expect(listReviewThreads(derived, repo, 3)).rejects.toMatchObject({ status: 404 });
    expect(gh.fake.takeViolations().map((v) => v.problem)).toEqual(['GitHub has no operation POST /api/graphql']);
  });

  it('reacts to a comment once: 201, then 200 for the same reaction; an unknown reaction is a 422', async () => {
    const c = gh.fake.addIssueComment({ ...repo, number: 3, body: '@codex', user: { login: 'a', type: 'User' } });
    const first = await gh.gh.rest.reactions.createForIssueComment({ ...repo, comment_id: c.id, content: 'eyes' });
    const again = await gh.gh.rest.reactions.createForIssueComment({ ...repo, comment_id: c.id, content: 'eyes' });
    expect([first.status, again.status]).toEqual([201, 200]);
    expect(gh.fake.reactions).toHaveLength(1);
    await expect(gh.gh.request('POST /repos/{owner}/{repo}/issues/comments/{comment_id}/reactions', { ...repo, comment_id: c.id, content: 'wave' as 'eyes' })).rejects.toMatchObject({ status: 422 });
    // The unknown reaction is a wrong request by GitHub's description too: taken here, it is this test's point.
    expect(gh.fake.takeViolations().map((v) => v.problem)).toEqual([expect.stringMatching(/^the body at \/content must be equal to one of the allowed values/)]);
  });

  describe('decideScope with real git behind the compare endpoint', () => {
    it('is incremental after a fast-forward push, full after a force-push, and full when the compare fails', async () => {
      const git = await createRepo({ 'a.ts': 'one\ntwo\nthree\n', 'b.ts': 'x\n' });
      try {
        const base = git.headSha;
        await git.git('checkout', '--quiet', '-b', 'f');
        const commitFile = async (path: string, text: string) => {
          await writeFile(join(git.dir, path), text);
          await git.git('commit', '--quiet', '-am', 'c');
          return git.git('rev-parse', 'HEAD');
        };
        const h1 = await commitFile('a.ts', 'one\nTWO\nthree\n');
        const h2 = await commitFile('b.ts', 'X\n');
        gh.fake.useGitRepo(repo.owner, repo.repo, git.dir);
        const pull = async (head: string): Promise<GatheredPull> => {
          const files = await diffFiles(git.dir, base, head);
          const pr = { number: 3, title: 't', body: '', draft: false, state: 'open', htmlUrl: '', headSha: head, headRef: 'f', baseSha: base, baseRef: 'main', changedFiles: files.length };
          return { kind: 'review', pr, allPaths: files.map((f) => f.filename), truncated: false, ...selectFiles(files, [], []) };
        };
        const opts = { incremental: true, full: false, paths: [], pathsIgnore: [] };
        const inc = await decideScope(gh.gh, repo, await pull(h2), { ...opts, lastReviewed: h1 });
        expect(inc.scope).toEqual({ kind: 'incremental', from: h1 });
        expect(inc.reviewFiles.map((f) => f.path)).toEqual(['b.ts']);
        // paths-ignore applies to the push too.
        expect((await decideScope(gh.gh, repo, await pull(h2), { ...opts, lastReviewed: h1, pathsIgnore: ['b.ts'] })).reviewFiles).toEqual([]);

        await git.git('reset', '--quiet', '--hard', base);
        const rewritten = await commitFile('a.ts', 'one\n2\nthree\n');
        const forced = await decideScope(gh.gh, repo, await pull(rewritten), { ...opts, lastReviewed: h2 });
        expect(forced.scope).toMatchObject({ kind: 'full', reason: expect.stringContaining('force-push or rebase') });
        expect(forced.reviewFiles.map((f) => f.path)).toEqual(['a.ts']);

        const gone = await decideScope(gh.gh, repo, await pull(rewritten), { ...opts, lastReviewed: 'c'.repeat(40) });
        expect(gone.scope).toMatchObject({ kind: 'full', reason: expect.stringContaining('GitHub could not compare') });
        expect((await decideScope(gh.gh, repo, await pull(rewritten), { ...opts, lastReviewed: undefined })).scope).toEqual({ kind: 'full' });
      } finally {
        await git.cleanup();
      }
    });
  });
});
