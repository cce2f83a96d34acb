// A loopback proxy in the action's own process that adds the API key to model requests, so
// the key never enters the app-server's environment, CODEX_HOME or anything the agent can read.
// It is also where the model endpoint's real answers are seen: Codex replaces some error bodies with generic text
// and retries even a refused key, so the proxy retries what is retryable itself (429, 5xx, honouring retry-after),
// keeps the last error answer for the run's messages, and stops the run at the first 401/403.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { redact } from '../text/redact.js';
import { FATAL_MODEL_STATUSES, type ModelEndpointAnswer } from './agent-failure.js';
import { authHeaders, upstreamUrl, type Gateway } from './gateway.js';

/** A running proxy; `url` is what Codex's provider `base_url` points at. */
export interface ModelProxy {
  /** e.g. http://127.0.0.1:PORT/v1 */
  readonly url: string;
  /** Number of requests received from Codex for the model endpoint. */
  readonly forwarded: number;
  /** Number of requests sent upstream, retries included. */
  readonly upstreamRequests: number;
  /** The last error answer of the endpoint in this run (after retries), if any. */
  readonly lastError: ModelEndpointAnswer | undefined;
  /** The 401/403 that stopped the run; once set, nothing more is forwarded. */
  readonly fatal: ModelEndpointAnswer | undefined;
  close(): Promise<void>;
}

/** Where the proxy says that it retries; `core` fits. */
export interface ProxyLogger {
  info(message: string): void;
}

export interface ModelProxyOptions {
  /** Every secret of the run: none may appear in a recorded error message. */
  secrets?: readonly string[];
  /** Called once, at the first 401/403, before Codex sees the answer. */
  onFatal?: (answer: ModelEndpointAnswer) => void;
  /** Retries of a 429, a 5xx or a failed connection (default 4). */
  maxRetries?: number;
  /** A retry-after longer than this (seconds) is not waited for (default 60). */
  maxWaitSeconds?: number;
  /** Milliseconds per second of waiting: 1000 for real, tests pass 0. Default: CODEX_CI_MODEL_TIME_UNIT_MS, else 1000. */
  timeUnitMs?: number;
  logger?: ProxyLogger;
}

/** Environment override for timeUnitMs, for tests that reach the proxy through the session. */
export const MODEL_TIME_UNIT_ENV = 'CODEX_CI_MODEL_TIME_UNIT_MS';

// Hop-by-hop headers and the ones the proxy sets itself are not forwarded.
const DROPPED_REQUEST_HEADERS = new Set(['host', 'connection', 'content-length', 'authorization', 'api-key', 'keep-alive', 'transfer-encoding']);
const DROPPED_RESPONSE_HEADERS = new Set(['connection', 'content-length', 'keep-alive', 'transfer-encoding', 'content-encoding']);

const RESPONSES_PATH = /^\/v1\/responses(?:[/?]|$)/;
const DEFAULT_MAX_RETRIES = 4;
const DEFAULT_MAX_WAIT_SECONDS = 60;
// An error body is read whole to quote it; a hostile or broken endpoint cannot make it large.
const ERROR_BODY_MAX_BYTES = 64 * 1024;
/** Longest endpoint message kept (characters); the rest is cut with a marker. */
export const ERROR_MESSAGE_MAX_CHARS = 1000;

