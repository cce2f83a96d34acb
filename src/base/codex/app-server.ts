// One `codex app-server` process: spawn, initialize, threads, forks and turns → TurnResult. One file: the process,
// its pending turns and its threads share one connection state, and splitting them would spread that state out.
import { execa, type ResultPromise } from 'execa';
import { z } from 'zod';
import { approvalLogLine, describeAction, recordOfAutoReview, type ApprovalRecord } from './approvals.js';
import { AsyncQueue } from './async-queue.js';
import type { RunBudget } from './budget.js';
import {
  APPROVAL_REQUESTS,
  AUTO_REVIEW_NOTIFICATIONS,
  autoApprovalReview,
  guardianWarning,
  commandApprovalParams,
  fileChangeApprovalParams,
  initializeResult,
  threadResult,
  turnNotifications,
  turnStartResult,
  type ThreadItem,
  type TurnEvent,
  type TurnStatus,
} from './protocol.js';
import { AgentFailure } from './agent-failure.js';
import { ConnectionClosedError, JsonRpcConnection, RpcError, type Disposable, type RpcLogger } from './rpc.js';
import { sandboxFailureIn } from './sandbox.js';
import { TOOL_NAME, TOOL_VERSION } from '../version.js';

/** The app-server process ended; carries its exit code and the tail of its stderr. A run with a dead server fails. */
export class AppServerExitedError extends AgentFailure {
  constructor(
    readonly exitCode: number | null,
    readonly signal: string | null,
    readonly stderrTail: string,
    cause?: Error,
  ) {
    const how = signal ? `was killed by ${signal}` : `exited with code ${exitCode}`;
    const tail = stderrTail.trim() ? `\nLast lines of its stderr:\n${stderrTail.trim()}` : ' (no stderr output)';
    super(`codex app-server ${how}.${tail}`, { cause });
    this.name = 'AppServerExitedError';
  }
}

/** A turn ran past its time limit and did not stop after `turn/interrupt`. */
export class TurnTimeoutError extends Error {
  constructor(threadId: string, timeoutMs: number) {
    super(
      `The turn on thread ${threadId} ran past its ${Math.round(timeoutMs / 1000)} s limit and did not stop ` +
        `when interrupted, so the app-server was stopped. Raise 'timeout-minutes' if the task needs longer.`,
    );
    this.name = 'TurnTimeoutError';
  }
}

/** An approval the agent asks for; the action answers it (a CI job has no human to ask). */
export type ApprovalRequest =
  | { kind: 'command'; threadId: string; turnId: string; command: string | null; cwd: string | null; reason: string | null }
  | { kind: 'fileChange'; threadId: string; turnId: string; reason: string | null };
export type ApprovalDecision = 'accept' | 'decline';
export type ApprovalHandler = (request: ApprovalRequest) => ApprovalDecision | Promise<ApprovalDecision>;

/** Where the client logs: `@actions/core` fits. */
export interface Logger extends RpcLogger {
  info(message: string): void;
}

export interface AppServerOptions {
  /** Path of the codex binary. */
  codexPath: string;
  /** Working directory of the process (threads may set their own). */
  cwd: string;
  /** The complete environment of the process: the caller passes a minimal one, never secrets. */
  env: Record<string, string>;
  /** `key=value` overrides passed as `-c`. */
  configOverrides?: string[];
  /** Answers approval requests; the default declines them. */
  onApproval?: ApprovalHandler;
  /** The run's token and turn budget, shared by every thread (and every app-server) of the run. */
  budget?: RunBudget;
  /** Told of every approval decision, the auto-reviewer's and the handler's, as it is made (it is also logged). */
  onApprovalDecision?: (record: ApprovalRecord) => void;
  logger?: Logger;
  /** How long a turn may take to stop after `turn/interrupt` before the process is killed. */
  interruptGraceMs?: number;
  /** Retries of a request the server refuses as overloaded (-32001). */
  overloadRetries?: number;
  /**
   * Says why a turn failed in better words than Codex's (which may be generic, or name the loopback proxy): gets
   * Codex's message and when the turn started; returns the message to use.
   */
  explainTurnError?: (codexMessage: string | null, turnStartedAt: number) => string | null;
}

