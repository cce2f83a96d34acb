// The model endpoint's error answers through the real session (proxy + pinned app-server): the user reads the
// endpoint's own words and status, a refused key stops the run at once, 429/5xx are retried a bounded number of times.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ModelEndpointError } from '../src/base/codex/agent-failure.js';
import { openSession, type CodexSession } from '../src/base/codex/session.js';
import { CODEX_BINARY, TEST_API_KEY } from './support/codex.js';
import { MODEL_TIME_UNIT_ENV } from '../src/base/codex/model-proxy.js';
import { errorReply, ModelServer } from './support/model-server.js';
import { captureStdout } from './support/review-fixtures.js';

// Retry waits are logged with the seconds the endpoint asked for, but take no time here.
process.env[MODEL_TIME_UNIT_ENV] = '0';

let model: ModelServer;
let session: CodexSession | undefined;
let scratch: string;
let stdout: ReturnType<typeof captureStdout>;

beforeEach(async () => {
  stdout = captureStdout();
  model = await ModelServer.start();
  scratch = await mkdtemp(join(tmpdir(), 'model-errors-'));
});
afterEach(async () => {
  await session?.close();
  session = undefined;
  await model.close();
  await rm(scratch, { recursive: true, force: true });
  stdout.restore();
});

async function open(): Promise<CodexSession> {
  session = await openSession({
    codexPath: CODEX_BINARY,
    cwd: scratch,
    tempDir: scratch,
    apiKey: TEST_API_KEY,
    baseUrl: model.url,
    authJson: undefined,
    model: 'gpt-5.4',
    configOverrides: [],
    secrets: [TEST_API_KEY],
    env: process.env,
  });
  return session;
}

test('a 401 stops the run at the first answer: one upstream request, the status and the endpoint\'s own words', async () => {
  model.respond(() => errorReply(401, `Incorrect API key provided: ${TEST_API_KEY.slice(0, 12)}…; you can find your key at https://platform.example/keys.`));
  const s = await open();
  const thread = await s.server.startThread({ sandbox: 'read-only', approvalPolicy: 'never' });
  const turn = thread.run('Review this.');
  await expect(turn).rejects.toThrow(ModelEndpointError);
  const message = await turn.then(
    () => '',
    (error: Error) => error.message,
  );
  expect(message).toContain('HTTP 401 Unauthorized');
  expect(message).toContain('Incorrect API key provided');
  // The endpoint the user configured, never the action's loopback proxy.
  expect(message).toContain(`The model endpoint ${model.url} (openai-base-url)`);
  expect([...new Set(message.match(/http:\/\/127\.0\.0\.1:\d+/g))]).toEqual([new URL(model.url).origin]);
  expect(message).not.toContain(TEST_API_KEY);
  // No reconnect loop: Codex retries a stream 5 times by default, even on 401.
  expect(model.responseRequests).toHaveLength(1);
  // The run is over: no later thread or turn starts, and nothing more reaches the endpoint.
  await expect(s.server.startThread()).rejects.toThrow(ModelEndpointError);
  expect(s.server.failure).toBeInstanceOf(ModelEndpointError);
  expect(model.responseRequests).toHaveLength(1);
});

test('a 403 stops a turn that is already running in another thread too', async () => {
  let calls = 0;
  model.respond(() => {
    calls++;
    // The first thread's request is held; the second thread's is refused.
    return calls === 1 ? { message: 'too late', delayMs: 20_000 } : errorReply(403, 'Project does not have access to model gpt-5.4');
  });
  const s = await open();
  const first = await s.server.startThread({ sandbox: 'read-only', approvalPolicy: 'never' });
  const slow = first.run('Slow.');
  while (model.responseRequests.length < 1) await new Promise((r) => setTimeout(r, 20));
  const second = await s.server.startThread({ sandbox: 'read-only', approvalPolicy: 'never' });
  await expect(second.run('Refused.')).rejects.toThrow(/HTTP 403 Forbidden: "Project does not have access to model gpt-5.4"/);
  await expect(slow).rejects.toThrow(/HTTP 403 Forbidden/);
  expect(model.responseRequests).toHaveLength(2);
});

test('a 5xx is retried a bounded number of times, then the turn fails with the endpoint\'s words, not Codex\'s generic text', async () => {
  model.respond(() => errorReply(503, 'upstream shard 7 is draining'));
  const s = await open();
  const thread = await s.server.startThread({ sandbox: 'read-only', approvalPolicy: 'never' });
  const result = await thread.run('Review this.');
  expect(result.status).toBe('failed');
  expect(result.error).toBe(
    `The model endpoint ${model.url} (openai-base-url) answered HTTP 503 Service Unavailable (after 4 retries): "upstream shard 7 is draining".`,
  );
  expect(result.error).not.toMatch(/high demand/);
  // One request and four retries; Codex's own 5xx retries (measured: without end) are off.
  expect(model.responseRequests).toHaveLength(5);
  // Not an auth refusal: the server still takes turns.
  expect(s.server.failure).toBeUndefined();
});

test('a 429 waits as long as retry-after asks, then the turn goes on', async () => {
  let calls = 0;
  model.respond(() => (++calls === 1 ? errorReply(429, 'Rate limit reached for requests', { 'retry-after': '7' }) : { message: 'done after the wait' }));
  const s = await open();
  const thread = await s.server.startThread({ sandbox: 'read-only', approvalPolicy: 'never' });
  const result = await thread.run('Review this.');
  expect(result.status).toBe('completed');
  expect(result.finalResponse).toBe('done after the wait');
  expect(model.responseRequests).toHaveLength(2);
  expect(stdout.text()).toContain('The model endpoint answered 429 Too Many Requests; retry 1 in 7 s (as its retry-after asks).');
});
