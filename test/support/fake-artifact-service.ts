// The runner's artifact service on loopback, as @actions/artifact talks to it: Twirp JSON calls on
// ACTIONS_RESULTS_URL (CreateArtifact → a signed blob URL, FinalizeArtifact → the artifact id) with the runtime
// token as a bearer, and Azure Blob Storage's Put Block / Put Block List on the signed URL.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

const SERVICE = '/twirp/github.actions.results.api.v1.ArtifactService';

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
  const b64url = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const token = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url({ scp: `Actions.GenericRead Actions.Results:${RUN_BACKEND_ID}:${JOB_BACKEND_ID}` })}.sig`;
  const blocks = new Map<string, Buffer>();
  const blobs = new Map<string, Buffer>();
  const pending = new Map<string, { name: string; blob: string }>();
  let nextId = 4711;
  const server: Server = createServer((req, res) => void handle(req, res).catch((e: Error) => res.writeHead(500).end(e.message)));

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const url = new URL(req.url ?? '/', state.url);
    if (url.pathname.startsWith(`${SERVICE}/`)) {
      if (req.headers.authorization !== `Bearer ${token}`) return twirpError(res, 401, 'unauthenticated', 'bad token');
      const call = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
      if (call.workflow_run_backend_id !== RUN_BACKEND_ID || call.workflow_job_run_backend_id !== JOB_BACKEND_ID) {
        return twirpError(res, 400, 'invalid_argument', 'unknown backend ids');
      }
      const name = String(call.name);
      if (url.pathname.endsWith('/CreateArtifact')) {
        if (state.refuseCreateWith) return twirpError(res, state.refuseCreateWith.status, state.refuseCreateWith.code, state.refuseCreateWith.msg);
        if (state.artifacts.some((a) => a.name === name)) return twirpError(res, 409, 'already_exists', 'an artifact with this name already exists on the workflow run');
        const blob = `/devstoreaccount1/actions-results/${encodeURIComponent(name)}.zip`;
        pending.set(name, { name, blob });
        return json(res, 200, { ok: true, signed_upload_url: `${state.url}${blob}?sv=2023-11-03&sig=fakesig` });
      }
      if (url.pathname.endsWith('/FinalizeArtifact')) {
        const created = pending.get(name);
        const content = created && blobs.get(created.blob);
        if (!content) return twirpError(res, 404, 'not_found', 'artifact not found or not uploaded');
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
        return json(res, 200, { ok: true, artifact_id: String(id) });
      }
      return twirpError(res, 404, 'bad_route', `no handler for ${url.pathname}`);
    }
    // Blob storage: the signed URL's signature is required, like a SAS.
    if (url.searchParams.get('sig') !== 'fakesig') return void res.writeHead(403).end('AuthenticationFailed');
    const blob = url.pathname;
    const headers = { 'x-ms-request-id': 'fake', 'x-ms-version': '2023-11-03', etag: '"0x1"', 'last-modified': new Date().toUTCString() };
    if (req.method === 'PUT' && url.searchParams.get('comp') === 'block') {
      blocks.set(`${blob}#${url.searchParams.get('blockid')}`, body);
      return void res.writeHead(201, headers).end();
    }
    if (req.method === 'PUT' && url.searchParams.get('comp') === 'blocklist') {
      const ids = [...body.toString('utf8').matchAll(/<(?:Latest|Uncommitted|Committed)>([^<]*)<\//g)].map((m) => m[1]!);
      const parts = ids.map((id) => blocks.get(`${blob}#${id}`));
      if (parts.some((p) => p === undefined)) return void res.writeHead(400, headers).end('InvalidBlockList');
      blobs.set(blob, Buffer.concat(parts as Buffer[]));
      return void res.writeHead(201, headers).end();
    }
    if (req.method === 'PUT') {
      blobs.set(blob, body);
      return void res.writeHead(201, headers).end();
    }
    res.writeHead(405).end();
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const state: FakeArtifactService = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    token,
    artifacts: [],
    refuseCreateWith: undefined,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return state;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

function twirpError(res: ServerResponse, status: number, code: string, msg: string): void {
  json(res, status, { code, msg });
}
