// A JSON-RPC connection over newline-delimited JSON on a child process's stdio (no Codex knowledge).
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { z } from 'zod';

/** A JSON-RPC error answered by the other side; keeps its code and data. */
export class RpcError extends Error {
  constructor(
    readonly method: string,
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(`${method} failed (${code}): ${message}`);
    this.name = 'RpcError';
  }
}

/** The connection closed while a request was pending; `cause` says why. */
export class ConnectionClosedError extends Error {
  constructor(method: string, cause: Error) {
    super(`${method} got no answer: ${cause.message}`, { cause });
    this.name = 'ConnectionClosedError';
  }
}

/** Something to undo a registration. */
export interface Disposable {
  dispose(): void;
}

/** Where the connection reports what it skips; `core` fits. */
export interface RpcLogger {
  debug(message: string): void;
  warning(message: string): void;
}

type RequestId = number | string;
type NotificationHandler = (method: string, params: unknown) => void;
/** Answers a request the other side sent; a throw becomes a JSON-RPC error reply. */
export type RequestHandler = (method: string, params: unknown) => Promise<unknown>;

// The three message shapes we read: a response, a request from the server, a notification.
const responseSchema = z.object({
  id: z.union([z.number(), z.string()]),
  result: z.unknown().optional(),
  error: z.object({ code: z.number(), message: z.string(), data: z.unknown().optional() }).optional(),
});
const incomingSchema = z.object({
  id: z.union([z.number(), z.string()]).optional(),
  method: z.string().optional(),
  params: z.unknown().optional(),
});

interface Pending {
  method: string;
  resolve: (value: unknown) => void;
  reject: (reason: Error) => void;
}

/** One JSON-RPC conversation, listening until closed; on close every pending request is rejected. */
export class JsonRpcConnection {
  private state: 'listening' | 'closed' = 'listening';
  private closeReason: Error | undefined;
  private nextId = 1;
  private readonly pending = new Map<RequestId, Pending>();
  private readonly notificationHandlers = new Set<NotificationHandler>();
  private requestHandler: RequestHandler | undefined;

  constructor(
    input: Readable,
    private readonly output: Writable,
    private readonly log: RpcLogger,
  ) {
    const lines = createInterface({ input, crlfDelay: Infinity });
    lines.on('line', (line) => this.onLine(line));
    // A write to a dead child fails asynchronously; the exit handler reports the real cause.
    output.on('error', (error) => this.log.debug(`rpc: write failed: ${error.message}`));
  }

  /** Sends a request and resolves with its result, or rejects with RpcError / ConnectionClosedError. */
  request(method: string, params: unknown): Promise<unknown> {
    if (this.state === 'closed') return Promise.reject(new ConnectionClosedError(method, this.closeReason!));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { method, resolve, reject });
      this.send({ id, method, params });
    });
  }

  /** Sends a notification (no answer expected). */
  notify(method: string, params?: unknown): void {
    if (this.state === 'closed') return;
    this.send(params === undefined ? { method } : { method, params });
  }

  /** Registers a handler for every notification. */
  onNotification(handler: NotificationHandler): Disposable {
    this.notificationHandlers.add(handler);
    return { dispose: () => this.notificationHandlers.delete(handler) };
  }

  /** Sets the one handler for requests the other side sends. */
  onRequest(handler: RequestHandler): void {
    this.requestHandler = handler;
  }

  /** Closes the connection and rejects every pending request with `reason`. */
  close(reason: Error): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.closeReason = reason;
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      p.reject(new ConnectionClosedError(p.method, reason));
    }
  }

  get isClosed(): boolean {
    return this.state === 'closed';
  }

  private send(message: Record<string, unknown>): void {
    const text = JSON.stringify(message);
    this.log.debug(`rpc → ${text.length > 2000 ? `${text.slice(0, 2000)}…` : text}`);
    this.output.write(`${text}\n`);
  }

  private onLine(line: string): void {
    if (!line.trim()) return;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      // The server may print stray text; one bad line must not end the session.
      this.log.warning(`codex app-server printed a line that is not JSON; skipped: ${line.slice(0, 200)}`);
      return;
    }
    this.log.debug(`rpc ← ${line.length > 2000 ? `${line.slice(0, 2000)}…` : line}`);
    const message = incomingSchema.safeParse(json);
    if (!message.success) {
      this.log.warning(`codex app-server sent a message that is not JSON-RPC; skipped: ${line.slice(0, 200)}`);
      return;
    }
    const { id, method, params } = message.data;
    if (method !== undefined && id !== undefined) void this.answer(id, method, params);
    else if (method !== undefined) this.dispatchNotification(method, params);
    else if (id !== undefined) this.settle(json);
  }

  private settle(json: unknown): void {
    const parsed = responseSchema.safeParse(json);
    if (!parsed.success) {
      // An answer we cannot read must not leave its request waiting forever.
      const id = (json as { id?: unknown }).id;
      const p = typeof id === 'number' || typeof id === 'string' ? this.pending.get(id) : undefined;
      this.log.warning(`codex app-server sent an answer that is not JSON-RPC; ${p ? `failing ${p.method}` : 'skipped'}.`);
      if (p) {
        this.pending.delete(id as RequestId);
        p.reject(new RpcError(p.method, -32603, 'the answer could not be read'));
      }
      return;
    }
    const { id, result, error } = parsed.data;
    const p = this.pending.get(id);
    if (!p) {
      this.log.debug(`rpc: answer for unknown request ${id}`);
      return;
    }
    this.pending.delete(id);
    if (error) p.reject(new RpcError(p.method, error.code, error.message, error.data));
    else p.resolve(result);
  }

  private dispatchNotification(method: string, params: unknown): void {
    for (const handler of this.notificationHandlers) {
      try {
        handler(method, params);
      } catch (error) {
        this.log.warning(`handler for ${method} failed: ${(error as Error).message}`);
      }
    }
  }

  private async answer(id: RequestId, method: string, params: unknown): Promise<void> {
    try {
      if (!this.requestHandler) throw new RpcError(method, -32601, 'no handler for server requests');
      const result = await this.requestHandler(method, params);
      if (this.state !== 'closed') this.send({ id, result });
    } catch (error) {
      const code = error instanceof RpcError ? error.code : -32603;
      if (this.state !== 'closed') this.send({ id, error: { code, message: (error as Error).message } });
    }
  }
}
