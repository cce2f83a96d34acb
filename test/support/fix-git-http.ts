// A git smart-HTTP server on loopback (`git http-backend` as CGI) that demands a token, like github.com does.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, basename } from 'node:path';
import { execa } from 'execa';

/** The server; `url` is the clone URL of the repository it serves. */
export interface GitHttpServer {
  url: string;
  /** The Authorization header of every request, in order (undefined when absent). */
  authorizations: Array<string | undefined>;
  /**
   * When set, pushes (the receive-pack service) are answered 403 with this text, as github.com answers a token
   * that may read but not write; fetches still work.
   */
  refusePushWith: string | undefined;
  close(): Promise<void>;
}

/** Serves the bare repository `bareRepo`, answering 401 unless the request carries `Basic base64(x-access-token:token)`. */
export async function startGitHttpServer(bareRepo: string, token: string): Promise<GitHttpServer> {
  const expected = `Basic ${Buffer.from(`x-access-token:${token}`).toString('base64')}`;
  const authorizations: Array<string | undefined> = [];
  const server: Server = createServer((req, res) => void handle(req, res));

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const auth = req.headers.authorization;
    authorizations.push(auth);
    // Git sends `basic`; HTTP scheme names are case-insensitive.
    if (!auth || auth.replace(/^basic/i, 'Basic') !== expected) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="fake"' }).end('Unauthorized');
      return;
    }
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const url = new URL(req.url ?? '/', 'http://localhost');
    const isPush = url.searchParams.get('service') === 'git-receive-pack' || url.pathname.endsWith('/git-receive-pack');
    if (isPush && state.refusePushWith !== undefined) {
      // Git shows a text/plain error body to the user, each line prefixed with `remote:`.
      res.writeHead(403, { 'content-type': 'text/plain; charset=utf-8' }).end(`${state.refusePushWith}\n`);
      return;
    }
    const result = await execa('git', ['http-backend'], {
      input: Buffer.concat(chunks),
      encoding: 'buffer',
      reject: false,
      env: {
        GIT_PROJECT_ROOT: dirname(bareRepo),
        GIT_HTTP_EXPORT_ALL: '1',
        REMOTE_USER: 'x-access-token',
        REQUEST_METHOD: req.method ?? 'GET',
        PATH_INFO: decodeURIComponent(url.pathname),
        QUERY_STRING: url.search.replace(/^\?/, ''),
        CONTENT_TYPE: req.headers['content-type'] ?? '',
        CONTENT_LENGTH: String(Buffer.concat(chunks).length),
        HTTP_GIT_PROTOCOL: String(req.headers['git-protocol'] ?? ''),
      },
    });
    const out = Buffer.from(result.stdout);
    const split = out.indexOf('\r\n\r\n');
    const headerText = out.subarray(0, split).toString('utf8');
    const body = out.subarray(split + 4);
    let status = 200;
    const headers: Record<string, string> = {};
    for (const line of headerText.split('\r\n')) {
      const at = line.indexOf(':');
      if (at < 0) continue;
      const name = line.slice(0, at).trim();
      const value = line.slice(at + 1).trim();
      if (name.toLowerCase() === 'status') status = Number(value.split(' ')[0]);
      else headers[name] = value;
    }
    res.writeHead(status, headers).end(body);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const state: GitHttpServer = {
    url: `http://127.0.0.1:${port}/${basename(bareRepo)}`,
    authorizations,
    refusePushWith: undefined,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return state;
}
