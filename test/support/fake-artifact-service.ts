// The runner's artifact service on loopback, as @actions/artifact talks to it: Twirp JSON calls on
// ACTIONS_RESULTS_URL (CreateArtifact → a signed blob URL, FinalizeArtifact → the artifact id, ListArtifacts,
// GetSignedArtifactURL → a signed download URL) with the runtime token as a bearer, and Azure Blob Storage's Put Block /
// Put Block List / Get Blob on the signed URLs (fake-results-service.ts). As the service does, it scopes artifacts to
// the workflow run named in the token (`scp: Actions.Results:<run backend id>:<job backend id>`): every job of a run
// lists and downloads the run's artifacts, and nothing of another run.
import { randomUUID } from 'node:crypto';
import { runtimeToken, startResultsServer, tokenClaims, type TwirpAnswer, type TwirpError } from './fake-results-service.js';

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
  createdAt: Date;
}

/** One Twirp call as the service saw it. */
export interface ArtifactCall {
  method: string;
  call: Record<string, unknown>;
  runBackendId: string | undefined;
}

export interface FakeArtifactService {
  /** ACTIONS_RESULTS_URL. */
  url: string;
  /** ACTIONS_RUNTIME_TOKEN of the run's first job: an (unsigned) JWT whose `scp` carries the backend ids, as the runner's does. */
  token: string;
  /** A token for another job of the same run (each job of a workflow run gets its own). */
  jobToken(): string;
  /** A token of another workflow run: it sees none of this run's artifacts. */
  otherRunToken(): string;
  artifacts: FakeArtifact[];
  calls: ArtifactCall[];
  /** When set, CreateArtifact answers with this status and Twirp error, as the service does on a bad request. */
  refuseCreateWith: { status: number; code: string; msg: string } | undefined;
  /** The next `times` calls of `method` answer with `error` (a 5xx the client retries, a 4xx it does not). */
  failNext(method: string, times: number, error: TwirpError): void;
  close(): Promise<void>;
}

const RUN_BACKEND_ID = 'ce7f54c7-61c7-4aae-887f-30da475f5f1a';
const JOB_BACKEND_ID = 'ca395085-040a-526b-2ce8-bdc85f692774';

/** Starts the fake on 127.0.0.1. */
export async function startFakeArtifactService(): Promise<FakeArtifactService> {
  const tokenOf = (run: string, job: string) => runtimeToken({ scp: `Actions.GenericRead Actions.Results:${run}:${job}` });
  const issued = new Set<string>([tokenOf(RUN_BACKEND_ID, JOB_BACKEND_ID)]);
  const issue = (run: string) => {
    const token = tokenOf(run, randomUUID());
    issued.add(token);
    return token;
  };
  const idsOf = (token: string): { run: string; job: string } | undefined => {
    const scope = String(tokenClaims(token)?.scp ?? '')
      .split(' ')
      .find((s) => s.startsWith('Actions.Results:'));
    const [, run, job] = scope?.split(':') ?? [];
    return run && job ? { run, job } : undefined;
  };
  const pending = new Map<string, { name: string; blob: string }>();
  const faults: Array<{ method: string; times: number; error: TwirpError }> = [];
  let nextId = 4711;
  // A call must name the run and job of its own token, as the service checks.
  const wrongIds = (call: Record<string, unknown>, token: string): TwirpAnswer | undefined => {
    const ids = idsOf(token);
    return !ids || call.workflow_run_backend_id !== ids.run || call.workflow_job_run_backend_id !== ids.job
      ? { error: { status: 400, code: 'invalid_argument', msg: 'unknown backend ids' } }
      : undefined;
  };
  const listed = (a: FakeArtifact) => ({
    workflow_run_backend_id: a.workflowRunBackendId,
    workflow_job_run_backend_id: a.workflowJobRunBackendId,
    database_id: String(a.id),
    name: a.name,
    size: a.size,
    created_at: a.createdAt.toISOString(),
    ...(a.hash ? { digest: a.hash } : {}),
  });
  const blobOf = (run: string, name: string) => `/devstoreaccount1/actions-results/${run}/${encodeURIComponent(name)}.zip`;
  const handlers: Record<string, (call: Record<string, unknown>, token: string) => TwirpAnswer> = {
    CreateArtifact: (call, token) => {
      const refused = wrongIds(call, token);
      if (refused) return refused;
      if (state.refuseCreateWith) return { error: state.refuseCreateWith };
      const run = idsOf(token)!.run;
      const name = String(call.name);
      if (state.artifacts.some((a) => a.name === name && a.workflowRunBackendId === run)) {
        return { error: { status: 409, code: 'already_exists', msg: 'an artifact with this name already exists on the workflow run' } };
      }
      const blob = blobOf(run, name);
      pending.set(`${run}/${name}`, { name, blob });
      return { body: { ok: true, signed_upload_url: server.signedUrl(blob) } };
    },
    FinalizeArtifact: (call, token) => {
      const refused = wrongIds(call, token);
      if (refused) return refused;
      const ids = idsOf(token)!;
      const name = String(call.name);
      const created = pending.get(`${ids.run}/${name}`);
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
        workflowRunBackendId: ids.run,
        workflowJobRunBackendId: ids.job,
        createdAt: new Date(),
      });
      return { body: { ok: true, artifact_id: String(id) } };
    },
    // Every artifact of the token's workflow run, of every job; name_filter and id_filter narrow it.
    ListArtifacts: (call, token) => {
      const refused = wrongIds(call, token);
      if (refused) return refused;
      const run = idsOf(token)!.run;
      const name = call.name_filter;
      const id = call.id_filter;
      const artifacts = state.artifacts.filter(
        (a) => a.workflowRunBackendId === run && (name === undefined || a.name === name) && (id === undefined || String(a.id) === String(id)),
      );
      return { body: { artifacts: artifacts.map(listed) } };
    },
    // The download URL of the artifact `name` of the run and job named: only the caller's own run's.
    GetSignedArtifactURL: (call, token) => {
      const run = idsOf(token)?.run;
      const artifact = state.artifacts.find(
        (a) => a.workflowRunBackendId === run && a.workflowRunBackendId === call.workflow_run_backend_id && a.workflowJobRunBackendId === call.workflow_job_run_backend_id && a.name === call.name,
      );
      if (!artifact) return { error: { status: 404, code: 'not_found', msg: 'artifact not found' } };
      return { body: { signed_url: server.signedUrl(blobOf(artifact.workflowRunBackendId, artifact.name)) } };
    },
  };

  const service = Object.fromEntries(
    Object.entries(handlers).map(([method, handle]) => [
      method,
      (call: Record<string, unknown>, token: string): TwirpAnswer => {
        state.calls.push({ method, call, runBackendId: idsOf(token)?.run });
        const fault = faults.find((f) => f.method === method && f.times > 0);
        if (fault) {
          fault.times--;
          return { error: fault.error };
        }
        return handle(call, token);
      },
    ]),
  );
  const server = await startResultsServer({ [SERVICE]: service }, (bearer) => issued.has(bearer));

  const state: FakeArtifactService = {
    url: server.url,
    token: tokenOf(RUN_BACKEND_ID, JOB_BACKEND_ID),
    jobToken: () => issue(RUN_BACKEND_ID),
    otherRunToken: () => issue(randomUUID()),
    artifacts: [],
    calls: [],
    refuseCreateWith: undefined,
    failNext: (method, times, error) => void faults.push({ method, times, error }),
    close: () => server.close(),
  };
  return state;
}