export type SandboxMode = 'read-only' | 'workspace-write' | 'danger-full-access';

/** Settings of a new or forked thread. */
export interface ThreadOptions {
  model?: string;
  cwd?: string;
  sandbox?: SandboxMode;
  approvalPolicy?: 'never' | 'on-request' | 'untrusted';
  approvalsReviewer?: 'user' | 'auto_review';
  baseInstructions?: string;
  developerInstructions?: string;
  config?: Record<string, unknown>;
}

/** Settings of one turn. */
export interface TurnOptions {
  /** JSON Schema of the final message; the model answers JSON. */
  outputSchema?: unknown;
  effort?: string;
  model?: string;
  /** The turn is interrupted after this long. */
  timeoutMs?: number;
  /** Which part of the job the turn belongs to (base, chunks, fix attempts …), for tokens per phase. */
  phase?: string;
}

/** Token counts of one turn. */
export interface Usage {
  inputTokens: number;
  cachedInputTokens: number;
  outputTokens: number;
  reasoningOutputTokens: number;
}

/** What one turn produced. */
export interface TurnResult {
  threadId: string;
  turnId: string;
  status: Exclude<TurnStatus, 'inProgress'>;
  /** Text of the last agent message, or null when there was none. */
  finalResponse: string | null;
  /** Every completed item, in order. */
  items: ThreadItem[];
  usage: Usage;
  timing: { startedAt: number; durationMs: number };
  /** The turn's error message when it failed. */
  error: string | null;
  /** True when the action interrupted the turn for running past `timeoutMs`. */
  timedOut: boolean;
}

const OVERLOADED = -32001;
const STDERR_TAIL_BYTES = 4096;

/** The stream of one turn's events; `timedOut` is set when the action interrupted it. */
export interface TurnStream extends AsyncIterable<TurnEvent> {
  readonly threadId: string;
  readonly timedOut: boolean;
  /** Why the run's budget interrupted the turn, when it did. */
  readonly budgetStopped?: string;
}

interface ActiveTurn {
  queue: AsyncQueue<TurnEvent>;
  timedOut: boolean;
  phase?: string;
  turnId?: string;
  /** Why the run's budget interrupted this turn. */
  budgetStopped?: string;
}

/** A running app-server: one per action run, serving many threads. */
export class AppServer {
  private readonly turns = new Map<string, ActiveTurn>();
  private stderrTail = '';
  private sandboxError: string | undefined;
  /** Why the action itself killed the process, for the error every waiting turn gets. */
  private killReason: string | undefined;
  private exited: AppServerExitedError | undefined;
  /** Why the run was stopped while the process still ran (the model endpoint refused the key). */
  private stopped: AgentFailure | undefined;
  private readonly exitPromise: Promise<void>;

  private constructor(
    private readonly child: ResultPromise,
    private readonly rpc: JsonRpcConnection,
    private readonly options: AppServerOptions,
  ) {
    // With `reject: false` the execa promise settles once, however the process ended (spawn errors included).
    this.exitPromise = child.then((result) => {
      const spawnError = result.exitCode === undefined && !result.signal ? `\n${result.originalMessage ?? ''}` : '';
      const reason = this.killReason ? `\n${this.killReason}` : '';
      this.onExit(new AppServerExitedError(result.exitCode ?? null, result.signal ?? null, this.stderrTail + spawnError + reason));
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      this.stderrTail = (this.stderrTail + text).slice(-STDERR_TAIL_BYTES);
      for (const line of text.split('\n')) if (line.trim()) this.log.debug(`codex: ${line}`);
    });
    rpc.onNotification((method, params) => this.onNotification(method, params));
    options.budget?.onReached((reason) => this.stopForBudget(reason));
    rpc.onRequest((method, params) => this.onServerRequest(method, params));
  }

