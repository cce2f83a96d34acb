// Protocol edge cases of the client, driven by a real fixture process speaking the wire format.
import { resolve } from 'node:path';
import { AppServer, AppServerExitedError, TurnTimeoutError } from '../src/base/codex/app-server.js';
import { RpcError } from '../src/base/codex/rpc.js';

const FAKE = resolve('test/fixtures/fake-app-server.mjs');

function start(env: Record<string, string>, warnings: string[] = []): Promise<AppServer> {
  return AppServer.start({
    codexPath: FAKE,
    cwd: process.cwd(),
    env: { PATH: process.env.PATH ?? '', ...env },
    logger: { info: () => {}, debug: () => {}, warning: (m) => warnings.push(m) },
  });
}

let server: AppServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

test('a non-JSON line on stdout is logged and skipped', async () => {
  const warnings: string[] = [];
  server = await start({}, warnings);
  expect(warnings.join('\n')).toContain('not JSON; skipped: this line is not JSON');
  expect((await server.startThread()).id).toBe('thr-1');
});

test('"Server overloaded" (-32001) is retried with backoff', async () => {
  server = await start({ FAKE_OVERLOADS: '2' });
  expect((await server.startThread()).id).toBe('thr-1');
});

test('a JSON-RPC error carries its code and message', async () => {
  server = await start({});
  const thread = await server.startThread();
  const error = await thread.run('x').catch((e: unknown) => e);
  expect(error).toBeInstanceOf(RpcError);
  expect(error).toMatchObject({ code: -32600, method: 'turn/start' });
  expect((error as Error).message).toContain('bad turn');
});

test('a process that exits rejects pending requests with its exit code and stderr', async () => {
  server = await start({ FAKE_MODE: 'crash' });
  const error = await server.startThread().catch((e: unknown) => e);
  expect(error).toBeInstanceOf(Error);
  // The exit is the error itself, or its cause when a request wraps it.
  expect((error as Error).cause ?? error).toBeInstanceOf(AppServerExitedError);
  expect((error as Error).message).toMatch(/exited with code 3/);
  expect((error as Error).message).toContain('panicked: boom');
});

test('a binary that cannot start gives a clear error', async () => {
  const error = await AppServer.start({ codexPath: '/nonexistent/codex', cwd: process.cwd(), env: {} }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(AppServerExitedError);
  expect((error as Error).message).toMatch(/ENOENT|nonexistent/);
});

test('a failed initialize reports the server error, not a bare exit', async () => {
  const error = await start({ FAKE_MODE: 'init-error' }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(RpcError);
  expect((error as Error).message).toContain('client version too old');
});

test('a late completion of an earlier turn does not end the current one', async () => {
  server = await start({ FAKE_MODE: 'stale' });
  const result = await (await server.startThread()).run('go');
  expect(result).toMatchObject({ turnId: 'turn-NEW', status: 'completed', finalResponse: 'new answer' });
});

test('a turn that ignores turn/interrupt past its timeout has the server killed, with the reason', async () => {
  server = await AppServer.start({
    codexPath: FAKE,
    cwd: process.cwd(),
    env: { PATH: process.env.PATH ?? '', FAKE_MODE: 'hang' },
    interruptGraceMs: 300,
  });
  const thread = await server.startThread();
  const error = await thread.run('never ends', { timeoutMs: 200 }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(TurnTimeoutError);
  expect((error as Error).message).toContain("Raise 'timeout-minutes'");
  // Everything else waiting on the server learns why it died.
  await expect(server.startThread()).rejects.toThrow(/killed by SIGKILL[\s\S]*ran past its/);
});

test('an answer that is not valid JSON-RPC fails its request instead of leaving it waiting', async () => {
  const warnings: string[] = [];
  server = await start({ FAKE_MODE: 'bad-answer' }, warnings);
  await expect(server.startThread()).rejects.toThrow(/thread\/start failed .*could not be read/);
  expect(warnings.join('\n')).toContain('failing thread/start');
});

test('a server that never answers turn/start is stopped by the turn timeout too', async () => {
  server = await start({ FAKE_MODE: 'silent-start' });
  const thread = await server.startThread();
  const error = await thread.run('x', { timeoutMs: 200 }).catch((e: unknown) => e);
  expect((error as Error).message).toMatch(/ran past its/);
});