/** Starts the proxy: `POST <url>/…` is forwarded to `<upstream>/…` with the key in the gateway's header (default Bearer). */
export async function startModelProxy(
  upstream: string,
  apiKey: string,
  gateway: Gateway = { style: 'openai' },
  options: ModelProxyOptions = {},
): Promise<ModelProxy> {
  const state: ProxyState = {
    base: upstream.replace(/\/+$/, ''),
    gateway,
    endpoint: displayEndpoint(upstream),
    apiKey,
    secrets: [apiKey, ...(options.secrets ?? [])],
    options,
    timeUnitMs: timeUnit(options.timeUnitMs),
    upstreamRequests: 0,
    lastError: undefined,
    fatal: undefined,
  };
  let forwarded = 0;
  const server: Server = createServer((req, res) => {
    // The key is lent to model calls only: any other method or endpoint (files, admin, …) is refused.
    if (req.method !== 'POST' || !RESPONSES_PATH.test(req.url ?? '')) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"message":"codex-ci-action model proxy serves POST /v1/responses only"}}');
      return;
    }
    forwarded++;
    forward(req, res, state).catch((error: Error) => {
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
    get upstreamRequests() {
      return state.upstreamRequests;
    },
    get lastError() {
      return state.lastError;
    },
    get fatal() {
      return state.fatal?.answer;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

interface ProxyState {
  base: string;
  gateway: Gateway;
  endpoint: string;
  apiKey: string;
  secrets: string[];
  options: ModelProxyOptions;
  timeUnitMs: number;
  upstreamRequests: number;
  lastError: ModelEndpointAnswer | undefined;
  fatal: { answer: ModelEndpointAnswer; status: number; headers: Record<string, string>; body: Buffer } | undefined;
}

async function forward(req: IncomingMessage, res: ServerResponse, state: ProxyState): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  // After a refused key every request would be refused too: answer as the endpoint did, without asking it again.
  if (state.fatal) {
    res.writeHead(state.fatal.status, state.fatal.headers).end(state.fatal.body);
    return;
  }
  const path = (req.url ?? '/').replace(/^\/v1(?=\/|$)/, '');
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || DROPPED_REQUEST_HEADERS.has(name)) continue;
    headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  for (const [name, value] of Object.entries(authHeaders(state.gateway, state.apiKey))) headers.set(name, value);
  const body = Buffer.concat(chunks);
  const controller = new AbortController();
  // The client went away (turn interrupted): stop the upstream request, and any wait before a retry, too.
  res.on('close', () => controller.abort());
  const maxRetries = state.options.maxRetries ?? DEFAULT_MAX_RETRIES;

  for (let attempt = 0; ; attempt++) {
    let upstream: Response;
    try {
      state.upstreamRequests++;
      upstream = await fetch(upstreamUrl(state.base, path, state.gateway), { method: 'POST', headers, body, signal: controller.signal });
    } catch (error) {
      if (controller.signal.aborted) return;
      const cause = networkCause(error);
      if (attempt < maxRetries && (await retryAfterWait(state, attempt, undefined, `could not be reached (${cause})`, controller.signal))) continue;
      state.lastError = { status: 0, statusText: '', message: redactBounded(cause, state.secrets), endpoint: state.endpoint, retries: attempt, at: Date.now() };
      throw new Error(`the model endpoint ${state.endpoint} could not be reached: ${redactBounded(cause, state.secrets)}`);
    }
    const out: Record<string, string> = {};
    upstream.headers.forEach((value, name) => {
      if (!DROPPED_RESPONSE_HEADERS.has(name)) out[name] = value;
    });
    if (upstream.ok) {
      res.writeHead(upstream.status, out);
      if (upstream.body) await pipeline(Readable.fromWeb(upstream.body as import('node:stream/web').ReadableStream), res);
      else res.end();
      return;
    }
    const errorBody = await readBounded(upstream);
    const retryable = upstream.status === 429 || upstream.status >= 500;
    const what = `answered ${upstream.status} ${upstream.statusText}`.trim();
    if (retryable && attempt < maxRetries && (await retryAfterWait(state, attempt, upstream.headers, what, controller.signal))) continue;
    if (controller.signal.aborted) return;
    const answer: ModelEndpointAnswer = {
      status: upstream.status,
      statusText: upstream.statusText,
      message: redactBounded(errorMessageOf(errorBody), state.secrets),
      endpoint: state.endpoint,
      retries: attempt,
      at: Date.now(),
    };
    state.lastError = answer;
    if (FATAL_MODEL_STATUSES.has(upstream.status) && !state.fatal) {
      state.fatal = { answer, status: upstream.status, headers: out, body: errorBody };
      // The session stops every turn before Codex starts its reconnect loop on this answer.
      state.options.onFatal?.(answer);
    }
    res.writeHead(upstream.status, out).end(errorBody);
    return;
  }
}

/**
 * Waits before retry `attempt + 1`: as long as the endpoint's retry-after(-ms) says, else 1, 2, 4, 8 … s.
 * Returns false (no retry) when the endpoint asks for a wait longer than maxWaitSeconds, or the client went away.
 */
async function retryAfterWait(state: ProxyState, attempt: number, headers: Headers | undefined, what: string, signal: AbortSignal): Promise<boolean> {
  const asked = retryAfterSeconds(headers);
  const maxWait = state.options.maxWaitSeconds ?? DEFAULT_MAX_WAIT_SECONDS;
  if (asked !== undefined && asked > maxWait) {
    state.options.logger?.info(`The model endpoint ${what} and asks to retry after ${asked} s, longer than ${maxWait} s; not retrying.`);
    return false;
  }
  const seconds = asked ?? 2 ** attempt;
  state.options.logger?.info(
    `The model endpoint ${what}; retry ${attempt + 1} in ${seconds} s${asked !== undefined ? ' (as its retry-after asks)' : ''}.`,
  );
  await abortableDelay(seconds * state.timeUnitMs, signal);
  return !signal.aborted;
}

/** Seconds from `retry-after-ms`, or `retry-after` (seconds or an HTTP date); undefined when absent or unreadable. */
export function retryAfterSeconds(headers: Headers | undefined, now = Date.now()): number | undefined {
  const ms = headers?.get('retry-after-ms');
  if (ms && Number.isFinite(Number(ms)) && Number(ms) >= 0) return Number(ms) / 1000;
  const value = headers?.get('retry-after')?.trim();
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - now) / 1000));
}

