// Azure OpenAI and other gateways: the key in the header the upstream expects, api-version in the query, through the real binary.
import { authHeaders, gatewayFor, upstreamUrl } from '../src/base/codex/gateway.js';
import { startModelProxy } from '../src/base/codex/model-proxy.js';
import { TEST_API_KEY } from './support/codex.js';
import { testContext } from './support/context.js';
import { createRepo } from './support/git-repo.js';
import { ModelServer } from './support/model-server.js';

describe('gatewayFor', () => {
  it.each([
    ['https://my-res.openai.azure.com/openai/v1', 'azure'],
    ['https://my-res.cognitiveservices.azure.com/openai', 'azure'],
    ['https://my-proj.services.ai.azure.com/openai/v1', 'azure'],
    ['https://api.openai.com/v1', 'openai'],
    ['https://openai.azure.com.attacker.example/v1', 'openai'],
    ['http://127.0.0.1:8080/v1', 'openai'],
  ])('auto picks the style from the host of %s', (url, style) => {
    expect(gatewayFor(url, 'auto').style).toBe(style);
  });

  it('an explicit style wins over the host, and the api-version comes along', () => {
    expect(gatewayFor('http://127.0.0.1:8080/openai', 'azure', '2025-04-01-preview')).toEqual({ style: 'azure', apiVersion: '2025-04-01-preview' });
    expect(gatewayFor('https://my-res.openai.azure.com/openai/v1', 'openai')).toEqual({ style: 'openai' });
  });
});

test('the key goes in api-key for azure and in a Bearer authorization header otherwise', () => {
  expect(authHeaders({ style: 'azure' }, 'k')).toEqual({ 'api-key': 'k' });
  expect(authHeaders({ style: 'openai' }, 'k')).toEqual({ authorization: 'Bearer k' });
});

test('the upstream URL keeps the base path and query and sets api-version', () => {
  const azure = { style: 'azure', apiVersion: '2025-04-01-preview' } as const;
  expect(upstreamUrl('https://r.openai.azure.com/openai', '/responses', azure)).toBe(
    'https://r.openai.azure.com/openai/responses?api-version=2025-04-01-preview',
  );
  // A version in the base URL is replaced by the input, not sent twice.
  expect(upstreamUrl('https://gw.example/v1?route=eu&api-version=old', '/responses', azure)).toBe(
    'https://gw.example/v1/responses?route=eu&api-version=2025-04-01-preview',
  );
  expect(upstreamUrl('https://gw.example/v1?route=eu', '/responses', { style: 'openai' })).toBe('https://gw.example/v1/responses?route=eu');
});

test('the proxy drops an api-key header sent by its caller and adds its own', async () => {
  const upstream = await ModelServer.start();
  upstream.enqueue({ message: 'ok' });
  const proxy = await startModelProxy(upstream.url, 'sk-proxy-key-1234', { style: 'azure' });
  try {
    const res = await fetch(`${proxy.url}/responses`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'api-key': 'attacker-chosen', authorization: 'Bearer attacker-chosen' },
      body: JSON.stringify({ model: 'm', input: [] }),
    });
    await res.text();
    expect(upstream.requests[0]!.headers['api-key']).toBe('sk-proxy-key-1234');
    expect(upstream.requests[0]!.headers.authorization).toBeUndefined();
  } finally {
    await proxy.close();
    await upstream.close();
  }
});

test('with openai-api-style azure, the real codex reaches the scripted server with api-key and api-version', async () => {
  const repo = await createRepo({ 'README.md': '# demo\n' });
  const model = await ModelServer.start();
  // An Azure-shaped base URL on loopback: <resource>/openai, the dated API chosen by api-version.
  const azureBase = model.url.replace(/\/v1$/, '/openai');
  const ctx = await testContext({
    githubUrl: 'http://127.0.0.1:9',
    modelUrl: azureBase,
    workdir: repo.dir,
    inputs: { 'openai-api-style': 'azure', 'openai-api-version': '2025-04-01-preview' },
  });
  const session = await ctx.openSession();
  try {
    model.enqueue({ message: 'Hello from the Azure deployment.' });
    const thread = await session.server.startThread({ sandbox: 'read-only', approvalPolicy: 'never', cwd: repo.dir });
    const result = await thread.run('Say hello.');

    expect(result.finalResponse).toBe('Hello from the Azure deployment.');
    const request = model.responseRequests[0]!;
    expect(request.path).toBe('/openai/responses');
    expect(request.query.get('api-version')).toBe('2025-04-01-preview');
    expect(request.headers['api-key']).toBe(TEST_API_KEY);
    expect(request.headers.authorization).toBeUndefined();
  } finally {
    await session.close();
    await model.close();
    await repo.cleanup();
  }
});