  /** Spawns `codex app-server` and completes the initialize handshake. */
  static async start(options: AppServerOptions): Promise<AppServer> {
    const args = [...(options.configOverrides ?? []).flatMap((c) => ['-c', c]), 'app-server'];
    const child = execa(options.codexPath, args, {
      cwd: options.cwd,
      env: options.env,
      extendEnv: false,
      stdin: 'pipe',
      stdout: 'pipe',
      stderr: 'pipe',
      buffer: false,
      reject: false,
      cleanup: true,
    });
    const log = options.logger ?? silentLogger;
    const rpc = new JsonRpcConnection(child.stdout!, child.stdin!, log);
    const server = new AppServer(child, rpc, options);
    try {
      initializeResult.parse(
        await server.call('initialize', {
          clientInfo: { name: TOOL_NAME, title: 'Codex CI Action', version: TOOL_VERSION },
          capabilities: null,
        }),
      );
      rpc.notify('initialized');
    } catch (error) {
      // A process that died explains itself through its exit; any other failure (an RPC error, a bad answer) is the news.
      const died = error instanceof ConnectionClosedError;
      await server.close();
      throw died ? (server.exited ?? error) : error;
    }
    return server;
  }

  /** Starts a new thread. */
  async startThread(options: ThreadOptions = {}): Promise<Thread> {
    this.throwIfFailed();
    const result = threadResult.parse(await this.call('thread/start', compact({ ...options })));
    return new Thread(this, result.thread.id);
  }

  /** Resumes a thread this server knows (from its rollout on disk). */
  async resumeThread(threadId: string, options: ThreadOptions = {}): Promise<Thread> {
    this.throwIfFailed();
    const result = threadResult.parse(
      await this.call('thread/resume', compact({ threadId, excludeTurns: true, ...options })),
    );
    return new Thread(this, result.thread.id);
  }

  /** Forks a thread: the new thread starts with the parent's whole history. */
  async forkThread(threadId: string, options: ThreadOptions = {}): Promise<Thread> {
    this.throwIfFailed();
    const result = threadResult.parse(
      await this.call('thread/fork', compact({ threadId, excludeTurns: true, ...options })),
    );
    return new Thread(this, result.thread.id);
  }

  /** Starts a turn and returns its event stream, which ends after `turn/completed`. */
  streamTurn(threadId: string, prompt: string, options: TurnOptions = {}): TurnStream {
    const active: ActiveTurn = { queue: new AsyncQueue<TurnEvent>(), timedOut: false, phase: options.phase };
    // The turn starts (and is registered) when the stream is first read, so an unread stream holds nothing.
    const events = this.turnEvents(threadId, prompt, options, active);
    return {
      threadId,
      get timedOut() {
        return active.timedOut;
      },
      get budgetStopped() {
        return active.budgetStopped;
      },
      [Symbol.asyncIterator]: () => events,
    };
  }

  /** Runs one turn to its end and collects the result. */
  async runTurn(threadId: string, prompt: string, options: TurnOptions = {}): Promise<TurnResult> {
    const startedAt = Date.now();
    const stream = this.streamTurn(threadId, prompt, options);
    const items: ThreadItem[] = [];
    let usage: Usage = { inputTokens: 0, cachedInputTokens: 0, outputTokens: 0, reasoningOutputTokens: 0 };
    let finalResponse: string | null = null;
    let turnId = '';
    let status: TurnResult['status'] = 'failed';
    let error: string | null = null;
    for await (const event of stream) {
      switch (event.method) {
        case 'turn/started':
          turnId = event.params.turn.id;
          break;
        case 'item/completed':
          items.push(event.params.item);
          if (event.params.item.type === 'agentMessage') finalResponse = (event.params.item as { text: string }).text;
          break;
        case 'thread/tokenUsage/updated': {
          // `total` is the thread's running total (a fork starts from its parent's); sum `last` per turn instead.
          const last = event.params.tokenUsage.last;
          usage = {
            inputTokens: usage.inputTokens + last.inputTokens,
            cachedInputTokens: usage.cachedInputTokens + last.cachedInputTokens,
            outputTokens: usage.outputTokens + last.outputTokens,
            reasoningOutputTokens: usage.reasoningOutputTokens + last.reasoningOutputTokens,
          };
          break;
        }
        case 'error':
          if (!event.params.willRetry) error = event.params.error.message;
          break;
        case 'turn/completed': {
          const turn = event.params.turn;
          turnId = turn.id;
          status = turn.status === 'inProgress' ? 'failed' : turn.status;
          error = turn.error?.message ?? error;
          break;
        }
      }
    }
    if (status === 'failed' && this.options.explainTurnError) error = this.options.explainTurnError(error, startedAt);
    return {
      threadId,
      turnId,
      status,
      finalResponse,
      items,
      usage,
      timing: { startedAt, durationMs: Date.now() - startedAt },
      // A turn the budget interrupted says so, instead of a bare 'interrupted'.
      error: stream.budgetStopped && status !== 'completed' ? `stopped by the budget: ${stream.budgetStopped}` : error,
      timedOut: stream.timedOut,
    };
  }

