// The merge job's reading of its shards: the workflow run's artifacts listed once, each shard's latest artifact of
// this plan downloaded and checked (shard-result.ts). A shard without a usable one is reported as such, never guessed.
import { mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ArtifactStore, StoredArtifact } from '../../../base/artifacts/artifact-store.js';
import { log } from '../../../base/log.js';
import { shardName } from './shard-plan.js';
import { MAX_SHARD_RESULT_BYTES, parseArtifactName, readShardResult, SHARD_RESULT_FILE, type ShardExpectation, type ShardResult } from './shard-result.js';

/** What the merge found for one shard. */
export type CollectedShard = ShardExpectation &
  (
    | { found: true; artifact: string; result: ShardResult }
    /** No usable artifact: `why` says what the user sees (never uploaded, refused, unreadable). */
    | { found: false; why: string }
  );

/**
 * Lists the run's artifacts (a failure to list is thrown: the merge cannot tell what was reviewed) and reads, for
 * each shard, its artifacts of this plan, latest attempt first, until one passes the checks.
 */
export async function collectShards(store: ArtifactStore, expectations: readonly ShardExpectation[], dir: string): Promise<CollectedShard[]> {
  const listed = await store.list();
  return Promise.all(expectations.map((expect) => collectOne(store, listed, expect, dir)));
}

async function collectOne(store: ArtifactStore, listed: readonly StoredArtifact[], expect: ShardExpectation, dir: string): Promise<CollectedShard> {
  const prefix = expect.planId.slice(0, 12);
  const named = listed
    .map((a) => ({ a, name: parseArtifactName(a.name) }))
    .filter(({ name }) => name && name.pr === expect.pr && name.shard.index === expect.shard.index && name.shard.count === expect.shard.count);
  const candidates = named.filter(({ name }) => name!.planPrefix === prefix).sort((x, y) => y.name!.attempt - x.name!.attempt || y.a.id - x.a.id);
  const refusals: string[] = [];
  for (const { a } of candidates) {
    const read = await readArtifact(store, a, expect, join(dir, `${a.id}`));
    if (read.ok) return { ...expect, found: true, artifact: a.name, result: read.result };
    log.warning(`The artifact ${a.name} of ${shardName(expect.shard)} was refused: ${read.why}.`);
    refusals.push(`${shardName(expect.shard)}: its artifact ${a.name} was refused: ${read.why}`);
  }
  if (refusals.length > 0) return { ...expect, found: false, why: refusals.join('; ') };
  const others = named.length - candidates.length;
  return {
    ...expect,
    found: false,
    why:
      `${shardName(expect.shard)} uploaded no results for this plan (it failed before uploading, timed out or was cancelled, or did not run: see its job)` +
      (others > 0 ? `; ${others} artifact(s) of it from other plans were left alone` : ''),
  };
}

async function readArtifact(store: ArtifactStore, a: StoredArtifact, expect: ShardExpectation, dir: string): Promise<{ ok: true; result: ShardResult } | { ok: false; why: string }> {
  if (a.size > MAX_SHARD_RESULT_BYTES) return { ok: false, why: `it is ${a.size} bytes, more than a shard's results can be` };
  try {
    await mkdir(dir, { recursive: true });
    await store.download(a.id, dir);
    const file = join(dir, SHARD_RESULT_FILE);
    const size = (await stat(file)).size;
    if (size > MAX_SHARD_RESULT_BYTES) return { ok: false, why: `its ${SHARD_RESULT_FILE} is ${size} bytes, more than a shard's results can be` };
    return readShardResult(await readFile(file, 'utf8'), expect);
  } catch (error) {
    const message = (error as NodeJS.ErrnoException).code === 'ENOENT' ? `it holds no ${SHARD_RESULT_FILE}` : `it could not be downloaded (${(error as Error).message})`;
    return { ok: false, why: message };
  }
}
