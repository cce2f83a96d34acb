// ActionsCacheStore through the real @actions/cache against the loopback cache service: immutable keys, exact-key
// restores, cache scopes, and service errors that end as a miss or a refused save, never as a thrown restore.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ActionsCacheStore } from '../src/base/threads/thread-store.js';
import { captureStdout } from './support/review-fixtures.js';
import { clearCacheEnv, enterJob, READ, startFakeCacheService, WRITE, type FakeCacheService } from './support/fake-cache-service.js';

const KEY = 'codex-thread-v1/octo/demo/pr-7/0199a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b';

let service: FakeCacheService;
let restoreEnv: () => void;
let root: string;
let stdout: ReturnType<typeof captureStdout>;

/** Runs as a job whose runtime token is `token` (@actions/cache reads process.env). */
function asRun(token: string): void {
  enterJob(service, token);
}

beforeEach(async () => {
  restoreEnv = clearCacheEnv();
  service = await startFakeCacheService();
  root = await mkdtemp(join(tmpdir(), 'cache-store-'));
  stdout = captureStdout();
});

afterEach(async () => {
  stdout.restore();
  await service.close();
  await rm(root, { recursive: true, force: true });
  restoreEnv();
});

async function folder(name: string, files: Record<string, string>): Promise<string> {
  const dir = join(root, name);
  await mkdir(dir, { recursive: true });
  for (const [file, text] of Object.entries(files)) await writeFile(join(dir, file), text);
  return dir;
}

test('the v2 service is chosen by ACTIONS_CACHE_SERVICE_V2 with ACTIONS_RESULTS_URL, and a saved folder comes back in a later run', async () => {
  expect(ActionsCacheStore.available()).toBe(false);
  asRun(service.pullRequestToken(7));
  expect(ActionsCacheStore.available()).toBe(true);
  const store = new ActionsCacheStore();
  const dir = await folder('thread', { 'rollout-a.jsonl': 'FIRST-LINE\n' });
  await store.save(KEY, dir);
  expect(service.entries).toMatchObject([{ key: KEY, scope: 'refs/pull/7/merge', finalized: true }]);
  const files = await service.archiveFiles(service.entries[0]!);
  expect([...files.values()]).toEqual(['FIRST-LINE\n']);

  await rm(dir, { recursive: true });
  asRun(service.pullRequestToken(7));
  expect(await store.restore(KEY, dir)).toBe(true);
  expect(await readFile(join(dir, 'rollout-a.jsonl'), 'utf8')).toBe('FIRST-LINE\n');
  expect(service.calls.map((c) => c.method)).toEqual(['CreateCacheEntry', 'FinalizeCacheEntryUpload', 'GetCacheEntryDownloadURL', 'GetCacheEntryDownloadURL']);
});

test('a key is immutable: a second save is refused (and says so) and the first content stays', async () => {
  asRun(service.pullRequestToken(7));
  const store = new ActionsCacheStore();
  const first = await folder('a', { 'rollout-a.jsonl': 'ORIGINAL\n' });
  await store.save(KEY, first);
  // Another run stores other content from the same path (the same cache version) under the same key.
  await writeFile(join(first, 'rollout-a.jsonl'), 'FORGED\n');
  await expect(store.save(KEY, first)).rejects.toThrow('the cache service did not take it');
  expect(stdout.text()).toContain('Unable to reserve cache with key');
  expect(service.entries).toHaveLength(1);
  await rm(first, { recursive: true });
  expect(await store.restore(KEY, first)).toBe(true);
  expect(await readFile(join(first, 'rollout-a.jsonl'), 'utf8')).toBe('ORIGINAL\n');
});

test('only the exact key is restored: an entry whose key merely starts with it is a miss', async () => {
  asRun(service.pullRequestToken(7));
  const store = new ActionsCacheStore();
  const dir = await folder('thread', { 'rollout-a.jsonl': 'PREFIXED\n' });
  await store.save(`${KEY}-someone-else`, dir);
  await rm(dir, { recursive: true });
  expect(await store.restore(KEY, dir)).toBe(false);
  expect(stdout.text()).toContain(`The cache holds ${KEY}-someone-else, not ${KEY}: not restored.`);
  // Looked up only: the other entry's archive was never downloaded or extracted.
  await expect(readFile(join(dir, 'rollout-a.jsonl'), 'utf8')).rejects.toThrow();
});

test('scopes: a pull request run reads its own ref and its base branch, never another pull request', async () => {
  const store = new ActionsCacheStore();
  const dir = await folder('thread', { 'rollout-a.jsonl': 'ON-MAIN\n' });
  asRun(service.tokenFor([{ scope: 'refs/heads/main', permission: READ | WRITE }]));
  await store.save(`${KEY}-main`, dir);
  asRun(service.pullRequestToken(7));
  await store.save(KEY, dir);
  await rm(dir, { recursive: true });

  asRun(service.pullRequestToken(8));
  expect(await store.restore(KEY, dir)).toBe(false);
  expect(await store.restore(`${KEY}-main`, dir)).toBe(true);
  asRun(service.pullRequestToken(7));
  expect(await store.restore(KEY, dir)).toBe(true);
});

test('a read-only token and a failing service: the save is refused with the reason, the restore is a miss', async () => {
  const store = new ActionsCacheStore();
  const dir = await folder('thread', { 'rollout-a.jsonl': 'X\n' });
  asRun(service.tokenFor([{ scope: 'refs/pull/7/merge', permission: READ }]));
  await expect(store.save(KEY, dir)).rejects.toThrow('did not take it');
  expect(stdout.text()).toContain('cache write denied');
  expect(service.entries).toHaveLength(0);

  asRun(service.pullRequestToken(7));
  service.failWith = {
    CreateCacheEntry: { status: 403, code: 'permission_denied', msg: 'cache storage quota exceeded' },
    GetCacheEntryDownloadURL: { status: 429, code: 'resource_exhausted', msg: 'too many cache requests' },
  };
  await expect(store.save(KEY, dir)).rejects.toThrow('did not take it');
  expect(await store.restore(KEY, dir)).toBe(false);
  expect(stdout.text()).toContain('too many cache requests');

  // The service down altogether: a refused connection is a miss too.
  service.failWith = {};
  await service.close();
  expect(await store.restore(KEY, dir)).toBe(false);
  await expect(store.save(KEY, dir)).rejects.toThrow('did not take it');
});
