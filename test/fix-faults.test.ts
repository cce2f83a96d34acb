// Fix mode under faults (real app-server, scripted model, real git, fake GitHub): a dead app-server or a refused key
// fails the step with its cause named; nothing is delivered and the test command is not run on a half-made change.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import type { RunContext } from '../src/base/context.js';
import { runFix } from '../src/modes/fix/run-fix.js';
import { TEST_API_KEY } from './support/codex.js';
import { trackAppServerPid } from './support/context.js';
import { FAILING_BRANCH, RUN_ID, startFixScenario, TEST_COMMAND, type FixScenario } from './support/fix-scenario.js';
import { errorReply, type ModelReply } from './support/model-server.js';

let scenario: FixScenario;
beforeEach(async () => {
  // @actions/core writes workflow commands (groups, warnings) to stdout.
  jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  scenario = await startFixScenario();
});
afterEach(async () => {
  jest.restoreAllMocks();
  await scenario.close();
});

/** A fix context whose app-server's pid is kept, and whose test command leaves a mark when it runs. */
async function context(): Promise<{ ctx: RunContext; pid: () => number; testRan: () => Promise<boolean> }> {
  const ctx = await scenario.context();
  const mark = join(ctx.tempDir, 'test-ran');
  ctx.inputs.testCommand = `echo ran >> ${mark}; ${TEST_COMMAND}`;
  const pid = trackAppServerPid(ctx);
  const testRan = () => readFile(mark).then(() => true, () => false);
  return { ctx, pid, testRan };
}

test('the app-server killed during a fix attempt fails the step naming the signal; nothing is delivered', async () => {
  const { ctx, pid, testRan } = await context();
  scenario.model.respond((): ModelReply => {
    process.kill(pid(), 'SIGKILL');
    return { message: 'never read', delayMs: 2_000 };
  });
  const outcome = await runFix(ctx, { runId: RUN_ID, source: 'workflow_run' });
  expect(outcome.conclusion).toBe('failure');
  expect(outcome.failure).toMatch(/^The agent stopped during try 1: codex app-server was killed by SIGKILL\./);
  expect(outcome.summary).toContain('codex app-server was killed by SIGKILL');
  expect(outcome.outputs.verified).toBe('false');
  expect(await testRan()).toBe(false);
  expect(scenario.github.createdPulls).toHaveLength(0);
  expect(await scenario.originGit('for-each-ref', '--format=%(refname)')).toBe(`refs/heads/${FAILING_BRANCH}`);
});

test('a refused key (401) ends the fix at the first answer with the endpoint\'s status and words', async () => {
  const { ctx, testRan } = await context();
  scenario.model.respond(() => errorReply(401, 'invalid x-api-key for deployment gpt-5.4'));
  const outcome = await runFix(ctx, { runId: RUN_ID, source: 'workflow_run' });
  expect(outcome.conclusion).toBe('failure');
  expect(outcome.failure).toBe(
    `The agent stopped during try 1: The model endpoint ${scenario.model.url} (openai-base-url) answered HTTP 401 Unauthorized: ` +
      '"invalid x-api-key for deployment gpt-5.4". The run was stopped at this first refusal. Check openai-api-key ' +
      '(or OPENAI_API_KEY) and that it is valid for openai-base-url.',
  );
  expect(outcome.summary).toContain('answered HTTP 401 Unauthorized: "invalid x-api-key for deployment gpt-5.4"');
  expect(outcome.summary).not.toContain(TEST_API_KEY);
  expect(scenario.model.responseRequests).toHaveLength(1);
  expect(await testRan()).toBe(false);
  expect(scenario.github.createdPulls).toHaveLength(0);
});
