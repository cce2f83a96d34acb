// Where Codex thread rollouts are kept between runs: the runner's cache service (@actions/cache), or a folder (tests).
import { cp, mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { log } from '../log.js';

/**
 * A key → folder store. `save` keeps the files of `dir` under `key`; `restore` puts them back into `dir` (the same
 * path: the cache service ties an entry to the paths it was saved from) and says whether the key was found.
 * Entries are immutable: saving a key that exists keeps the first.
 */
export interface ThreadStore {
  /** What the log calls it, e.g. "the Actions cache". */
  readonly name: string;
  save(key: string, dir: string): Promise<void>;
  restore(key: string, dir: string): Promise<boolean>;
}

// @actions/cache brings the Azure storage SDK, about a third of the bundle: it is loaded when a thread is first stored
// or restored, not when the action starts, where compiling it delayed every run's first request.
let cacheModule: Promise<typeof import('@actions/cache')> | undefined;
async function cacheService(): Promise<typeof import('@actions/cache')> {
  const cache = await (cacheModule ??= import('@actions/cache'));
  // Which service (and so which variable) applies is the library's call (v1 on GHES, v2 by flag).
  if (!cache.isFeatureAvailable()) throw new Error('the runner gave this step no cache service');
  return cache;
}

/** The runner's cache service, through @actions/cache (scoped by GitHub to the run's ref and its base branch). */
export class ActionsCacheStore implements ThreadStore {
  readonly name = 'the Actions cache';

  /**
   * True when the runner offers a cache service: ACTIONS_CACHE_URL (v1) or ACTIONS_RESULTS_URL (v2) is set. Read without
   * loading @actions/cache; should its own check disagree, a save fails and a restore misses, saying why.
   */
  static available(env: NodeJS.ProcessEnv = process.env): boolean {
    return Boolean(env.ACTIONS_CACHE_URL || env.ACTIONS_RESULTS_URL);
  }

  async save(key: string, dir: string): Promise<void> {
    // saveCache does not throw when the service refuses (a key already taken, a read-only token, an error): it logs
    // why and answers -1. The caller must know the thread was not stored.
    const cache = await cacheService();
    const id = await cache.saveCache([dir], key);
    if (id === -1) throw new Error('the cache service did not take it (its reason is logged above)');
  }

  async restore(key: string, dir: string): Promise<boolean> {
    // The service matches the key as a prefix too, and whoever may write the run's cache scope can store an entry
    // whose key starts with ours: look up first and download only the entry stored under exactly this key.
    // restoreCache warns and answers undefined on service errors: a missing thread is a miss, not a failure.
    const cache = await cacheService().catch((error: unknown) => {
      log.info(`Not restored from the Actions cache: ${error instanceof Error ? error.message : String(error)}.`);
      return undefined;
    });
    if (!cache) return false;
    const found = await cache.restoreCache([dir], key, [], { lookupOnly: true });
    if (found !== key) {
      if (found !== undefined) log.info(`The cache holds ${found}, not ${key}: not restored.`);
      return false;
    }
    return (await cache.restoreCache([dir], key)) === key;
  }
}

/** A plain folder per key under `root`; the tests' store, and what a self-hosted runner could share on disk. */
export class DirectoryStore implements ThreadStore {
  readonly name: string;

  constructor(private readonly root: string) {
    this.name = `the folder ${root}`;
  }

  async save(key: string, dir: string): Promise<void> {
    const target = join(this.root, encodeURIComponent(key));
    if (await exists(target)) return;
    await mkdir(this.root, { recursive: true });
    await cp(dir, target, { recursive: true });
  }

  async restore(key: string, dir: string): Promise<boolean> {
    const source = join(this.root, encodeURIComponent(key));
    if (!(await exists(source))) return false;
    await rm(dir, { recursive: true, force: true });
    await cp(source, dir, { recursive: true });
    return true;
  }

  /** The keys stored, for tests. */
  async keys(): Promise<string[]> {
    return (await readdir(this.root).catch(() => [])).map(decodeURIComponent);
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
