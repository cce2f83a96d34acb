// The workflow run's artifacts behind a small port: upload a file, list the run's artifacts, download one. The one
// implementation is the runner's artifact service through @actions/artifact; the engine sees only this interface.
import { basename, dirname } from 'node:path';

/** An artifact of the current workflow run, as the artifact service lists it. */
export interface StoredArtifact {
  id: number;
  name: string;
  size: number;
}

/** The current workflow run's artifacts (every job of the run sees the same ones). */
export interface ArtifactStore {
  /** Uploads one file as the artifact `name`; resolves to the artifact's id. */
  upload(name: string, file: string): Promise<number>;
  /** Every artifact of the run, of every job and attempt. */
  list(): Promise<StoredArtifact[]>;
  /** Downloads artifact `id` and unpacks it into `dir`. */
  download(id: number, dir: string): Promise<void>;
}

/**
 * The runner's artifact service. The runner gives JavaScript actions its address as ACTIONS_RESULTS_URL and a token
 * scoped to the run (and the job) as ACTIONS_RUNTIME_TOKEN; @actions/artifact reads both from process.env, which is
 * `env` in the action. Listing and downloading with that token reach only this run's artifacts.
 */
export class ActionsArtifactStore implements ArtifactStore {
  /** True when the runner gave this step an artifact service. */
  static available(env: NodeJS.ProcessEnv): boolean {
    return Boolean(env.ACTIONS_RESULTS_URL && env.ACTIONS_RUNTIME_TOKEN);
  }

  async upload(name: string, file: string): Promise<number> {
    const { id } = await (await client()).uploadArtifact(name, [file], dirname(file));
    if (id === undefined) throw new Error(`the artifact service returned no id for the artifact ${name} (${basename(file)})`);
    return id;
  }

  async list(): Promise<StoredArtifact[]> {
    const { artifacts } = await (await client()).listArtifacts();
    return artifacts.map((a) => ({ id: a.id, name: a.name, size: a.size }));
  }

  async download(id: number, dir: string): Promise<void> {
    await (await client()).downloadArtifact(id, { path: dir });
  }
}

// Loaded only when an artifact is stored or read: the artifact client is a large part of the bundle.
async function client() {
  const { DefaultArtifactClient } = await import('@actions/artifact');
  return new DefaultArtifactClient();
}
