// The runner's cache service (v2) on loopback, as @actions/cache 6.3.0 talks to it when ACTIONS_CACHE_SERVICE_V2 is
// set: the Twirp service github.actions.results.api.v1.CacheService on ACTIONS_RESULTS_URL (CreateCacheEntry → a
// signed blob URL, FinalizeCacheEntryUpload, GetCacheEntryDownloadURL) and blob storage behind the signed URLs.
// With the service's rules: an entry is (key, version, scope) and immutable; a run reads the scopes its runtime
// token grants (its own ref first, then the base branch) and writes only its own; a lookup tries the exact key, then
// the key and each restore key as prefixes, newest first, scope by scope; a miss is `ok: false`.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { runtimeToken, startResultsServer, tokenClaims, type TwirpAnswer, type TwirpError } from './fake-results-service.js';

const SERVICE = 'github.actions.results.api.v1.CacheService';
export type CacheMethod = 'CreateCacheEntry' | 'FinalizeCacheEntryUpload' | 'GetCacheEntryDownloadURL';

/** Read = 1, write = 2, as in the runtime token's `ac` claim. */
export const READ = 1;
export const WRITE = 2;

/** A cache scope a runtime token grants: a ref and what the run may do there. */
export interface CacheScope {
  scope: string;
  permission: number;
}

/** An entry: uploaded (content) and finalized, or still being created. */
export interface FakeCacheEntry {
  id: number;
  key: string;
  version: string;
  scope: string;
  /** Order of creation: the newest entry has the highest. */
  created: number;
  finalized: boolean;
  /** The archive uploaded (a tar, zstd- or gzip-compressed). */
  content: Buffer | undefined;
}

export interface FakeCacheService {
  /** ACTIONS_RESULTS_URL. */
  url: string;
  entries: FakeCacheEntry[];
  /** Every Twirp call, in order, with the caller's scopes. */
  calls: Array<{ method: CacheMethod; request: Record<string, unknown>; scopes: CacheScope[] }>;
  /** When set for a method, the service answers every call of it with this Twirp error (cleared by hand). */
  failWith: Partial<Record<CacheMethod, TwirpError>>;
  /** A runtime token granting these scopes (listed in lookup order; the first writable one is where entries go). */
  tokenFor(scopes: CacheScope[]): string;
  /** A pull request run's token: its merge ref read-write, its base branch read-only. */
  pullRequestToken(pr: number, base?: string): string;
  /** The environment @actions/cache reads to use this service with `token`. */
  env(token: string): Record<string, string>;
  /** The files of an entry's archive: path in the archive → content. */
  archiveFiles(entry: FakeCacheEntry): Promise<Map<string, string>>;
  close(): Promise<void>;
}

