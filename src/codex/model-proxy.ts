// A loopback proxy in the action's own process that adds the API key to model requests, so
// the key never enters the app-server's environment, CODEX_HOME or anything the agent can read.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { authHeaders, upstreamUrl, type Gateway } from './gateway.js';

/** A running proxy; `url` is what Codex's provider `base_url` points at. */
export interface ModelProxy {
  /** e.g. http://127.0.0.1:PORT/v1 */
  readonly url: string;
  /** Number of requests forwarded so far. */
  readonly forwarded: number;
  close(): Promise<void>;
}

// Hop-by-hop headers and the ones the proxy sets itself are not forwarded.
const DROPPED_REQUEST_HEADERS = new Set(['host', 'connection', 'content-length', 'authorization', 'api-key', 'keep-alive', 'transfer-encoding']);
const DROPPED_RESPONSE_HEADERS = new Set(['connection', 'content-length', 'keep-alive', 'transfer-encoding', 'content-encoding']);

const RESPONSES_PATH = /^\/v1\/responses(?:[/?]|$)/;

/** Starts the proxy: `POST <url>/…` is forwarded to `<upstream>/…` with the key in the gateway's header (default Bearer). */
export async function startModelProxy(upstream: string, apiKey: string, gateway: Gateway = { style: 'openai' }): Promise<ModelProxy> {
  const base = upstream.replace(/\/+$/, '');
  let forwarded = 0;
  const server: Server = createServer((req, res) => {
    // The key is lent to model calls only: any other method or endpoint (files, admin, …) is refused.
    if (req.method !== 'POST' || !RESPONSES_PATH.test(req.url ?? '')) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"message":"codex-ci-action model proxy serves POST /v1/responses only"}}');
      return;
    }
    forwarded++;
    forward(req, res, base, apiKey, gateway).catch((error: Error) => {
      // Never echo request headers here: they could carry the key.
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: `codex-ci-action model proxy: ${error.message}` } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    get forwarded() {
      return forwarded;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function forward(req: IncomingMessage, res: ServerResponse, base: string, apiKey: string, gateway: Gateway): Promise<void> {
  const path = (req.url ?? '/').replace(/^\/v1(?=\/|$)/, '');
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || DROPPED_REQUEST_HEADERS.has(name)) continue;
    headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  for (const [name, value] of Object.entries(authHeaders(gateway, apiKey))) headers.set(name, value);
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
  const controller = new AbortController();
  // The client went away (turn interrupted): stop the upstream request too.
  res.on('close', () => controller.abort());
  const upstream = await fetch(upstreamUrl(base, path, gateway), {
    method: req.method,
    headers,
    body: hasBody ? Buffer.concat(chunks) : undefined,
    signal: controller.signal,
  });
  const out: Record<string, string> = {};
  upstream.headers.forEach((value, name) => {
    if (!DROPPED_RESPONSE_HEADERS.has(name)) out[name] = value;
  });
  res.writeHead(upstream.status, out);
  if (upstream.body) await pipeline(Readable.fromWeb(upstream.body as import('node:stream/web').ReadableStream), res);
  else res.end();
}
