// Which job a run does, from the event and the inputs.
import { MalformedEventError, planRun, PlanError } from '../src/action/plan.js';
import { readInputs } from '../src/action/inputs.js';

const inputs = (extra: Record<string, string> = {}) =>
  readInputs({
    GITHUB_WORKSPACE: '/w',
    'INPUT_OPENAI-API-KEY': 'sk-test-key-0000',
    ...Object.fromEntries(Object.entries(extra).map(([k, v]) => [`INPUT_${k.toUpperCase()}`, v])),
  });

test('auto reviews the pull request of a pull_request event', () => {
  expect(planRun(inputs(), { name: 'pull_request', payload: { pull_request: { number: 12 } } }, 1)).toEqual({
    job: 'review',
    target: { prNumbers: [12], explicit: false },
  });
});

test('pr-number names the PRs explicitly (batch)', () => {
  expect(planRun(inputs({ 'pr-number': '142,143' }), { name: 'workflow_dispatch', payload: {} }, 1)).toEqual({
    job: 'review',
    target: { prNumbers: [142, 143], explicit: true },
  });
});

test('auto fixes a failed workflow_run and skips a successful one', () => {
  const failed = { name: 'workflow_run', payload: { workflow_run: { id: 55, conclusion: 'failure' } } };
  expect(planRun(inputs({ 'test-command': 'npm test' }), failed, 99)).toEqual({ job: 'fix', target: { runId: 55, source: 'workflow_run' } });
  const ok = { name: 'workflow_run', payload: { workflow_run: { id: 55, conclusion: 'success' } } };
  expect(planRun(inputs(), ok, 99)).toMatchObject({ job: 'skip', reason: expect.stringContaining("'success'") });
});

test('fix mode in a later step of the failing job targets the current run', () => {
  expect(planRun(inputs({ mode: 'fix' }), { name: 'push', payload: {} }, 4242)).toEqual({
    job: 'fix',
    target: { runId: 4242, source: 'in-job' },
  });
  expect(planRun(inputs({ mode: 'fix', 'run-id': '7' }), { name: 'push', payload: {} }, 4242)).toEqual({
    job: 'fix',
    target: { runId: 7, source: 'input' },
  });
});

test('review mode without a pull request says what to do', () => {
  expect(() => planRun(inputs({ mode: 'review' }), { name: 'push', payload: {} }, 1)).toThrow(PlanError);
  expect(() => planRun(inputs({ mode: 'review' }), { name: 'push', payload: {} }, 1)).toThrow(/set 'pr-number'/);
});

test('auto on an unrelated event skips and says why', () => {
  expect(planRun(inputs(), { name: 'push', payload: {} }, 1)).toMatchObject({ job: 'skip', reason: expect.stringContaining("'push'") });
});

test('a trusted comment with the trigger phrase on a PR asks for a review; others are skipped', () => {
  const comment = (body: string, association: string, pr = true) => ({
    name: 'issue_comment',
    payload: { issue: { number: 8, ...(pr ? { pull_request: {} } : {}) }, comment: { body, author_association: association, user: { login: 'mona' } } },
  });
  expect(planRun(inputs(), comment('@codex please review', 'MEMBER'), 1)).toEqual({ job: 'review', target: { prNumbers: [8], explicit: true } });
  expect(planRun(inputs(), comment('@codex please review', 'NONE'), 1)).toMatchObject({ job: 'skip' });
  expect(planRun(inputs({ 'allow-users': 'Mona' }), comment('@codex go', 'NONE'), 1)).toMatchObject({ job: 'review' });
  expect(planRun(inputs(), comment('looks good', 'OWNER'), 1)).toMatchObject({ job: 'skip' });
  expect(planRun(inputs(), comment('@codex', 'OWNER', false), 1)).toMatchObject({ job: 'skip' });
});

