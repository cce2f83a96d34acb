// A failed job's log of several megabytes, streamed from the fake GitHub: the full log is written redacted, and the
// excerpt the model gets still holds the failing assertion. (Peak memory with 50 MB: `npm run bench`.)
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { runFix } from '../src/modes/fix/run-fix.js';
import { secretForms } from '../src/base/text/redact.js';
import { BIG_LOG_ASSERTION, bigJobLog } from './support/big-log.js';
import { TEST_API_KEY } from './support/codex.js';
import { TEST_GITHUB_TOKEN } from './support/context.js';
import { diagnosisJson, FIX_COMMAND, RUN_ID, startFixScenario, type FixScenario } from './support/fix-scenario.js';
import { isAfterToolCall, userText } from './support/model-server.js';

const SECRET_EVERY = 997;
let scenario: FixScenario;
let log: string;
beforeEach(async () => {
  jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  // A script in the failing job printed the token now and then; the runner's masking is not the action's.
  log = bigJobLog({ bytes: 8_000_000, secret: TEST_GITHUB_TOKEN, secretEvery: SECRET_EVERY });
  scenario = await startFixScenario({ failedJobLog: log });
});
afterEach(async () => {
  jest.restoreAllMocks();
  await scenario.close();
});

test('a big failed job log is streamed to a redacted file and excerpted down to the failing assertion', async () => {
  scenario.model.respond((req) => (isAfterToolCall(req) ? { message: diagnosisJson('Make add() add') } : { exec: FIX_COMMAND }));
  const ctx = await scenario.context({ 'fix-delivery': 'patch' });

  const outcome = await runFix(ctx, { runId: RUN_ID, source: 'workflow_run' });

  expect(outcome.conclusion).toBe('success');
  const prompt = userText(scenario.model.responseRequests[0]!);
  expect(prompt).toContain(BIG_LOG_ASSERTION);
  expect(prompt).toContain('##[error]Process completed with exit code 1.');
  for (const form of secretForms([TEST_API_KEY, TEST_GITHUB_TOKEN])) expect(prompt).not.toContain(form);

  // The whole log is in the file the agent may read: every line, every token replaced, wherever the network cut it.
  const full = await readFile(join(ctx.tempDir, `codex-fix-${RUN_ID}`, 'failed-jobs.log'), 'utf8');
  expect(prompt).toContain(join(ctx.tempDir, `codex-fix-${RUN_ID}`, 'failed-jobs.log'));
  expect(full).not.toContain(TEST_GITHUB_TOKEN);
  const tokens = log.split(TEST_GITHUB_TOKEN).length - 1;
  expect(tokens).toBeGreaterThan(100);
  expect(full.split('with token *** (request').length - 1).toBe(tokens);
  expect(full.startsWith('===== Job "test" (failed step "Run node test.js") =====\n')).toBe(true);
  expect(full.split('\n').length).toBe(log.split('\n').length + 1);
  expect(full.endsWith(log.slice(-200))).toBe(true);
});
