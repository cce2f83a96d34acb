// Loop and trust guards of fix mode: pure checks, and the actor check against a fake GitHub.
import type { FailingRun } from '../src/modes/fix/failing-run.js';
import { actorSkipReason, staticSkipReason, type GuardInputs } from '../src/modes/fix/guards.js';
import { ACTIONS_BOT } from '../src/base/git.js';
import { useFakeGitHub } from './support/fake-github.js';

const repo = { owner: 'octo', repo: 'demo' };
const inputs: GuardInputs = { fixBranchPrefix: 'codex/fix/', allowForks: false, allowUsers: [], allowBots: [] };
const run: FailingRun = {
  id: 1,
  name: 'CI',
  branch: 'feature/x',
  sha: 'a'.repeat(40),
  conclusion: 'failure',
  url: undefined,
  actor: { login: 'octocat', type: 'User' },
  headRepository: 'octo/demo',
  headAuthor: { name: 'Octo Cat', email: 'octo@example.com' },
  origin: 'event',
};

describe('staticSkipReason', () => {
  it('lets an ordinary failed run through', () => {
    expect(staticSkipReason(run, inputs, repo)).toBeUndefined();
    // In the failing job itself the run has no conclusion yet.
    expect(staticSkipReason({ ...run, conclusion: null }, inputs, repo)).toBeUndefined();
  });

  it('skips runs that did not fail', () => {
    expect(staticSkipReason({ ...run, conclusion: 'success' }, inputs, repo)).toMatch(/concluded 'success'/);
    expect(staticSkipReason({ ...run, conclusion: 'cancelled' }, inputs, repo)).toMatch(/concluded 'cancelled'/);
    // As plan.ts decides for mode auto: only 'failure' is fixed, a timed-out run is not.
    expect(staticSkipReason({ ...run, conclusion: 'timed_out' }, inputs, repo)).toMatch(/concluded 'timed_out'/);
  });

  it('skips fix branches, with any custom prefix', () => {
    expect(staticSkipReason({ ...run, branch: 'codex/fix/feature/x-1' }, inputs, repo)).toMatch(/fix branch prefix/);
    expect(staticSkipReason({ ...run, branch: 'bot-fix-main' }, { ...inputs, fixBranchPrefix: 'bot-fix-' }, repo)).toMatch(/bot-fix-/);
  });

  it("skips commits made with the action's own identity, by name or email", () => {
    expect(staticSkipReason({ ...run, headAuthor: ACTIONS_BOT }, inputs, repo)).toMatch(/identity this action commits fixes with/);
    expect(staticSkipReason({ ...run, headAuthor: { name: 'someone', email: ACTIONS_BOT.email.toUpperCase() } }, inputs, repo)).toBeDefined();
    expect(staticSkipReason({ ...run, headAuthor: { name: 'github-actions[bot]', email: '' } }, inputs, repo)).toBeDefined();
  });

  it('skips forks unless allow-forks is set', () => {
    const fork = { ...run, headRepository: 'mallory/demo' };
    expect(staticSkipReason(fork, inputs, repo)).toMatch(/fork mallory\/demo.*allow-forks/);
    expect(staticSkipReason(fork, { ...inputs, allowForks: true }, repo)).toBeUndefined();
    expect(staticSkipReason({ ...run, headRepository: 'OCTO/Demo' }, inputs, repo)).toBeUndefined();
  });
});

describe('actorSkipReason', () => {
  const github = useFakeGitHub();

  it('allows users with write or admin access by default', async () => {
    github.fake.setPermission('writer', 'write');
    github.fake.setPermission('boss', 'admin');
    github.fake.setPermission('reader', 'read');
    expect(await actorSkipReason(github.gh, repo, { login: 'writer', type: 'User' }, inputs)).toBeUndefined();
    expect(await actorSkipReason(github.gh, repo, { login: 'boss', type: 'User' }, inputs)).toBeUndefined();
    expect(await actorSkipReason(github.gh, repo, { login: 'reader', type: 'User' }, inputs)).toMatch(/'read' access/);
    expect(await actorSkipReason(github.gh, repo, { login: 'stranger', type: 'User' }, inputs)).toMatch(/not a collaborator/);
  });

  it('uses allow-users instead of permissions when it is set', async () => {
    const listed = { ...inputs, allowUsers: ['Alice'] };
    expect(await actorSkipReason(github.gh, repo, { login: 'alice', type: 'User' }, listed)).toBeUndefined();
    expect(await actorSkipReason(github.gh, repo, { login: 'bob', type: 'User' }, listed)).toMatch(/not listed in 'allow-users'/);
    expect(github.fake.requests).toHaveLength(0);
  });

  it('allows bots only when listed in allow-bots', async () => {
    const dependabot = { login: 'dependabot[bot]', type: 'Bot' };
    expect(await actorSkipReason(github.gh, repo, dependabot, inputs)).toMatch(/bot dependabot\[bot\].*allow-bots/);
    expect(await actorSkipReason(github.gh, repo, dependabot, { ...inputs, allowBots: ['dependabot'] })).toBeUndefined();
    expect(await actorSkipReason(github.gh, repo, dependabot, { ...inputs, allowBots: ['dependabot[bot]'] })).toBeUndefined();
    // A bot with write access is still not trusted by default.
    github.fake.setPermission('dependabot[bot]', 'write');
    expect(await actorSkipReason(github.gh, repo, dependabot, inputs)).toBeDefined();
  });

  it('skips when the permission cannot be read, and when there is no actor', async () => {
    github.fake.failNext('GET', '/repos/:owner/:repo/collaborators/:username/permission', 403);
    expect(await actorSkipReason(github.gh, repo, { login: 'writer', type: 'User' }, inputs)).toMatch(
      /GitHub answered 403 to GET \/repos\/octo\/demo\/collaborators\/writer\/permission .*: Resource not accessible by integration.*allow-users/,
    );
    expect(await actorSkipReason(github.gh, repo, undefined, inputs)).toMatch(/no known actor/);
  });
});