test('edited comments, untrusted bots and review mode on a comment follow the same rules', () => {
  const comment = (extra: Record<string, unknown>, user: Record<string, unknown> = { login: 'mona' }) => ({
    name: 'issue_comment',
    payload: { action: 'created', issue: { number: 8, pull_request: {} }, comment: { body: '@codex review', author_association: 'MEMBER', user }, ...extra },
  });
  expect(planRun(inputs(), comment({ action: 'edited' }), 1)).toMatchObject({ job: 'skip', reason: expect.stringContaining('edited') });
  const bot = { login: 'renovate[bot]', type: 'Bot' };
  expect(planRun(inputs(), comment({}, bot), 1)).toMatchObject({ job: 'skip', reason: expect.stringContaining("'allow-bots'") });
  expect(planRun(inputs({ 'allow-bots': 'renovate' }), comment({}, bot), 1)).toMatchObject({ job: 'review' });
  expect(planRun(inputs({ mode: 'review' }), comment({}), 1)).toEqual({ job: 'review', target: { prNumbers: [8], explicit: true } });
  expect(planRun(inputs({ mode: 'review' }), comment({ action: 'deleted' }), 1)).toMatchObject({ job: 'skip' });
});

describe('malformed event payloads fail the run, naming the event and the field', () => {
  const plan = (name: string, payload: Record<string, unknown>, extra: Record<string, string> = {}) => () => planRun(inputs(extra), { name, payload }, 1);

  test('a pull_request or pull_request_target payload without pull_request.number, in auto and review mode', () => {
    for (const name of ['pull_request', 'pull_request_target']) {
      expect(plan(name, {})).toThrow(MalformedEventError);
      expect(plan(name, {})).toThrow(`The '${name}' event's payload (GITHUB_EVENT_PATH) is malformed: pull_request is missing.`);
      expect(plan(name, { pull_request: { title: 'x' } })).toThrow(`The '${name}' event's payload (GITHUB_EVENT_PATH) is malformed: pull_request.number is missing.`);
      expect(plan(name, { pull_request: { title: 'x' } }, { mode: 'review' })).toThrow('pull_request.number is missing');
    }
  });

  test('a pull_request.number of the wrong type says what it is and what was expected', () => {
    expect(plan('pull_request', { pull_request: { number: '12' } })).toThrow('pull_request.number is "12" (expected number)');
    expect(plan('pull_request', { pull_request: { number: -3 } })).toThrow(/pull_request\.number is -3 \(.*>0/);
  });

  test('a workflow_run payload without workflow_run.id fails in auto and fix mode (never fixes the current run instead)', () => {
    expect(plan('workflow_run', { workflow_run: { conclusion: 'failure' } })).toThrow("The 'workflow_run' event's payload (GITHUB_EVENT_PATH) is malformed: workflow_run.id is missing.");
    expect(plan('workflow_run', { workflow_run: { conclusion: 'failure' } }, { mode: 'fix' })).toThrow('workflow_run.id is missing');
    expect(plan('workflow_run', {}, { mode: 'fix' })).toThrow('workflow_run is missing');
  });

  test('a comment payload without issue.number fails; a comment on an issue (not a PR) is still a skip', () => {
    const comment = { body: '@codex review', author_association: 'MEMBER', user: { login: 'mona' } };
    expect(plan('issue_comment', { issue: { pull_request: {} }, comment })).toThrow("The 'issue_comment' event's payload (GITHUB_EVENT_PATH) is malformed: issue.number is missing.");
    expect(plan('issue_comment', { issue: { pull_request: {} }, comment }, { mode: 'review' })).toThrow('issue.number is missing');
    expect(plan('issue_comment', { issue: { number: 8 }, comment })()).toMatchObject({ job: 'skip', reason: 'The comment is not on a pull request.' });
  });

  test('pr-number and run-id make the payload unnecessary', () => {
    expect(plan('pull_request', {}, { 'pr-number': '4' })()).toEqual({ job: 'review', target: { prNumbers: [4], explicit: true } });
    expect(plan('workflow_run', {}, { mode: 'fix', 'run-id': '9' })()).toEqual({ job: 'fix', target: { runId: 9, source: 'input' } });
  });
});