/** Starts the fake on 127.0.0.1. */
export async function startFakeCacheService(): Promise<FakeCacheService> {
  const issued = new Set<string>();
  let created = 0;
  let nextId = 1000;
  const scopesOf = (token: string): CacheScope[] => {
    const ac = tokenClaims(token)?.ac;
    const parsed = typeof ac === 'string' ? (JSON.parse(ac) as Array<{ Scope: string; Permission: number }>) : [];
    return parsed.map((s) => ({ scope: s.Scope, permission: s.Permission }));
  };
  const blobPath = (e: FakeCacheEntry) => `/devstoreaccount1/actions-cache/${e.id}`;

  const method =
    (name: CacheMethod, handler: (call: Record<string, unknown>, scopes: CacheScope[]) => TwirpAnswer) =>
    (call: Record<string, unknown>, token: string): TwirpAnswer => {
      const scopes = scopesOf(token);
      state.calls.push({ method: name, request: call, scopes });
      const failure = state.failWith[name];
      return failure ? { error: failure } : handler(call, scopes);
    };

  const server = await startResultsServer(
    {
      [SERVICE]: {
        CreateCacheEntry: method('CreateCacheEntry', (call, scopes) => {
          const key = String(call.key ?? '');
          const version = String(call.version ?? '');
          if (!key || !version) return { error: { status: 400, code: 'invalid_argument', msg: 'key and version are required' } };
          if (key.length > 512 || key.includes(',')) return { error: { status: 400, code: 'invalid_argument', msg: 'invalid cache key' } };
          const scope = scopes.find((s) => (s.permission & WRITE) !== 0)?.scope;
          // The service's words when the run's token may only read (e.g. an untrusted event).
          if (!scope) return { body: { ok: false, signed_upload_url: '', message: 'cache write denied: the token of this run may only read the cache' } };
          // Immutable: a key and version already taken in this scope (even while being uploaded) is refused.
          if (state.entries.some((e) => e.key === key && e.version === version && e.scope === scope)) {
            return { error: { status: 409, code: 'already_exists', msg: 'cache entry with the same key, version, and scope already exists' } };
          }
          const entry: FakeCacheEntry = { id: nextId++, key, version, scope, created: ++created, finalized: false, content: undefined };
          state.entries.push(entry);
          return { body: { ok: true, signed_upload_url: server.signedUrl(blobPath(entry)) } };
        }),
        FinalizeCacheEntryUpload: method('FinalizeCacheEntryUpload', (call, scopes) => {
          const scope = scopes.find((s) => (s.permission & WRITE) !== 0)?.scope;
          const entry = state.entries.find((e) => e.key === call.key && e.version === call.version && e.scope === scope && !e.finalized);
          const content = entry && server.blobs.get(blobPath(entry));
          if (!entry || !content) return { error: { status: 404, code: 'not_found', msg: 'cache entry not found or not uploaded' } };
          if (String(call.size_bytes) !== String(content.length)) return { error: { status: 400, code: 'invalid_argument', msg: 'size_bytes does not match the upload' } };
          entry.finalized = true;
          entry.content = content;
          return { body: { ok: true, entry_id: String(entry.id) } };
        }),
        GetCacheEntryDownloadURL: method('GetCacheEntryDownloadURL', (call, scopes) => {
          const key = String(call.key ?? '');
          const restoreKeys = Array.isArray(call.restore_keys) ? call.restore_keys.map(String) : [];
          const version = String(call.version ?? '');
          const entry = lookup(state.entries, scopes, key, restoreKeys, version);
          if (!entry) return { body: { ok: false, signed_download_url: '', matched_key: '' } };
          return { body: { ok: true, signed_download_url: server.signedUrl(blobPath(entry)), matched_key: entry.key } };
        }),
      },
    },
    (token) => issued.has(token),
  );

  const state: FakeCacheService = {
    url: `${server.url}/`,
    entries: [],
    calls: [],
    failWith: {},
    tokenFor(scopes) {
      const token = runtimeToken({ scp: 'Actions.GenericRead', ac: JSON.stringify(scopes.map((s) => ({ Scope: s.scope, Permission: s.permission }))) });
      issued.add(token);
      return token;
    },
    pullRequestToken(pr, base = 'main') {
      return state.tokenFor([
        { scope: `refs/pull/${pr}/merge`, permission: READ | WRITE },
        { scope: `refs/heads/${base}`, permission: READ },
      ]);
    },
    env: (token) => ({ ACTIONS_CACHE_SERVICE_V2: 'true', ACTIONS_RESULTS_URL: state.url, ACTIONS_RUNTIME_TOKEN: token, GITHUB_SERVER_URL: 'https://github.com' }),
    async archiveFiles(entry) {
      const dir = await mkdtemp(join(tmpdir(), 'cache-archive-'));
      try {
        const archive = join(dir, 'cache.tar');
        await writeFile(archive, entry.content ?? Buffer.alloc(0));
        // GNU tar recognizes zstd and gzip archives by their magic; -P keeps the workspace-relative names (../..) as written.
        const names = (await execa('tar', ['-tf', archive])).stdout.split('\n').filter((n) => n && !n.endsWith('/'));
        const files = new Map<string, string>();
        for (const name of names) files.set(name, (await execa('tar', ['-P', '-xOf', archive, name], { stripFinalNewline: false })).stdout);
        return files;
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
    close: () => server.close(),
  };
  return state;
}

/** The entry a lookup finds: scope by scope, the exact key, then the key and each restore key as a prefix, newest first. */
function lookup(entries: readonly FakeCacheEntry[], scopes: readonly CacheScope[], key: string, restoreKeys: readonly string[], version: string): FakeCacheEntry | undefined {
  for (const { scope, permission } of scopes) {
    if ((permission & READ) === 0) continue;
    const here = entries.filter((e) => e.finalized && e.scope === scope && e.version === version).sort((a, b) => b.created - a.created);
    const hit = here.find((e) => e.key === key) ?? [key, ...restoreKeys].map((prefix) => here.find((e) => e.key.startsWith(prefix))).find(Boolean);
    if (hit) return hit;
  }
  return undefined;
}

// What @actions/cache reads from process.env to pick and reach a cache service.
const CACHE_ENV = ['ACTIONS_CACHE_SERVICE_V2', 'ACTIONS_RESULTS_URL', 'ACTIONS_RUNTIME_TOKEN', 'ACTIONS_CACHE_URL', 'GITHUB_SERVER_URL', 'ACTIONS_CACHE_MODE'];

/** Clears the cache service variables from process.env (a test starts with no cache service); returns the restorer. */
export function clearCacheEnv(): () => void {
  const saved = Object.fromEntries(CACHE_ENV.map((n) => [n, process.env[n]]));
  for (const n of CACHE_ENV) delete process.env[n];
  return () => {
    for (const [n, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[n];
      else process.env[n] = v;
    }
  };
}

/** Makes process.env that of a job whose runtime token is `token` for `service`. */
export function enterJob(service: FakeCacheService, token: string): void {
  for (const [name, value] of Object.entries(service.env(token))) process.env[name] = value;
}
