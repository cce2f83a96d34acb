// A scripted OpenAI Responses API on loopback: the real codex binary talks to it in tests.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One model round trip as the server saw it. */
export interface ModelRequest {
  path: string;
  /** The query parameters of the request URL (gateways such as Azure put `api-version` there). */
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: ResponsesBody;
  /** Raw request text, for "does this secret appear anywhere" checks. */
  raw: string;
  receivedAt: number;
  finishedAt?: number;
}

/** The parts of a Responses API request body the tests read. */
export interface ResponsesBody {
  model?: string;
  instructions?: string;
  input?: Array<Record<string, unknown>>;
  tools?: Array<{ name?: string; type?: string }>;
  text?: { format?: { type?: string; name?: string; schema?: unknown } };
  [key: string]: unknown;
}

/** What the scripted model answers: a message, a command to run, or a raw list of output items. */
export type ModelReply =
  | { message: string; delayMs?: number }
  | { exec: string; delayMs?: number; callId?: string }
  | { items: Array<Record<string, unknown>>; delayMs?: number }
  | { httpStatus: number; body?: string; headers?: Record<string, string>; delayMs?: number };

/** An error answer as OpenAI sends it: `{"error":{"message","type","code"}}`, with optional headers (retry-after). */
export function errorReply(httpStatus: number, message: string, headers?: Record<string, string>): ModelReply {
  const type = httpStatus === 429 ? 'rate_limit_error' : httpStatus >= 500 ? 'server_error' : 'invalid_request_error';
  return { httpStatus, body: JSON.stringify({ error: { message, type, code: null, param: null } }), ...(headers ? { headers } : {}) };
}

/** Chooses a reply for a request; gets the request and its index among all requests. */
export type ReplyFn = (req: ModelRequest, index: number) => ModelReply | Promise<ModelReply>;

/** Options of ModelServer.start. */
export interface ModelServerOptions {
  /**
   * Milliseconds each request waits before it is answered, on top of a reply's own `delayMs`: a model's time to
   * answer (benchmarks only; default 0). A function of the request gives different turns different times.
   */
  latencyMs?: number | ((req: ModelRequest) => number);
}

/** The scripted Responses server. */
export class ModelServer {
  readonly requests: ModelRequest[] = [];
  private queue: ModelReply[] = [];
  private handler: ReplyFn | undefined;
  private callCounter = 0;

  private constructor(
    private readonly server: Server,
    /** Base URL to configure as the provider's `base_url` (ends in /v1). */
    readonly url: string,
    private readonly latency: ModelServerOptions['latencyMs'],
  ) {}

  /** Starts the server on 127.0.0.1 with an ephemeral port. */
  static async start(options: ModelServerOptions = {}): Promise<ModelServer> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const self = new ModelServer(server, `http://127.0.0.1:${port}/v1`, options.latencyMs);
    server.on('request', (req, res) => void self.handle(req, res));
    return self;
  }

  /** Queues replies answered in order (used when no handler is set, or the handler returns undefined). */
  enqueue(...replies: ModelReply[]): this {
    this.queue.push(...replies);
    return this;
  }

  /** Answers every request with a function of the request (for concurrent forks). */
  respond(fn: ReplyFn): this {
    this.handler = fn;
    return this;
  }

  /** Requests to the Responses endpoint only. */
  get responseRequests(): ModelRequest[] {
    return this.requests.filter((r) => r.path.endsWith('/responses'));
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const path = (req.url ?? '').split('?')[0] ?? '';
    let body: ResponsesBody = {};
    try {
      body = raw ? (JSON.parse(raw) as ResponsesBody) : {};
    } catch {
      body = {};
    }
    const query = new URL(req.url ?? '/', 'http://model.invalid').searchParams;
    const record: ModelRequest = { path, query, headers: req.headers, body, raw, receivedAt: Date.now() };
    const index = this.requests.push(record) - 1;
    if (req.method !== 'POST' || !path.endsWith('/responses')) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"message":"not scripted"}}');
      return;
    }
    let reply: ModelReply | undefined;
    try {
      reply = this.handler ? await this.handler(record, index) : this.queue.shift();
    } catch (error) {
      res.writeHead(500).end(String(error));
      return;
    }
    reply ??= { message: 'No more scripted replies.' };
    const latency = typeof this.latency === 'function' ? this.latency(record) : (this.latency ?? 0);
    const delayMs = (reply.delayMs ?? 0) + latency;
    if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs).unref());
    if ('httpStatus' in reply) {
      res.writeHead(reply.httpStatus, { 'content-type': 'application/json', ...reply.headers }).end(reply.body ?? '{}');
      record.finishedAt = Date.now();
      return;
    }
    const id = `resp-${index + 1}`;
    const items = this.itemsOf(reply, index);
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const send = (type: string, data: Record<string, unknown>) =>
      res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
    send('response.created', { response: { id } });
    for (const item of items) send('response.output_item.done', { item });
    send('response.completed', {
      response: {
        id,
        usage: {
          input_tokens: 100,
          input_tokens_details: { cached_tokens: 40 },
          output_tokens: 10,
          output_tokens_details: { reasoning_tokens: 0 },
          total_tokens: 110,
        },
      },
    });
    res.end();
    record.finishedAt = Date.now();
  }

  private itemsOf(reply: ModelReply, index: number): Array<Record<string, unknown>> {
    if ('items' in reply) return reply.items;
    if ('exec' in reply) {
      const callId = reply.callId ?? `call-${++this.callCounter}`;
      return [
        {
          type: 'function_call',
          id: `fc-${index + 1}`,
          call_id: callId,
          name: 'exec_command',
          arguments: JSON.stringify({ cmd: reply.exec }),
        },
      ];
    }
    if ('message' in reply) {
      return [
        {
          type: 'message',
          role: 'assistant',
          id: `msg-${index + 1}`,
          content: [{ type: 'output_text', text: reply.message }],
        },
      ];
    }
    return [];
  }
}

/** All text of the user messages in a request, joined. */
export function userText(req: ModelRequest): string {
  return (req.body.input ?? [])
    .filter((i) => i.type === 'message' && i.role === 'user')
    .map((i) => contentText(i.content))
    .join('\n');
}

/** Text of the last user message in a request (the turn's prompt). */
export function lastUserText(req: ModelRequest): string {
  const users = (req.body.input ?? []).filter((i) => i.type === 'message' && i.role === 'user');
  return contentText(users.at(-1)?.content);
}

/** Outputs of commands the model asked for, as the request carries them back. */
export function functionCallOutputs(req: ModelRequest): string[] {
  return (req.body.input ?? [])
    .filter((i) => i.type === 'function_call_output')
    .map((i) => (typeof i.output === 'string' ? i.output : JSON.stringify(i.output)));
}

/** True when the request's last input item is a command's output (the model is mid-turn). */
export function isAfterToolCall(req: ModelRequest): boolean {
  return req.body.input?.at(-1)?.type === 'function_call_output';
}

/** Text of all assistant messages in a request's history. */
export function assistantText(req: ModelRequest): string {
  return (req.body.input ?? [])
    .filter((i) => i.type === 'message' && i.role === 'assistant')
    .map((i) => contentText(i.content))
    .join('\n');
}

function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((c) => (c && typeof c === 'object' && 'text' in c ? String((c as { text: unknown }).text) : ''))
    .join('');
}
