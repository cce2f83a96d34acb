// The app-server client against the real codex binary and a scripted Responses API.
import { AppServerExitedError, type ApprovalRequest } from '../src/base/codex/app-server.js';
import { assistantText, functionCallOutputs, isAfterToolCall, userText } from './support/model-server.js';
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

test('a fork carries the parent thread history into its first model request', async () => {
  rig = await startCodexRig();
  rig.model.respond((req) =>
    assistantText(req).includes('BASE-ACK-7f3a') ? { message: 'fork answer' } : { message: 'BASE-ACK-7f3a' },
  );
  const base = await rig.server.startThread({ sandbox: 'read-only', approvalPolicy: 'never' });
  expect((await base.run('Learn the conventions.')).finalResponse).toBe('BASE-ACK-7f3a');

  const fork = await base.fork();
  expect(fork.id).not.toBe(base.id);
  const result = await fork.run('Review chunk 1.');
  expect(result.finalResponse).toBe('fork answer');
  const forkRequest = rig.model.responseRequests.at(-1)!;
  expect(assistantText(forkRequest)).toContain('BASE-ACK-7f3a');
  expect(userText(forkRequest)).toContain('Learn the conventions.');
  expect(userText(forkRequest)).toContain('Review chunk 1.');
});

test('a turn past its timeout is interrupted', async () => {
  rig = await startCodexRig();
  rig.model.respond(() => ({ message: 'too late', delayMs: 10_000 }));
  const thread = await rig.server.startThread({ sandbox: 'read-only', approvalPolicy: 'never' });
  const started = Date.now();
  const result = await thread.run('Take your time.', { timeoutMs: 700 });
  expect(result.status).toBe('interrupted');
  expect(result.timedOut).toBe(true);
  expect(result.finalResponse).toBeNull();
  expect(Date.now() - started).toBeLessThan(8_000);
});

test('an approval request is answered by the handler and the command then runs', async () => {
  const asked: ApprovalRequest[] = [];
  rig = await startCodexRig({
    onApproval: (request) => {
      asked.push(request);
      return 'accept';
    },
  });
  rig.model.respond((req) =>
    isAfterToolCall(req) ? { message: 'done' } : { exec: "python3 -c 'print(\"made-it\")'" },
  );
  const thread = await rig.server.startThread({ sandbox: 'read-only', approvalPolicy: 'untrusted' });
  const result = await thread.run('Make a folder.');
  expect(asked).toHaveLength(1);
  expect(asked[0]).toMatchObject({ kind: 'command', threadId: thread.id });
  expect(asked[0]!.kind === 'command' && asked[0]!.command).toContain('python3 -c');
  expect(result.status).toBe('completed');
  expect(functionCallOutputs(rig.model.responseRequests[1]!).join('\n')).toContain('made-it');
});

test('a declined approval is reported back to the model, and the turn still ends', async () => {
  rig = await startCodexRig({ onApproval: () => 'decline' });
  rig.model.respond((req) => (isAfterToolCall(req) ? { message: 'ok, skipped' } : { exec: 'mkdir declined-dir' }));
  const thread = await rig.server.startThread({ sandbox: 'read-only', approvalPolicy: 'untrusted' });
  const result = await thread.run('Make a folder.');
  expect(result.status).toBe('completed');
  expect(result.finalResponse).toBe('ok, skipped');
  const command = result.items.find((i) => i.type === 'commandExecution') as { status: string } | undefined;
  expect(command?.status).toBe('declined');
});

test('the app-server killed mid-turn gives a clear error', async () => {
  rig = await startCodexRig();
  let requested!: () => void;
  const modelCalled = new Promise<void>((resolve) => (requested = resolve));
  rig.model.respond(() => {
    requested();
    return { message: 'never delivered', delayMs: 5_000 };
  });
  const thread = await rig.server.startThread({ sandbox: 'read-only', approvalPolicy: 'never' });
  const turn = thread.run('Work.');
  await modelCalled;
  process.kill(rig.server.pid!, 'SIGKILL');
  await expect(turn).rejects.toThrow(AppServerExitedError);
  await expect(turn).rejects.toThrow(/codex app-server was killed by SIGKILL/);
  await expect(rig.server.startThread()).rejects.toThrow(/killed by SIGKILL/);
});

test('the streaming form yields the events of one turn in order and ends after turn/completed', async () => {
  rig = await startCodexRig();
  rig.model.respond((req) => (isAfterToolCall(req) ? { message: 'streamed' } : { exec: 'echo streaming' }));
  const thread = await rig.server.startThread({ sandbox: 'read-only', approvalPolicy: 'never' });
  const methods: string[] = [];
  const items: string[] = [];
  for await (const event of thread.runStreamed('Stream it.')) {
    methods.push(event.method);
    if (event.method === 'item/completed') items.push(event.params.item.type);
  }
  expect(methods[0]).toBe('turn/started');
  expect(methods.at(-1)).toBe('turn/completed');
  expect(methods).toContain('thread/tokenUsage/updated');
  expect(items).toEqual(expect.arrayContaining(['userMessage', 'commandExecution', 'agentMessage']));
  expect(items.indexOf('commandExecution')).toBeLessThan(items.indexOf('agentMessage'));
  // The thread is free again for the next turn.
  expect((await thread.run('again')).status).toBe('completed');
});
