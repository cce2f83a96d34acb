// The runner's artifact service on loopback, as @actions/artifact talks to it: Twirp JSON calls on
// ACTIONS_RESULTS_URL (CreateArtifact → a signed blob URL, FinalizeArtifact → the artifact id) with the runtime
// token as a bearer, and Azure Blob Storage's Put Block / Put Block List on the signed URL (fake-results-service.ts).
import { runtimeToken, startResultsServer, type TwirpAnswer } from './fake-results-service.js';

const SERVICE = 'github.actions.results.api.v1.ArtifactService';

/** An artifact as finalized: its name, the bytes uploaded (a zip), and the ids the token named. */
export interface FakeArtifact {
  id: number;
  name: string;
  content: Buffer;
  size: string;
  hash: string | undefined;
  workflowRunBackendId: string;
  workflowJobRunBackendId: string;
}

export interface FakeArtifactService {
  /** ACTIONS_RESULTS_URL. */
  url: string;
  /** ACTIONS_RUNTIME_TOKEN: an (unsigned) JWT whose `scp` carries the backend ids, as the runner's does. */
  token: string;
  artifacts: FakeArtifact[];
  /** When set, CreateArtifact answers with this status and Twirp error, as the service does on a bad request. */
  refuseCreateWith: { status: number; code: string; msg: string } | undefined;
  close(): Promise<void>;
}

const RUN_BACKEND_ID = 'ce7f54c7-61c7-4aae-887f-30da475f5f1a';
const JOB_BACKEND_ID = 'ca395085-040a-526b-2ce8-bdc85f692774';

/** Starts the fake on 127.0.0.1. */
export async function startFakeArtifactService(): Promise<FakeArtifactService> {
  const token = runtimeToken({ scp: `Actions.GenericRead Actions.Results:${RUN_BACKEND_ID}:${JOB_BACKEND_ID}` });
  const pending = new Map<string, { name: string; blob: string }>();
  let nextId = 4711;
  const unknownIds = (call: Record<string, unknown>): TwirpAnswer | undefined =>
    call.workflow_run_backend_id !== RUN_BACKEND_ID || call.workflow_job_run_backend_id !== JOB_BACKEND_ID
      ? { error: { status: 400, code: 'invalid_argument', msg: 'unknown backend ids' } }
      : undefined;

  const server = await startResultsServer(
    {
      [SERVICE]: {
        CreateArtifact: (call) => {
          const refused = unknownIds(call);
          if (refused) return refused;
          if (state.refuseCreateWith) return { error: state.refuseCreateWith };
          const name = String(call.name);
          if (state.artifacts.some((a) => a.name === name)) {
            return { error: { status: 409, code: 'already_exists', msg: 'an artifact with this name already exists on the workflow run' } };
          }
          const blob = `/devstoreaccount1/actions-results/${encodeURIComponent(name)}.zip`;
          pending.set(name, { name, blob });
          return { body: { ok: true, signed_upload_url: server.signedUrl(blob) } };
        },
        FinalizeArtifact: (call) => {
          const refused = unknownIds(call);
          if (refused) return refused;
          const name = String(call.name);
          const created = pending.get(name);
          const content = created && server.blobs.get(created.blob);
          if (!content) return { error: { status: 404, code: 'not_found', msg: 'artifact not found or not uploaded' } };
          const id = nextId++;
          const hash = call.hash;
          state.artifacts.push({
            id,
            name,
            content,
            size: String(call.size),
            hash: typeof hash === 'string' ? hash : undefined,
            workflowRunBackendId: RUN_BACKEND_ID,
            workflowJobRunBackendId: JOB_BACKEND_ID,
          });
          return { body: { ok: true, artifact_id: String(id) } };
        },
      },
    },
    (bearer) => bearer === token,
  );

  const state: FakeArtifactService = {
    url: server.url,
    token,
    artifacts: [],
    refuseCreateWith: undefined,
    close: () => server.close(),
  };
  return state;
}
