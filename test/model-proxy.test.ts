// The loopback proxy adds the key, streams answers through, and never trusts a caller's own header.
import { startModelProxy } from '../src/codex/model-proxy.js';
import { createCodexHome } from '../src/codex/codex-home.js';
import { agentEnvironment } from '../src/codex/environment.js';
import { ModelServer } from './support/model-server.js';
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

test('an unreachable upstream answers 502 without echoing the key', async () => {
  const proxy = await startModelProxy('http://127.0.0.1:9/v1', 'sk-proxy-key-1234');
  try {
    const res = await fetch(`${proxy.url}/responses`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(502);
    expect(await res.text()).not.toContain('sk-proxy-key-1234');
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
