// The loopback proxy adds the key, streams answers through, and never trusts a caller's own header.
import { describeModelAnswer } from '../src/base/codex/agent-failure.js';
import { displayEndpoint, ERROR_MESSAGE_MAX_CHARS, retryAfterSeconds, startModelProxy } from '../src/base/codex/model-proxy.js';
import { createCodexHome } from '../src/base/codex/codex-home.js';
import { agentEnvironment } from '../src/base/codex/environment.js';
import { errorReply, ModelServer } from './support/model-server.js';
import { mkdtemp, readFile, stat, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

test('the proxy forwards to the upstream with the key and streams the SSE answer back', async () => {
  const upstream = await ModelServer.start();
  upstream.enqueue({ message: 'streamed through' });
  const proxy = await startModelProxy(upstream.url, 'sk-proxy-key-1234');
  try {
    const res = await fetch(`${proxy.url}/responses`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer attacker-chosen' },
      body: JSON.stringify({ model: 'm', input: [] }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const text = await res.text();
    expect(text).toContain('event: response.completed');
    expect(text).toContain('streamed through');
    expect(upstream.requests[0]!.path).toBe('/v1/responses');
    expect(upstream.requests[0]!.headers.authorization).toBe('Bearer sk-proxy-key-1234');
    expect(proxy.forwarded).toBe(1);
  } finally {
    await proxy.close();
    await upstream.close();
  }
});

test('the key is lent to POST /v1/responses only', async () => {
  const upstream = await ModelServer.start();
  const proxy = await startModelProxy(upstream.url, 'sk-proxy-key-1234');
  try {
    for (const [method, path] of [['GET', '/files'], ['DELETE', '/organization/projects'], ['GET', '/responses'], ['POST', '/responses/../files']]) {
      const res = await fetch(`${proxy.url}${path}`, { method });
      expect({ method, path, status: res.status }).toEqual({ method, path, status: 404 });
    }
    expect(upstream.requests).toHaveLength(0);
    expect(proxy.forwarded).toBe(0);
  } finally {
    await proxy.close();
    await upstream.close();
  }
});

test('an unreachable upstream answers 502 without echoing the key, after bounded retries', async () => {
  // A port nothing listens on.
  const closed = await ModelServer.start();
  await closed.close();
  const proxy = await startModelProxy(closed.url, 'sk-proxy-key-1234', undefined, { timeUnitMs: 0 });
  try {
    const res = await fetch(`${proxy.url}/responses`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(502);
    expect(await res.text()).not.toContain('sk-proxy-key-1234');
    expect(proxy.upstreamRequests).toBe(5);
    expect(proxy.lastError).toMatchObject({ status: 0, message: 'ECONNREFUSED', endpoint: closed.url, retries: 4 });
    expect(describeModelAnswer(proxy.lastError!)).toBe(`The model endpoint ${closed.url} (openai-base-url) could not be reached (after 4 retries): ECONNREFUSED.`);
  } finally {
    await proxy.close();
  }
});

test('CODEX_HOME points Codex at the proxy; auth.json (ChatGPT plan) is private to the user', async () => {
  const parent = await mkdtemp(join(tmpdir(), 'home-'));
  const proxied = await createCodexHome({ parent, providerUrl: 'http://127.0.0.1:1/v1', model: 'gpt "x"' });
  const config = await readFile(join(proxied, 'config.toml'), 'utf8');
  expect(config).toContain('model_provider = "codex-ci-action"');
  expect(config).toContain('base_url = "http://127.0.0.1:1/v1"');
  expect(config).toContain('model = "gpt \\"x\\""');
  // The provider has no env_key and no token: Codex sends no Authorization header of its own.
  expect(config).not.toMatch(/env_key|bearer|token/i);
  const chatgpt = await createCodexHome({ parent, authJson: '{"tokens":{}}' });
  expect((await stat(join(chatgpt, 'auth.json'))).mode & 0o777).toBe(0o600);
  expect((await stat(chatgpt)).mode & 0o777).toBe(0o700);
  expect(await readFile(join(chatgpt, 'config.toml'), 'utf8')).not.toContain('model_provider');
  await rm(parent, { recursive: true, force: true });
});

test('the agent environment drops secrets by name and by value, and keeps toolchains', () => {
  const env = agentEnvironment(
    {
      PATH: '/bin',
      HOME: '/home/r',
      OPENAI_API_KEY: 'sk-1',
      GITHUB_TOKEN: 'ghs_1',
      'INPUT_OPENAI-API-KEY': 'sk-1',
      ACTIONS_RUNTIME_TOKEN: 'x',
      JAVA_HOME_17_X64: '/jdk',
      NODE_OPTIONS: '--header=ghs_secretvalue',
      MY_SERVICE_API_KEY: 'abc',
    },
    ['ghs_secretvalue'],
    { CODEX_HOME: '/c' },
  );
  expect(env).toEqual({ PATH: '/bin', HOME: '/home/r', JAVA_HOME_17_X64: '/jdk', CODEX_HOME: '/c' });
});

test('the last error answer is kept as the endpoint sent it: its message, redacted and bounded', async () => {
  const upstream = await ModelServer.start();
  const long = `Your key sk-proxy-key-1234 is not valid for this deployment. ${'x'.repeat(5000)}`;
  upstream.enqueue(errorReply(404, long));
  const proxy = await startModelProxy(upstream.url, 'sk-proxy-key-1234');
  try {
    const res = await fetch(`${proxy.url}/responses`, { method: 'POST', body: '{}' });
    // Codex gets the answer as it was sent.
    expect(res.status).toBe(404);
    expect(await res.text()).toContain('x'.repeat(5000));
    const answer = proxy.lastError!;
    expect(answer).toMatchObject({ status: 404, statusText: 'Not Found', endpoint: upstream.url, retries: 0 });
    expect(answer.message.startsWith('Your key *** is not valid for this deployment. xxx')).toBe(true);
    expect(answer.message.length).toBeLessThanOrEqual(ERROR_MESSAGE_MAX_CHARS + 10);
    expect(answer.message.endsWith('… (cut)')).toBe(true);
    // Not an auth refusal: later requests still go upstream.
    expect(proxy.fatal).toBeUndefined();
    await fetch(`${proxy.url}/responses`, { method: 'POST', body: '{}' });
    expect(upstream.responseRequests).toHaveLength(2);
  } finally {
    await proxy.close();
    await upstream.close();
  }
});

test('after a 401 nothing more is forwarded: later requests get the same answer from the proxy', async () => {
  const upstream = await ModelServer.start();
  upstream.respond(() => errorReply(401, 'Incorrect API key provided'));
  const seen: number[] = [];
  const proxy = await startModelProxy(upstream.url, 'sk-proxy-key-1234', undefined, { onFatal: (a) => seen.push(a.status) });
  try {
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${proxy.url}/responses`, { method: 'POST', body: '{}' });
      expect(res.status).toBe(401);
      expect(await res.text()).toContain('Incorrect API key provided');
    }
    expect(upstream.responseRequests).toHaveLength(1);
    expect(seen).toEqual([401]);
    expect(proxy.fatal).toMatchObject({ status: 401, message: 'Incorrect API key provided' });
  } finally {
    await proxy.close();
    await upstream.close();
  }
});

test('a retry-after longer than the proxy waits is not waited for: the 429 is answered at once', async () => {
  const upstream = await ModelServer.start();
  upstream.respond(() => errorReply(429, 'You exceeded your current quota', { 'retry-after': '3600' }));
  const logged: string[] = [];
  const proxy = await startModelProxy(upstream.url, 'sk-proxy-key-1234', undefined, { logger: { info: (m) => logged.push(m) } });
  try {
    const res = await fetch(`${proxy.url}/responses`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(429);
    expect(upstream.responseRequests).toHaveLength(1);
    expect(logged).toEqual(['The model endpoint answered 429 Too Many Requests and asks to retry after 3600 s, longer than 60 s; not retrying.']);
    expect(describeModelAnswer(proxy.lastError!)).toBe(
      `The model endpoint ${upstream.url} (openai-base-url) answered HTTP 429 Too Many Requests: "You exceeded your current quota".`,
    );
  } finally {
    await proxy.close();
    await upstream.close();
  }
});

test('the endpoint is named without credentials or query (Azure may carry a key there)', () => {
  expect(displayEndpoint('https://user:secret@example.openai.azure.com/openai/v1/?api-key=abc#x')).toBe('https://example.openai.azure.com/openai/v1');
  expect(displayEndpoint('https://api.openai.com/v1/')).toBe('https://api.openai.com/v1');
});

test('retry-after is read as seconds, as an HTTP date, and from retry-after-ms', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  expect(retryAfterSeconds(new Headers({ 'retry-after': '7' }), now)).toBe(7);
  expect(retryAfterSeconds(new Headers({ 'retry-after': 'Thu, 01 Jan 2026 00:00:30 GMT' }), now)).toBe(30);
  expect(retryAfterSeconds(new Headers({ 'retry-after-ms': '1500', 'retry-after': '9' }), now)).toBe(1.5);
  expect(retryAfterSeconds(new Headers({ 'retry-after': 'soon' }), now)).toBeUndefined();
  expect(retryAfterSeconds(new Headers(), now)).toBeUndefined();
});
