// Uploads a kept patch as a workflow artifact, so a fix that could not be delivered outlives the runner. A failed
// upload is a warning: the patch is still on disk, and the step already fails for the delivery's own reason.
import { ActionsArtifactStore } from '../../base/artifacts/artifact-store.js';
import { log } from '../../base/log.js';

/** Where the patch went as an artifact, or why it did not. */
export interface PatchArtifact {
  artifact?: { name: string; url: string };
  note?: string;
}

/**
 * Uploads the file at `path` as the artifact `name` of the current run. The runner gives JavaScript actions its
 * artifact service as ACTIONS_RESULTS_URL and ACTIONS_RUNTIME_TOKEN; @actions/artifact reads them from
 * process.env (which is `env` in the action).
 */
export async function uploadPatchArtifact(
  env: NodeJS.ProcessEnv,
  /** The run the artifact belongs to, for its link: the server, the repository and the run id. */
  run: { serverUrl: string; repo: { owner: string; repo: string }; runId: number | undefined },
  path: string,
  name: string,
): Promise<PatchArtifact> {
  if (!ActionsArtifactStore.available(env)) {
    return { note: 'The patch was not uploaded as a workflow artifact: the runner gave this step no artifact service (ACTIONS_RESULTS_URL).' };
  }
  try {
    const id = await new ActionsArtifactStore().upload(name, path);
    const url = `${run.serverUrl.replace(/\/+$/, '')}/${run.repo.owner}/${run.repo.repo}/actions/runs/${run.runId ?? ''}/artifacts/${id}`;
    log.info(`Uploaded the patch as the workflow artifact ${name}: ${url}`);
    return { artifact: { name, url } };
  } catch (error) {
    const note = `The patch could not be uploaded as a workflow artifact: ${error instanceof Error ? error.message : String(error)}`;
    log.warning(note);
    return { note: `${note}. It is only on the runner, at \`${path}\`.` };
  }
}

/** The artifact's name: one per failing run and attempt of this workflow (a re-run cannot reuse a name). */
export function patchArtifactName(runKey: string, env: NodeJS.ProcessEnv): string {
  const attempt = Number(env.GITHUB_RUN_ATTEMPT ?? '1');
  return `codex-fix-${runKey}${attempt > 1 ? `-attempt-${attempt}` : ''}`;
}
