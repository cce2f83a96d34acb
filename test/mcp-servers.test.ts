// MCP servers from the `mcp-servers` input: a real stdio server in test/fixtures called by the agent through the
// real app-server, its secret handed to that server only.
import { resolve } from 'node:path';
import { mcpConfigOverrides, type McpServer } from '../src/base/codex/mcp-servers.js';
import { InputError, readInputs, secretsOf } from '../src/action/inputs.js';
import { secretForms } from '../src/base/text/redact.js';
import { startCodexRig, TEST_API_KEY } from './support/codex.js';
import { testContext } from './support/context.js';
import { createRepo } from './support/git-repo.js';
import { functionCallOutputs, ModelServer, type ModelRequest } from './support/model-server.js';

const SERVER = resolve('test/fixtures/mcp-server.mjs');
const TOKEN = 'mcp-secret-5f1e9a7c3b2d4e6f8a0b';

const envWith = (inputs: Record<string, string>, extra: Record<string, string> = {}) => {
  const env: Record<string, string> = { OPENAI_API_KEY: TEST_API_KEY, ...extra };
  for (const [k, v] of Object.entries(inputs)) env[`INPUT_${k.toUpperCase()}`] = v;
  return env;
};

/** The Responses API name of an MCP tool, read from the request's tools[] (a namespace per server). */
function mcpTool(req: ModelRequest, tool: string): { namespace: string; name: string } | undefined {
  for (const t of (req.body.tools ?? []) as Array<{ type?: string; name?: string; tools?: Array<{ name?: string }> }>) {
    if (t.type === 'namespace' && t.tools?.some((f) => f.name === tool)) return { namespace: t.name!, name: tool };
  }
  return undefined;
}

describe('the mcp-servers input', () => {
  test('a stdio and a remote server, their secrets named by variable and resolved from the step environment', () => {
    const spec = {
      notes: { command: 'node', args: ['notes.js'], env: ['NOTES_TOKEN'] },
      docs: { url: 'https://mcp.example.com/mcp', 'bearer-token-env': 'DOCS_TOKEN', 'tools-approval': 'prompt' },
    };
    const inputs = readInputs(envWith({ 'mcp-servers': JSON.stringify(spec) }, { NOTES_TOKEN: 'notes-secret-123', DOCS_TOKEN: 'docs-secret-456' }));
    expect(inputs.mcpServers).toEqual([
      { name: 'notes', command: 'node', args: ['notes.js'], env: { NOTES_TOKEN: 'notes-secret-123' }, toolsApproval: 'approve' },
      { name: 'docs', url: 'https://mcp.example.com/mcp', bearerToken: 'docs-secret-456', toolsApproval: 'prompt' },
    ]);
    // Both are secrets of the run: masked, redacted, and dropped from the agent's environment by value.
    expect(secretsOf(inputs)).toEqual(expect.arrayContaining(['notes-secret-123', 'docs-secret-456']));
    expect(mcpConfigOverrides(inputs.mcpServers)).toEqual([
      'mcp_servers.notes.command="node"',
      'mcp_servers.notes.args=["notes.js"]',
      'mcp_servers.notes.env={ "NOTES_TOKEN" = "notes-secret-123" }',
      'mcp_servers.notes.default_tools_approval_mode="approve"',
      'mcp_servers.docs.url="https://mcp.example.com/mcp"',
      'mcp_servers.docs.http_headers={ "Authorization" = "Bearer docs-secret-456" }',
      'mcp_servers.docs.default_tools_approval_mode="prompt"',
    ]);
  });

  test.each([
    ['not json', /Input 'mcp-servers' has value "not json": expected a JSON object/],
    ['{"a b":{"command":"x"}}', /server names use letters, digits/],
    ['{"x":{"command":"x","env":["NOT-A-NAME"]}}', /expected an environment variable name/],
    ['{"x":{"url":"ftp://x"}}', /x\.url: expected an http:\/\/ or https:\/\/ URL/],
    ['{"x":{"command":"x","token":"inline-secret"}}', /x: Unrecognized key: "token"/],
  ])('rejects %s', (value, message) => {
    expect(() => readInputs(envWith({ 'mcp-servers': value }))).toThrow(message);
  });

  test('a named variable that is not set fails with what to do', () => {
    const attempt = () => readInputs(envWith({ 'mcp-servers': '{"x":{"command":"x","env":["MISSING_TOKEN"]}}' }));
    expect(attempt).toThrow(InputError);
    expect(attempt).toThrow("Input 'mcp-servers' names the environment variable MISSING_TOKEN, which is empty or not set: set it in the step's env.");
  });

  test.each([
    [{ 'INPUT_SANDBOX': 'danger-full-access' }, "'sandbox' is danger-full-access (the agent's commands run unsandboxed)"],
    [
      { 'INPUT_APPROVAL-POLICY': 'on-request', 'INPUT_APPROVALS-REVIEWER': 'auto_review' },
      "'approval-policy: on-request' with 'approvals-reviewer: auto_review' lets approved commands run unsandboxed",
    ],
  ])('servers with secrets are refused when the agent may run unsandboxed commands (%o)', (extra, why) => {
    const spec = { notes: { command: 'node', args: ['notes.js'], env: ['NOTES_TOKEN'] }, docs: { url: 'https://mcp.example.com/mcp', 'bearer-token-env': 'DOCS_TOKEN' } };
    const attempt = () => readInputs({ ...envWith({ 'mcp-servers': JSON.stringify(spec) }, { NOTES_TOKEN: 'n-secret-1', DOCS_TOKEN: 'd-secret-2' }), ...extra });
    expect(attempt).toThrow(InputError);
    expect(attempt).toThrow(
      `Input 'mcp-servers' gives MCP servers secrets (NOTES_TOKEN, DOCS_TOKEN), and ${why}. The secrets travel on the app-server's command line, ` +
        'which an unsandboxed command can read (/proc/<pid>/cmdline): keep the default sandbox and approval settings for runs with MCP secrets, ' +
        'or give the servers no secrets.',
    );
  });

  test('servers without secrets are fine with any sandbox; so are secrets with the default sandbox and an interactive policy the action answers', () => {
    const plain = JSON.stringify({ notes: { command: 'node', args: ['notes.js'] } });
    expect(readInputs({ ...envWith({ 'mcp-servers': plain }), INPUT_SANDBOX: 'danger-full-access' }).mcpServers).toHaveLength(1);
    const secret = JSON.stringify({ notes: { command: 'node', env: ['NOTES_TOKEN'] } });
    const withPolicy = { ...envWith({ 'mcp-servers': secret }, { NOTES_TOKEN: 'n-secret-1' }), 'INPUT_APPROVAL-POLICY': 'on-request' };
    expect(readInputs(withPolicy).mcpServers).toHaveLength(1);
  });

  test('TOML quoting survives quotes and backslashes in values', () => {
    const server: McpServer = { name: 'q', command: 'C:\\bin\\x "y"', args: [], env: { K: 'a"b\\c' }, toolsApproval: 'approve' };
    expect(mcpConfigOverrides([server])).toContain('mcp_servers.q.env={ "K" = "a\\"b\\\\c" }');
  });
});

