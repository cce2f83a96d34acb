// Threads that outlive the run: their rollout files (and their fork parents') staged out of CODEX_HOME, saved to
// a ThreadStore under a key of repository, pull request and thread, and restored into a later run's CODEX_HOME.
import { copyFile, mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { basename, join } from 'node:path';
import { z } from 'zod';
import type { AppServer, Thread, ThreadOptions } from '../codex/app-server.js';
import type { CodexSession } from '../codex/session.js';
import type { Repo, RunContext } from '../context.js';
import type { StoredThreadRef } from '../text/markers.js';
import type { ThreadStore } from './thread-store.js';
import { log } from '../log.js';

/** A stored thread larger than this (its rollout plus its fork parents') is not saved: the cache has a quota. */
export const MAX_THREAD_BYTES = 16 * 1024 * 1024;
// At most this many threads are saved per run (base thread and the forks whose findings were posted).
export const MAX_THREADS_SAVED = 50;

/** Where a thread is stored: one pull request's, or a run's without one. */
export type ThreadScope = { pr: number } | 'no-pr';

/**
 * The store key of a thread: repository, pull request (or none) and thread id, and the version for a thread stored
 * again after a later run continued it (cache entries are immutable, so each state of a thread has its own key).
 */
export function threadKey(repo: Repo, scope: ThreadScope, threadId: string, version?: string): string {
  const where = scope === 'no-pr' ? 'no-pr' : `pr-${scope.pr}`;
  return `codex-thread-v1/${repo.owner}/${repo.repo}/${where}/${threadId}${version ? `/${version}` : ''}`.toLowerCase();
}

/** A continued thread is stored again at most this many times (each copy is at most MAX_THREAD_BYTES). */
export const MAX_THREAD_VERSIONS = 20;

/**
 * The version to store a continued thread under: its number (the first store counts as 1) and a random part, so
 * nobody can take the key before this run does (the key becomes public in the answer's marker only once stored).
 * Undefined once the thread has been stored MAX_THREAD_VERSIONS times.
 */
export function nextVersion(previous: string | undefined): string | undefined {
  const n = previous ? Number(/^v(\d+)-/.exec(previous)?.[1] ?? 1) : 1;
  if (n >= MAX_THREAD_VERSIONS) return undefined;
  return `v${n + 1}-${randomBytes(6).toString('hex')}`;
}

// Codex names a rollout `rollout-<time>-<thread id>.jsonl`; its first line is the session_meta.
const ROLLOUT_NAME = /^rollout-.*-([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.jsonl$/;
const sessionMeta = z.object({
  type: z.literal('session_meta'),
  payload: z.object({ id: z.string(), forked_from_id: z.string().nullish() }).loose(),
});

/**
 * The rollout files a thread needs to be resumed: its own and, for a fork, its parents' (Codex pages a fork's
 * history from its source rollout and refuses to resume without it). Only `sessions/**\/rollout-*.jsonl`: never
 * auth.json or config.toml.
 */
export async function lineageFiles(codexHome: string, threadId: string): Promise<string[]> {
  const sessions = join(codexHome, 'sessions');
  const entries = await readdir(sessions, { recursive: true }).catch(() => [] as string[]);
  const byId = new Map<string, string>();
  for (const entry of entries) {
    const match = ROLLOUT_NAME.exec(basename(entry));
    if (match) byId.set(match[1]!, join(sessions, entry));
  }
  const files: string[] = [];
  const seen = new Set<string>();
  let id: string | undefined = threadId;
  while (id !== undefined && !seen.has(id)) {
    seen.add(id);
    const file = byId.get(id);
    if (!file) break;
    files.push(file);
    id = await parentOf(file);
  }
  return files;
}

async function parentOf(file: string): Promise<string | undefined> {
  const text = await readFile(file, 'utf8');
  const end = text.indexOf('\n');
  const first = end < 0 ? text : text.slice(0, end);
  try {
    const meta = sessionMeta.safeParse(JSON.parse(first));
    return meta.success ? (meta.data.payload.forked_from_id ?? undefined) : undefined;
  } catch {
    return undefined;
  }
}

/** A fixed folder per key: the cache service ties an entry to the paths it was saved from. */
export function stagingDir(tempDir: string, key: string): string {
  return join(tempDir, 'codex-ci-threads', key.replace(/[^a-z0-9_.-]/gi, '_'));
}

/** Threads copied out of a CODEX_HOME (which is deleted with its session), ready to be saved. */
export interface StagedThread {
  threadId: string;
  key: string;
  dir: string;
  bytes: number;
}

/**
 * Copies each thread's rollout lineage out of `codexHome` into its staging folder, while the session still exists.
 * A thread without rollout or over MAX_THREAD_BYTES is left out, with a log line.
 */
export async function stageThreads(
  codexHome: string,
  threads: ReadonlyArray<{ threadId: string; key: string }>,
  tempDir: string,
): Promise<StagedThread[]> {
  const staged: StagedThread[] = [];
  for (const { threadId, key } of threads.slice(0, MAX_THREADS_SAVED)) {
    const files = await lineageFiles(codexHome, threadId);
    if (files.length === 0) {
      log.info(`Thread ${threadId} has no rollout to store.`);
      continue;
    }
    const sizes = await Promise.all(files.map(async (f) => (await stat(f)).size));
    const bytes = sizes.reduce((a, b) => a + b, 0);
    if (bytes > MAX_THREAD_BYTES) {
      log.info(`Thread ${threadId} is not stored: its rollout is ${bytes} bytes, over the ${MAX_THREAD_BYTES}-byte limit.`);
      continue;
    }
    const dir = stagingDir(tempDir, key);
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    for (const file of files) await copyFile(file, join(dir, basename(file)));
    staged.push({ threadId, key, dir, bytes });
  }
  if (threads.length > MAX_THREADS_SAVED) log.info(`Stored the first ${MAX_THREADS_SAVED} of ${threads.length} threads.`);
  return staged;
}

/** Saves staged threads; a failure is a warning (a later reply falls back to a fresh thread). */
export async function saveThreads(store: ThreadStore | undefined, staged: readonly StagedThread[]): Promise<string[]> {
  if (!store || staged.length === 0) return [];
  const saved: string[] = [];
  for (const thread of staged) {
    try {
      await store.save(thread.key, thread.dir);
      saved.push(thread.threadId);
    } catch (error) {
      log.warning(`Could not store thread ${thread.threadId} in ${store.name} (${(error as Error).message}); replies will start a fresh thread.`);
    } finally {
      await rm(thread.dir, { recursive: true, force: true });
    }
  }
  log.info(`Stored ${saved.length} thread(s) in ${store.name}.`);
  return saved;
}

/**
 * Restores a stored thread into `codexHome` and resumes it on `server`; undefined (with a log line saying why) when
 * it is not stored or cannot be resumed, so the caller starts a fresh thread.
 */
export async function resumeStoredThread(args: {
  store: ThreadStore | undefined;
  server: AppServer;
  codexHome: string;
  tempDir: string;
  key: string;
  threadId: string;
  options: ThreadOptions;
  /** No log line when the key is not stored (another key is tried next). */
  quietMiss?: boolean;
}): Promise<Thread | undefined> {
  const { store, threadId } = args;
  if (!store) {
    log.info(`Thread ${threadId} cannot be restored: this runner has no cache service. Starting a fresh thread.`);
    return undefined;
  }
  const dir = stagingDir(args.tempDir, args.key);
  try {
    if (!(await store.restore(args.key, dir))) {
      if (args.quietMiss) return undefined;
      log.info(`Thread ${threadId} is not in ${store.name} (never stored, evicted, or out of this ref's cache scope). Starting a fresh thread.`);
      return undefined;
    }
    const into = join(args.codexHome, 'sessions', 'restored');
    await mkdir(into, { recursive: true });
    for (const name of await readdir(dir)) if (ROLLOUT_NAME.test(name)) await copyFile(join(dir, name), join(into, name));
    const thread = await args.server.resumeThread(threadId, args.options);
    log.info(`Resumed thread ${threadId} from ${store.name}.`);
    return thread;
  } catch (error) {
    log.info(`Thread ${threadId} could not be resumed (${(error as Error).message}). Starting a fresh thread.`);
    return undefined;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The thread a job works in: a stored one continued, or a fresh one. */
export interface JobThread {
  thread: Thread;
  resumed: boolean;
}

/**
 * Continues `wanted` (looked up under each of `scopes` in turn) when it is stored, else starts a thread with
 * `fresh` added to `options`; either way the log says which.
 */
export async function resumeOrStart(args: {
  /** Where threads are stored, the run's temp folder and repository. */
  ctx: Pick<RunContext, 'threadStore' | 'tempDir' | 'repo'>;
  /** The app-server that continues or starts the thread, and its CODEX_HOME. */
  session: Pick<CodexSession, 'server' | 'codexHome'>;
  scopes: readonly ThreadScope[];
  /** A thread id (its first stored state), or a recorded thread and version. */
  wanted: string | StoredThreadRef | undefined;
  options: ThreadOptions;
  fresh: ThreadOptions;
  /** Log line when there is no thread to continue. */
  why: string;
}): Promise<JobThread> {
  const wanted = typeof args.wanted === 'string' ? { threadId: args.wanted } : args.wanted;
  if (wanted) {
    for (const [i, scope] of args.scopes.entries()) {
      const thread = await resumeStoredThread({
        // Earlier scopes are tried without the fallback line: only the last miss is news.
        quietMiss: i < args.scopes.length - 1,
        store: args.ctx.threadStore,
        server: args.session.server,
        codexHome: args.session.codexHome,
        tempDir: args.ctx.tempDir,
        key: threadKey(args.ctx.repo, scope, wanted.threadId, wanted.version),
        threadId: wanted.threadId,
        options: args.options,
      });
      if (thread) return { thread, resumed: true };
    }
  } else {
    log.info(args.why);
  }
  return { thread: await args.session.server.startThread({ ...args.options, ...args.fresh }), resumed: false };
}