/** The endpoint's own message: OpenAI and Azure send `{"error":{"message":…}}`; others plain text. */
export function errorMessageOf(body: Buffer): string {
  const text = body.toString('utf8').trim();
  try {
    const json = JSON.parse(text) as unknown;
    const error = (json as { error?: unknown })?.error;
    const message =
      error && typeof error === 'object' ? (error as { message?: unknown }).message : typeof error === 'string' ? error : (json as { message?: unknown })?.message;
    if (typeof message === 'string' && message.trim()) return message;
  } catch {
    // Not JSON: the text itself is the message.
  }
  return text;
}

/** The configured endpoint as shown to the user: no credentials, no query (Azure puts keys there). */
export function displayEndpoint(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    parsed.search = '';
    parsed.hash = '';
    return parsed.toString().replace(/\/+$/, '');
  } catch {
    return url.replace(/[?#].*$/, '');
  }
}

function redactBounded(text: string, secrets: readonly string[]): string {
  const clean = redact(text, secrets).replace(/\s+/g, ' ').trim();
  return clean.length > ERROR_MESSAGE_MAX_CHARS ? `${clean.slice(0, ERROR_MESSAGE_MAX_CHARS)}… (cut)` : clean;
}

async function readBounded(response: Response): Promise<Buffer> {
  if (!response.body) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of Readable.fromWeb(response.body as import('node:stream/web').ReadableStream)) {
    const buffer = chunk as Buffer;
    chunks.push(buffer.subarray(0, ERROR_BODY_MAX_BYTES - size));
    size += buffer.length;
    if (size >= ERROR_BODY_MAX_BYTES) break;
  }
  return Buffer.concat(chunks);
}

function networkCause(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message;
}

function abortableDelay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

function timeUnit(explicit: number | undefined): number {
  if (explicit !== undefined && Number.isFinite(explicit) && explicit >= 0) return explicit;
  const fromEnv = process.env[MODEL_TIME_UNIT_ENV];
  if (fromEnv !== undefined && fromEnv.trim() !== '' && Number.isFinite(Number(fromEnv)) && Number(fromEnv) >= 0) return Number(fromEnv);
  return 1000;
}