  /** Asks the server to stop a running turn; it ends with status `interrupted`. */
  async interruptTurn(threadId: string, turnId: string): Promise<void> {
    await this.call('turn/interrupt', { threadId, turnId });
  }

  /** The bubblewrap error seen in a command's output, when the sandbox could not start. */
  get sandboxFailure(): string | undefined {
    return this.sandboxError;
  }

  /**
   * Stops the run: every running turn ends with `failure` (and is interrupted), and no thread or turn starts after.
   * For failures no later turn could survive, e.g. the model endpoint refusing the key.
   */
  stop(failure: AgentFailure): void {
    if (this.stopped || this.exited) return;
    this.stopped = failure;
    this.log.info(`Stopping every turn: ${failure.message}`);
    for (const turn of this.turns.values()) turn.queue.fail(failure);
  }

  /** Why this server can run no more turns (it exited, or the run was stopped); undefined while it works. */
  get failure(): AgentFailure | undefined {
    return this.exited ?? this.stopped;
  }

  /** Calls `handler` with every notification the server sends (e.g. `account/login/completed`); dispose to stop. */
  subscribe(handler: (method: string, params: unknown) => void): Disposable {
    return this.rpc.onNotification(handler);
  }

  /** Settles with the process's end (exit code, signal, stderr tail), whenever that comes. */
  get ended(): Promise<AppServerExitedError> {
    return this.exitPromise.then(() => this.exited!);
  }

  /** The process id (for diagnostics and tests). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** The last few KB the process wrote to stderr. */
  get stderr(): string {
    return this.stderrTail;
  }

  /** Ends the process: closes stdin, then SIGTERM, then SIGKILL if it lingers. */
  async close(): Promise<void> {
    if (!this.exited) {
      this.child.stdin?.end();
      const stopped = await Promise.race([this.exitPromise.then(() => true), delay(2000).then(() => false)]);
      if (!stopped) {
        this.child.kill('SIGTERM');
        const terminated = await Promise.race([this.exitPromise.then(() => true), delay(3000).then(() => false)]);
        if (!terminated) this.child.kill('SIGKILL');
      }
    }
    await this.exitPromise;
  }

