// Fix mode and nested AGENTS.md, end to end: the first attempt's prompt carries the rules of the files the failed
// job's log points at, read from the commit the fix is made on; the real app-server, the scripted model, real git.
import { jest } from '@jest/globals';
import { runFix } from '../src/modes/fix/run-fix.js';
import { diagnosisJson, FAILED_JOB_LOG, FIX_COMMAND, RUN_ID, startFixScenario, type FixScenario } from './support/fix-scenario.js';
import { isAfterToolCall, lastUserText, userText } from './support/model-server.js';

let scenario: FixScenario;
beforeEach(() => {
  jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
});
afterEach(async () => {
  jest.restoreAllMocks();
  await scenario.close();
});

// The log names the failing file the way Node prints a stack on a runner: an absolute path into the checkout.
const LOG_WITH_STACK = FAILED_JOB_LOG.replace(
  'Post job cleanup.',
  'Error: add is wrong\n2024-05-01T10:00:05.3200000Z     at Object.<anonymous> (/home/runner/work/demo/demo/src/add.js:1:30)\n2024-05-01T10:00:06.0000000Z Post job cleanup.',
);

test("the first attempt carries the nested AGENTS.md of the files the log points at, after the root's, and no others", async () => {
  scenario = await startFixScenario({
    failedJobLog: LOG_WITH_STACK,
    extraFiles: {
      'AGENTS.md': 'ROOT-FIX-RULE: keep changes small.\n',
      'src/AGENTS.md': 'SRC-RULE-8: arithmetic helpers never subtract.\n',
      'web/AGENTS.md': 'WEB-RULE-9: no direct DOM access.\n',
    },
  });
  scenario.model.respond((req) => (isAfterToolCall(req) ? { message: diagnosisJson('Make add() add') } : { exec: FIX_COMMAND }));
  const outcome = await runFix(await scenario.context(), { runId: RUN_ID, source: 'workflow_run' });
  expect(outcome.conclusion).toBe('success');

  const first = scenario.model.responseRequests[0]!;
  const prompt = lastUserText(first);
  expect(prompt).toContain('## Rules for the files the failure points at (nested AGENTS.md)');
  expect(prompt).toContain('The output names `test.js`, `src/add.js`.');
  expect(prompt).toContain(`read from commit ${scenario.repo.headSha.slice(0, 12)}`);
  expect(prompt).toContain('### src/AGENTS.md (for `src/`)\n```\nSRC-RULE-8');
  expect(userText(first)).not.toContain('WEB-RULE-9');
  // The root's file is Codex's own (loaded from the workspace before the prompt); the nested one follows it.
  const all = userText(first);
  expect(all.indexOf('ROOT-FIX-RULE')).toBeGreaterThanOrEqual(0);
  expect(all.indexOf('SRC-RULE-8')).toBeGreaterThan(all.indexOf('ROOT-FIX-RULE'));
  expect(prompt).not.toContain('ROOT-FIX-RULE');
  expect(outcome.summary).toContain(`Nested rules shown to the agent (from ${scenario.repo.headSha.slice(0, 12)}): \`src/AGENTS.md\`.`);
});

test('a log that names no file under nested rules adds no section', async () => {
  scenario = await startFixScenario({ extraFiles: { 'web/AGENTS.md': 'WEB-RULE-9: no direct DOM access.\n' } });
  scenario.model.respond((req) => (isAfterToolCall(req) ? { message: diagnosisJson('Make add() add') } : { exec: FIX_COMMAND }));
  const outcome = await runFix(await scenario.context(), { runId: RUN_ID, source: 'workflow_run' });
  expect(outcome.conclusion).toBe('success');
  expect(lastUserText(scenario.model.responseRequests[0]!)).not.toContain('## Rules for the files');
  expect(userText(scenario.model.responseRequests[0]!)).not.toContain('WEB-RULE-9');
});
