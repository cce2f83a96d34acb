// The app-server client against the real codex binary and a scripted Responses API.
import { AppServerExitedError } from '../src/codex/app-server.js';
import { functionCallOutputs, isAfterToolCall } from './support/model-server.js';
import { startCodexRig, type CodexRig } from './support/codex.js';

let rig: CodexRig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

test('a turn runs a command and returns the final message and usage', async () => {
  rig = await startCodexRig();
  rig.model.respond((req) =>
    isAfterToolCall(req) ? { message: 'The file says hello.' } : { exec: 'echo hello-from-agent' },
  );
  const thread = await rig.server.startThread({ sandbox: 'read-only', approvalPolicy: 'never' });
  const result = await thread.run('Read the file.');

  expect(result.status).toBe('completed');
  expect(result.finalResponse).toBe('The file says hello.');
  const command = result.items.find((i) => i.type === 'commandExecution') as { aggregatedOutput?: string; exitCode?: number };
  expect(command.aggregatedOutput).toContain('hello-from-agent');
  expect(command.exitCode).toBe(0);
  // Two model round trips of 100 input / 40 cached / 10 output tokens each.
  expect(result.usage).toMatchObject({ inputTokens: 200, cachedInputTokens: 80, outputTokens: 20 });
  const second = rig.model.responseRequests[1]!;
  expect(functionCallOutputs(second).join('\n')).toContain('hello-from-agent');
  // The proxy added the key; the binary itself never had it.
  expect(rig.model.responseRequests[0]!.headers.authorization).toMatch(/^Bearer sk-test-/);
});
