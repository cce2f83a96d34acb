// The conversation's pure parts: fix requests, markers, suggestions, rollout lineage and the folder store.
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixRequest, planReviewComment } from '../src/modes/conversation/event.js';
import { REPLY_MARKER, storedThreadIn, threadIdIn, threadMarker } from '../src/base/text/markers.js';
import { singleHunkSuggestion } from '../src/modes/conversation/suggestion.js';
import { DirectoryStore } from '../src/base/threads/thread-store.js';
import { lineageFiles, MAX_THREAD_VERSIONS, nextVersion, stageThreads, threadKey } from '../src/base/threads/threads.js';
import { readInputs } from '../src/action/inputs.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'conv-units-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

test('a fix request is the trigger phrase followed by the word fix; what follows is the instructions', () => {
  expect(fixRequest('@codex fix default LIMIT to 10', '@codex')).toBe('default LIMIT to 10');
  expect(fixRequest('Looks wrong.\n@codex fix', '@codex')).toBe('');
  expect(fixRequest('@codex FIX it please', '@codex')).toBe('it please');
  expect(fixRequest('@codex fixes are welcome', '@codex')).toBeUndefined();
  expect(fixRequest('@codex why is this wrong?', '@codex')).toBeUndefined();
  expect(fixRequest('email@codex fix', '@codex')).toBeUndefined();
  expect(fixRequest('/ai+ fix now', '/ai+')).toBe('now');
});

test('the thread marker is read from the line above the final fingerprint line only', () => {
  const id = '01a22d35-08ce-7081-818c-95eaa84306ca';
  const posted = `**High: x**\n\nWhy.\n\n${threadMarker(id)}\n<!-- codex-ci-action:fp:0123456789abcdef -->`;
  expect(threadIdIn(posted)).toBe(id);
  // Quoted elsewhere (e.g. in a body that someone wrote), it does not count.
  expect(threadIdIn(`${threadMarker(id)}\n\nsome text\n<!-- codex-ci-action:fp:0123456789abcdef -->\n`)).toBeUndefined();
  expect(threadIdIn('no markers')).toBeUndefined();
});

test('an answer records the version its thread was stored under; each version has its own key, up to a bound', () => {
  const id = '01a22d35-08ce-7081-818c-95eaa84306ca';
  const second = nextVersion(undefined)!;
  expect(second).toMatch(/^v2-[0-9a-f]{12}$/);
  // Random: a later run cannot guess the key before this run takes it.
  expect(nextVersion(undefined)).not.toBe(second);
  expect(nextVersion(second)).toMatch(/^v3-/);
  expect(nextVersion(`v${MAX_THREAD_VERSIONS - 1}-0123456789ab`)).toMatch(new RegExp(`^v${MAX_THREAD_VERSIONS}-`));
  expect(nextVersion(`v${MAX_THREAD_VERSIONS}-0123456789ab`)).toBeUndefined();

  const answer = `It is NaN.\n\n${threadMarker(id, second)}\n${REPLY_MARKER}`;
  expect(storedThreadIn(answer)).toEqual({ threadId: id, version: second });
  expect(threadIdIn(answer)).toBe(id);
  expect(storedThreadIn(`x\n\n${threadMarker(id)}\n${REPLY_MARKER}`)).toEqual({ threadId: id });
  // A version that is not one of ours is no marker at all.
  expect(storedThreadIn(`x\n\n<!-- codex-ci-action:thread:${id}@../../etc -->\n${REPLY_MARKER}`)).toBeUndefined();
  const repo = { owner: 'Octo', repo: 'Demo' };
  expect(threadKey(repo, { pr: 7 }, id, second)).toBe(`codex-thread-v1/octo/demo/pr-7/${id}/${second}`);
  expect(threadKey(repo, { pr: 7 }, id)).toBe(`codex-thread-v1/octo/demo/pr-7/${id}`);
});

test("the action's own replies are skipped by the plan, whoever may otherwise ask", () => {
  const inputs = readInputs({ 'INPUT_OPENAI-API-KEY': 'sk-x', 'INPUT_ALLOW-BOTS': 'github-actions' });
  const event = (body: string) => ({
    name: 'pull_request_review_comment',
    payload: {
      action: 'created',
      comment: { id: 5, body, in_reply_to_id: 4, author_association: 'NONE', user: { login: 'github-actions[bot]', type: 'Bot' } },
      pull_request: { number: 7 },
    },
  });
  expect(planReviewComment(inputs, event(`An answer.\n\n${REPLY_MARKER}`))).toEqual({ job: 'skip', reason: "The comment is one of this action's own replies." });
  expect(planReviewComment(inputs, event('Addressed in 1234567.\n\n<!-- codex-ci-action:addressed -->')).job).toBe('skip');
  expect(planReviewComment(inputs, event('**High: x**\n\n<!-- codex-ci-action:fp:0123456789abcdef -->')).job).toBe('skip');
  // Without the marker the allowed bot may ask (allow-bots is the user's choice).
  expect(planReviewComment(inputs, event('@codex fix it')).job).toBe('converse');
});

