// Where a GitHub failure used to turn into a softer outcome or a guess: GitHub's own words now reach the user.
import { streamJobLog, getWorkflowRun, listFailedJobs, RunDataUnavailableError } from '../src/base/github/runs.js';
import { tokenLogin } from '../src/base/github/reviews.js';
import { useFakeGitHub } from './support/fake-github.js';
import { captureStdout } from './support/review-fixtures.js';

const github = useFakeGitHub();

/** The error a call rejects with; a call that succeeds fails the test. */
async function failure(call: Promise<unknown>): Promise<Error> {
  try {
    await call;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the call to fail');
}
const repo = { owner: 'octo', repo: 'demo' };

describe('run data GitHub will not give', () => {
  it('keeps GitHub\'s words and the request, and names the retention period only for a 410', async () => {
    github.fake.failNext('GET', '/repos/:owner/:repo/actions/runs/:run_id', 403);
    const forbidden = await failure(getWorkflowRun(github.gh, repo, 5));
    expect(forbidden).toBeInstanceOf(RunDataUnavailableError);
    expect(forbidden.message).toMatch(
      /^Could not read workflow run 5: GitHub answered 403 to GET \/repos\/octo\/demo\/actions\/runs\/5 at .*: Resource not accessible by integration.*it needs 'actions: read'/,
    );
    expect(forbidden.message).not.toContain('retention');

    github.fake.addWorkflowRun({ ...repo, id: 6, headBranch: 'main', headSha: 'c'.repeat(40), conclusion: 'failure', jobs: [{ id: 61, name: 'test', conclusion: 'failure', log: 'x' }] });
    github.fake.failNext('GET', '/repos/:owner/:repo/actions/jobs/:job_id/logs', 410, { message: 'Gone', documentation_url: 'https://docs.github.com/rest' });
    const gone = await failure(streamJobLog(github.gh, repo, 61));
    expect(gone.message).toMatch(/^Could not read the log of job 61: GitHub answered 410 to GET \/repos\/octo\/demo\/actions\/jobs\/61\/logs .*: Gone/);
    expect(gone.message).toContain('retention period');
  });

  it('a GitHub outage is not mistaken for missing access', async () => {
    for (let i = 0; i < 3; i++) github.fake.failNext('GET', '/repos/:owner/:repo/actions/runs/:run_id/jobs', 502);
    const error = await failure(listFailedJobs(github.gh, repo, 7));
    expect(error).not.toBeInstanceOf(RunDataUnavailableError);
    expect(error.message).toContain('GitHub answered 502 to GET /repos/octo/demo/actions/runs/7/jobs');
  });
});

describe('the login the token acts as', () => {
  it('is quietly unknown for tokens that may not read /user, and a warning with GitHub\'s words when GitHub fails', async () => {
    const stdout = captureStdout();
    try {
      github.fake.failNext('GET', '/user', 403);
      expect(await tokenLogin(github.gh)).toBeUndefined();
      expect(stdout.text()).not.toContain('::warning::');
      github.fake.failNext('GET', '/user', 500);
      expect(await tokenLogin(github.gh)).toBeUndefined();
      expect(stdout.text()).toMatch(/::warning::Could not tell which user the token acts as \(GitHub answered 500 to GET \/user .*Server Error/);
    } finally {
      stdout.restore();
    }
  });
});