test('the agent calls the tool of a real stdio MCP server through the app-server; the server gets its token, the agent never sees it', async () => {
  const repo = await createRepo({ 'README.md': '# demo\n' });
  const model = await ModelServer.start();
  process.env.NOTES_SERVICE_PASS = TOKEN;
  try {
    const spec = { notes: { command: process.execPath, args: [SERVER], env: ['NOTES_SERVICE_PASS'] } };
    const ctx = await testContext({ githubUrl: 'http://127.0.0.1:9', modelUrl: model.url, workdir: repo.dir, inputs: { 'mcp-servers': JSON.stringify(spec) } });
    const probe = 'env; echo ---; cat "$CODEX_HOME"/*.toml';
    model.respond((req) => {
      const outputs = functionCallOutputs(req).length;
      if (outputs === 0) {
        const tool = mcpTool(req, 'release_notes');
        if (!tool) return { message: 'The release_notes tool was not offered.' };
        return { items: [{ type: 'function_call', call_id: 'call-mcp-1', ...tool, arguments: JSON.stringify({ version: '1.2.3' }) }] };
      }
      return outputs === 1 ? { exec: probe } : { message: 'Release 1.2.3 fixed the flaky parser.' };
    });
    const session = await ctx.openSession();
    try {
      const thread = await session.server.startThread({ sandbox: 'read-only', approvalPolicy: 'never', cwd: repo.dir });
      const result = await thread.run('What changed in 1.2.3?');

      const call = result.items.find((i) => i.type === 'mcpToolCall') as { server: string; tool: string; status: string; result?: unknown } | undefined;
      expect(call).toMatchObject({ server: 'notes', tool: 'release_notes', status: 'completed' });
      // The server's answer reached the model, and says the server got its token.
      expect(functionCallOutputs(model.responseRequests[1]!).join('\n')).toContain('Release 1.2.3: fixed the flaky parser (token received).');
      const probed = result.items.find((i) => i.type === 'commandExecution') as { aggregatedOutput?: string };
      const output = probed.aggregatedOutput ?? '';
      expect(output).toContain('CODEX_HOME=');
      expect(output).toContain('model_provider');
      // Not in the agent's environment, not in CODEX_HOME, not in anything sent to the model.
      const everything = [output, ...model.requests.map((r) => r.raw)].join('\n');
      for (const form of secretForms([TOKEN])) expect(everything).not.toContain(form);
      expect(output).not.toMatch(/^NOTES_SERVICE_PASS=/m);
      expect(result.finalResponse).toBe('Release 1.2.3 fixed the flaky parser.');
    } finally {
      await session.close();
    }
  } finally {
    delete process.env.NOTES_SERVICE_PASS;
    await model.close();
    await repo.cleanup();
  }
}, 120_000);

test('why: an unsandboxed command reads the app-server\'s command line, where MCP secrets travel; a sandboxed one cannot', async () => {
  // Any -c value is on the command line; this one is harmless (a list of file names Codex may read as AGENTS.md).
  const rig = await startCodexRig({ configOverrides: ['project_doc_fallback_filenames=["marker-cmdline-4d2a"]'] });
  try {
    // The pattern does not match itself, so only the app-server's own command line is found.
    const probe = "grep -al 'marker-cmdline-[4]d2a' /proc/[0-9]*/cmdline; echo probed";
    const seen: Record<string, string> = {};
    for (const sandbox of ['danger-full-access', 'read-only'] as const) {
      let calls = 0;
      rig.model.respond(() => (calls++ === 0 ? { exec: probe } : { message: 'done' }));
      const thread = await rig.server.startThread({ sandbox, approvalPolicy: 'never', cwd: rig.workdir });
      const result = await thread.run('Probe.');
      const command = result.items.find((i) => i.type === 'commandExecution') as { aggregatedOutput?: string } | undefined;
      seen[sandbox] = command?.aggregatedOutput ?? '';
    }
    expect(seen['danger-full-access']).toMatch(/^\/proc\/\d+\/cmdline$/m);
    expect(seen['read-only']).toContain('probed');
    expect(seen['read-only']).not.toMatch(/^\/proc\/\d+\/cmdline$/m);
  } finally {
    await rig.close();
  }
}, 120_000);