test('a change becomes a suggestion only when it is one hunk inside the commented lines', async () => {
  const diff = (body: string) => `diff --git a/src/a.ts b/src/a.ts\nindex 1..2 100644\n--- a/src/a.ts\n+++ b/src/a.ts\n${body}\n`;
  const file = async () => 'one\ntwo fixed\nthree\nfour\n';
  const inside = diff('@@ -1,3 +1,3 @@\n one\n-two\n+two fixed\n three');
  expect(await singleHunkSuggestion(inside, { path: 'src/a.ts', line: 2, startLine: null, side: 'RIGHT' }, file)).toBe('two fixed');
  expect(await singleHunkSuggestion(inside, { path: 'src/a.ts', line: 3, startLine: 1, side: 'RIGHT' }, file)).toBe('one\ntwo fixed\nthree');
  // The change is on line 2; a comment on line 4 cannot carry it.
  expect(await singleHunkSuggestion(inside, { path: 'src/a.ts', line: 4, startLine: null, side: 'RIGHT' }, file)).toBeUndefined();
  // Another file, or two hunks: a patch instead.
  expect(await singleHunkSuggestion(inside, { path: 'src/b.ts', line: 2, startLine: null, side: 'RIGHT' }, file)).toBeUndefined();
  const twoHunks = diff('@@ -1,2 +1,2 @@\n-one\n+ONE\n two\n@@ -9,1 +9,1 @@\n-nine\n+NINE');
  expect(await singleHunkSuggestion(twoHunks, { path: 'src/a.ts', line: 2, startLine: 1, side: 'RIGHT' }, file)).toBeUndefined();
  // An added line right after the commented line is part of the replacement.
  const added = diff('@@ -2,1 +2,2 @@\n two\n+two and a half');
  expect(await singleHunkSuggestion(added, { path: 'src/a.ts', line: 2, startLine: null, side: 'RIGHT' }, async () => 'one\ntwo\ntwo and a half\nthree\n')).toBe('two\ntwo and a half');
});

test("a fork's lineage follows forked_from_id, and only rollouts are staged (never auth.json or config.toml)", async () => {
  const home = join(dir, 'home');
  const day = join(home, 'sessions', '2026', '11', '30');
  await mkdir(day, { recursive: true });
  const base = '01a22d35-08ce-7081-818c-95eaa84306ca';
  const fork = '01a22d35-0e9e-7072-9f9a-5627ad1371d7';
  const other = '01a22d35-0000-7000-8000-000000000000';
  const meta = (id: string, parent?: string) => `${JSON.stringify({ type: 'session_meta', payload: { id, ...(parent ? { forked_from_id: parent } : {}) } })}\n{"type":"turn"}\n`;
  await writeFile(join(day, `rollout-2026-11-30T16-06-20-${base}.jsonl`), meta(base));
  await writeFile(join(day, `rollout-2026-11-30T16-06-21-${fork}.jsonl`), meta(fork, base));
  await writeFile(join(day, `rollout-2026-11-30T16-06-22-${other}.jsonl`), meta(other));
  await writeFile(join(home, 'auth.json'), '{"OPENAI_API_KEY":"sk-secret"}');
  await writeFile(join(home, 'config.toml'), 'model = "x"\n');

  const files = await lineageFiles(home, fork);
  expect(files.map((f) => f.split('-').slice(-5).join('-'))).toEqual([`${fork}.jsonl`, `${base}.jsonl`]);

  const repo = { owner: 'Octo', repo: 'Demo' };
  const key = threadKey(repo, { pr: 7 }, fork);
  expect(key).toBe(`codex-thread-v1/octo/demo/pr-7/${fork}`);
  const [staged] = await stageThreads(home, [{ threadId: fork, key }], join(dir, 'temp'));
  expect((await readdir(staged!.dir)).sort()).toEqual([`rollout-2026-11-30T16-06-20-${base}.jsonl`, `rollout-2026-11-30T16-06-21-${fork}.jsonl`]);

  // The folder store keeps the first save of a key, as the cache service does.
  const store = new DirectoryStore(join(dir, 'store'));
  await store.save(key, staged!.dir);
  await writeFile(join(staged!.dir, 'extra.jsonl'), 'later');
  await store.save(key, staged!.dir);
  const restored = join(dir, 'restored');
  expect(await store.restore(key, restored)).toBe(true);
  expect(await readdir(restored)).toHaveLength(2);
  expect(await store.restore('codex-thread-v1/octo/demo/pr-7/missing', restored)).toBe(false);
});
