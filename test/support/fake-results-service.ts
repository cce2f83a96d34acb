// The runner's results service on loopback, the part the artifact and cache fakes share: Twirp JSON calls under
// /twirp/<service>/<method> with the runtime token as a bearer, and Azure Blob Storage behind signed URLs (Put Blob,
// Put Block / Put Block List, Get Blob), as @actions/artifact and @actions/cache talk to them on ACTIONS_RESULTS_URL.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A Twirp error as the service answers it: an HTTP status and `{ code, msg }`. */
export interface TwirpError {
  status: number;
  code: string;
  msg: string;
}

/** What a Twirp method handler answers: a JSON body (200) or a Twirp error. */
export type TwirpAnswer = { body: unknown } | { error: TwirpError };

/** One service's methods: the caller's bearer token and the JSON request in, an answer out. */
export type TwirpHandlers = Record<string, (call: Record<string, unknown>, token: string) => TwirpAnswer | Promise<TwirpAnswer>>;

export interface FakeResultsServer {
  /** ACTIONS_RESULTS_URL. */
  url: string;
  /** The blobs uploaded so far, by path (`/<account>/<container>/<name>`). */
  blobs: Map<string, Buffer>;
  /** A signed URL for a blob path: the only way to read or write it. */
  signedUrl(blobPath: string): string;
  close(): Promise<void>;
}

const SIGNATURE = 'fakesig';

/**
 * Starts a results server on 127.0.0.1 serving the given Twirp services (full service name → handlers).
 * `authorize` says whether a bearer token may call at all (401 unauthenticated otherwise), as the service checks
 * the runtime token before anything else.
 */
export async function startResultsServer(services: Record<string, TwirpHandlers>, authorize: (token: string) => boolean): Promise<FakeResultsServer> {
  const blocks = new Map<string, Buffer>();
  const blobs = new Map<string, Buffer>();
  const server: Server = createServer((req, res) => void handle(req, res).catch((e: Error) => res.writeHead(500).end(e.message)));

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const url = new URL(req.url ?? '/', state.url);
    const twirp = /^\/twirp\/([^/]+)\/([^/]+)$/.exec(url.pathname);
    if (twirp) {
      const handlers = services[twirp[1]!];
      const method = handlers?.[twirp[2]!];
      if (req.method !== 'POST' || !method) return twirpError(res, { status: 404, code: 'bad_route', msg: `no handler for ${url.pathname}` });
      const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      if (!token || !authorize(token)) return twirpError(res, { status: 401, code: 'unauthenticated', msg: 'bad token' });
      let call: Record<string, unknown>;
      try {
        call = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
      } catch {
        return twirpError(res, { status: 400, code: 'malformed', msg: 'the request body is not JSON' });
      }
      const answer = await method(call, token);
      return 'error' in answer ? twirpError(res, answer.error) : json(res, 200, answer.body);
    }
    // Blob storage: the signed URL's signature is required, like a SAS.
    if (url.searchParams.get('sig') !== SIGNATURE) return void res.writeHead(403).end('AuthenticationFailed');
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
    if (req.method === 'GET' || req.method === 'HEAD') {
      const content = blobs.get(blob);
      if (!content) return void res.writeHead(404, headers).end('BlobNotFound');
      res.writeHead(200, { ...headers, 'content-type': 'application/octet-stream', 'content-length': String(content.length) });
      return void res.end(req.method === 'GET' ? content : undefined);
    }
    res.writeHead(405).end();
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const state: FakeResultsServer = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    blobs,
    signedUrl: (blobPath) => `${state.url}${blobPath}?sv=2023-11-03&sig=${SIGNATURE}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return state;
}

/** An unsigned JWT with these claims, shaped like the runner's ACTIONS_RUNTIME_TOKEN (the fakes read its claims). */
export function runtimeToken(claims: Record<string, unknown>): string {
  const b64url = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(claims)}.sig`;
}

/** The claims of a token made by runtimeToken; undefined for anything else. */
export function tokenClaims(token: string): Record<string, unknown> | undefined {
  const payload = token.split('.')[1];
  if (!payload) return undefined;
  try {
    const claims: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    return claims && typeof claims === 'object' ? (claims as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

function twirpError(res: ServerResponse, error: TwirpError): void {
  json(res, error.status, { code: error.code, msg: error.msg });
}