  /** Sends a request; a server that says it is overloaded (-32001) is asked again with backoff. */
  async call(method: string, params: unknown): Promise<unknown> {
    const retries = this.options.overloadRetries ?? 4;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.rpc.request(method, params);
      } catch (error) {
        // A request cut off by the process's end reports the end itself (exit code or signal, stderr).
        if (error instanceof ConnectionClosedError && this.exited) throw this.exited;
        if (!(error instanceof RpcError) || error.code !== OVERLOADED || attempt >= retries) throw error;
        const wait = 250 * 2 ** attempt + Math.random() * 100;
        this.log.info(`codex app-server is overloaded; asking again in ${Math.round(wait)} ms (${method}).`);
        await delay(wait);
      }
    }
  }

  private get log(): Logger {
    return this.options.logger ?? silentLogger;
  }

  private async *turnEvents(
    threadId: string,
    prompt: string,
    options: TurnOptions,
    active: ActiveTurn,
  ): AsyncGenerator<TurnEvent> {
    if (this.turns.has(threadId)) throw new Error(`Thread ${threadId} already has a turn running.`);
    this.throwIfFailed();
    this.options.budget?.startTurn();
    this.turns.set(threadId, active);
    let timer: NodeJS.Timeout | undefined;
    let killTimer: NodeJS.Timeout | undefined;
    let turnId: string | undefined;
    let completed = false;
    const kill = () => {
      const error = new TurnTimeoutError(threadId, options.timeoutMs!);
      active.queue.fail(error);
      this.killReason = error.message;
      this.child.kill('SIGKILL');
    };
    // The clock starts before turn/start: a server that never answers it is stopped too.
    if (options.timeoutMs !== undefined) {
      timer = setTimeout(() => {
        active.timedOut = true;
        if (!turnId) return kill();
        this.log.warning(`The turn on thread ${threadId} ran past its time limit; interrupting it.`);
        this.interruptTurn(threadId, turnId).catch((e: Error) => this.log.debug(`interrupt failed: ${e.message}`));
        killTimer = setTimeout(kill, this.options.interruptGraceMs ?? 15_000);
      }, options.timeoutMs);
    }
    try {
      const started = turnStartResult.parse(
        await this.call(
          'turn/start',
          compact({
            threadId,
            input: [{ type: 'text', text: prompt }],
            outputSchema: options.outputSchema,
            effort: options.effort,
            model: options.model,
          }),
        ),
      );
      turnId = started.turn.id;
      active.turnId = turnId;
      // The budget ran out while turn/start was on its way: this turn stops at once too.
      if (active.budgetStopped) this.interruptTurn(threadId, turnId).catch((e: Error) => this.log.debug(`interrupt failed: ${e.message}`));
      // Stopped while turn/start was on its way: the turn is interrupted below, before it spends anything.
      this.throwIfFailed();
      const ownTurn = turnId;
      for await (const event of active.queue) {
        // A late event of an earlier turn on this thread (one that was interrupted) is not this turn's.
        if (turnIdOf(event) !== ownTurn) continue;
        yield event;
        if (event.method === 'turn/completed') {
          completed = true;
          return;
        }
      }
    } finally {
      clearTimeout(timer);
      clearTimeout(killTimer);
      this.turns.delete(threadId);
      // A consumer that stops reading early must not leave the turn running (and spending tokens).
      if (turnId && !completed && !this.exited) {
        this.interruptTurn(threadId, turnId).catch((e: Error) => this.log.debug(`interrupt failed: ${e.message}`));
      }
    }
  }

  private throwIfFailed(): void {
    const failure = this.failure;
    if (failure) throw failure;
  }

  private onNotification(method: string, params: unknown): void {
    if ((Object.values(AUTO_REVIEW_NOTIFICATIONS) as string[]).includes(method)) return this.onAutoReview(method, params);
    if (!(method in turnNotifications)) return;
    const schema = turnNotifications[method as keyof typeof turnNotifications];
    const parsed = schema.safeParse(params);
    if (!parsed.success) {
      this.log.warning(`Skipped a ${method} notification that did not match the expected shape: ${z.prettifyError(parsed.error)}`);
      return;
    }
    const threadId = (parsed.data as { threadId: string }).threadId;
    if (method === 'item/completed') this.noticeSandboxFailure((parsed.data as { item: ThreadItem }).item);
    if (method === 'thread/tokenUsage/updated' && this.options.budget) {
      const last = (parsed.data as { tokenUsage: { last: { inputTokens: number; cachedInputTokens: number; outputTokens: number } } }).tokenUsage.last;
      this.options.budget.add(this.turns.get(threadId)?.phase ?? 'other', last);
    }
    this.turns.get(threadId)?.queue.push({ method, params: parsed.data } as TurnEvent);
  }

  // max-tokens reached: every running turn is interrupted; what it completed so far stays with its caller.
  private stopForBudget(reason: string): void {
    this.log.warning(`Stopping: ${reason}. Running turns are interrupted and no new turn starts.`);
    for (const [threadId, active] of this.turns) {
      active.budgetStopped = reason;
      if (active.turnId) this.interruptTurn(threadId, active.turnId).catch((e: Error) => this.log.debug(`interrupt failed: ${e.message}`));
    }
  }

  // The auto-reviewer decides inside the app-server; the action only reports what it decided, as it happens.
  private onAutoReview(method: string, params: unknown): void {
    if (method === AUTO_REVIEW_NOTIFICATIONS.warning) {
      const parsed = guardianWarning.safeParse(params);
      if (parsed.success) this.log.warning(`Auto-review: ${parsed.data.message}`);
      return;
    }
    const parsed = autoApprovalReview.safeParse(params);
    if (!parsed.success) {
      this.log.warning(`Skipped a ${method} notification that did not match the expected shape: ${z.prettifyError(parsed.error)}`);
      return;
    }
    if (method === AUTO_REVIEW_NOTIFICATIONS.started) {
      this.log.info(`Auto-review is checking the agent's request to ${describeAction(parsed.data.action)}.`);
      return;
    }
    const record = recordOfAutoReview(parsed.data);
    if (record) this.noteApproval(record);
  }

  private noteApproval(record: ApprovalRecord): void {
    const line = approvalLogLine(record);
    if (record.verdict === 'approved' || record.verdict === 'accepted') this.log.info(line);
    else this.log.warning(line);
    this.options.onApprovalDecision?.(record);
  }

  private async onServerRequest(method: string, params: unknown): Promise<unknown> {
    const handler = this.options.onApproval ?? declineAll;
    const answered = (request: ApprovalRequest, decision: ApprovalDecision) => {
      const asked = request.kind === 'command' ? `run \`${request.command ?? '?'}\`` : 'change files';
      const reason = decision === 'decline' ? 'no one can approve in CI' : null;
      const verdict = decision === 'accept' ? 'accepted' : 'declined';
      this.noteApproval({ decidedBy: 'action', threadId: request.threadId, turnId: request.turnId, asked, verdict, risk: null, reason });
      return { decision };
    };
    if (method === APPROVAL_REQUESTS.command) {
      const p = commandApprovalParams.parse(params);
      const request: ApprovalRequest = {
        kind: 'command',
        threadId: p.threadId,
        turnId: p.turnId,
        command: p.command ?? null,
        cwd: p.cwd ?? null,
        reason: p.reason ?? null,
      };
      return answered(request, await handler(request));
    }
    if (method === APPROVAL_REQUESTS.fileChange) {
      const p = fileChangeApprovalParams.parse(params);
      const request: ApprovalRequest = { kind: 'fileChange', threadId: p.threadId, turnId: p.turnId, reason: p.reason ?? null };
      return answered(request, await handler(request));
    }
    // Answer everything else with an error: an unanswered request would block the turn forever.
    this.log.warning(`codex asked for '${method}', which a CI run cannot answer; declined.`);
    throw new RpcError(method, -32601, `codex-ci-action does not handle ${method}`);
  }

  private noticeSandboxFailure(item: ThreadItem): void {
    if (item.type !== 'commandExecution' || this.sandboxError) return;
    const command = item as { aggregatedOutput?: string | null; exitCode?: number | null };
    const failure = sandboxFailureIn(command.aggregatedOutput, command.exitCode);
    if (failure) {
      this.sandboxError = failure;
      this.log.warning(`The sandbox failed to start a command: ${failure}`);
    }
  }

  private onExit(error: AppServerExitedError): void {
    if (this.exited) return;
    this.exited = error;
    this.rpc.close(error);
    for (const turn of this.turns.values()) turn.queue.fail(error);
  }
}

/** A thread on an app-server. */
export class Thread {
  constructor(
    private readonly server: AppServer,
    readonly id: string,
  ) {}

  /** Runs one turn and waits for its result. */
  run(prompt: string, options?: TurnOptions): Promise<TurnResult> {
    return this.server.runTurn(this.id, prompt, options);
  }

  /** Runs one turn, streaming its events. */
  runStreamed(prompt: string, options?: TurnOptions): TurnStream {
    return this.server.streamTurn(this.id, prompt, options);
  }

  /** Forks this thread; the fork carries this thread's history. */
  fork(options?: ThreadOptions): Promise<Thread> {
    return this.server.forkThread(this.id, options);
  }
}

/** The turn an event belongs to. */
function turnIdOf(event: TurnEvent): string {
  return event.method === 'turn/started' || event.method === 'turn/completed' ? event.params.turn.id : event.params.turnId;
}

const silentLogger: Logger = { info: () => {}, debug: () => {}, warning: () => {} };

// With approvals-reviewer `user` no one can approve in CI; the decline is logged and listed like any other decision.
const declineAll: ApprovalHandler = () => 'decline';

function compact(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined));
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
