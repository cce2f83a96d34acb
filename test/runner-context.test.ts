// The run's event, repository, run id and GitHub URLs come from @actions/github's context; a named event file that
// cannot be read or is not a JSON object fails the run in the user's words.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readRunnerContext } from '../src/action/runner-context.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'runner-context-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function eventFile(text: string): Promise<string> {
  const path = join(dir, 'event.json');
  await writeFile(path, text);
  return path;
}

test('reads the event, the repository, the run id and the URLs the runner sets (GitHub Enterprise Server here)', async () => {
  const path = await eventFile(JSON.stringify({ pull_request: { number: 5 } }));
  const ctx = await readRunnerContext({
    GITHUB_EVENT_NAME: 'pull_request',
    GITHUB_EVENT_PATH: path,
    GITHUB_REPOSITORY: 'octo/demo',
    GITHUB_RUN_ID: '4242',
    GITHUB_API_URL: 'https://ghe.example/api/v3',
    GITHUB_GRAPHQL_URL: 'https://ghe.example/api/graphql',
    GITHUB_SERVER_URL: 'https://ghe.example',
  });
  expect(ctx).toEqual({
    event: { name: 'pull_request', payload: { pull_request: { number: 5 } } },
    place: { repo: { owner: 'octo', repo: 'demo' }, apiUrl: 'https://ghe.example/api/v3', graphqlUrl: 'https://ghe.example/api/graphql', serverUrl: 'https://ghe.example' },
    runId: 4242,
  });
});

test("defaults to github.com, leaves GraphQL to Octokit's own rule, and takes the repository from the payload", async () => {
  const path = await eventFile(JSON.stringify({ repository: { name: 'demo', owner: { login: 'octo' } } }));
  const ctx = await readRunnerContext({ GITHUB_EVENT_NAME: 'push', GITHUB_EVENT_PATH: path });
  expect(ctx.place).toEqual({ repo: { owner: 'octo', repo: 'demo' }, apiUrl: 'https://api.github.com', graphqlUrl: undefined, serverUrl: 'https://github.com' });
  expect(ctx.runId).toBeUndefined();
});

test('no event file is an empty payload (a local run), not an error', async () => {
  expect((await readRunnerContext({ GITHUB_REPOSITORY: 'octo/demo' })).event).toEqual({ name: 'workflow_dispatch', payload: {} });
});

test.each([
  ['a missing file', null, /^Could not read the 'pull_request' event's payload at GITHUB_EVENT_PATH \(.*missing\.json\): ENOENT/],
  ['a file that is not JSON', '{ nope', /^GITHUB_EVENT_PATH \(.*event\.json\) is not valid JSON: /],
  ['a JSON list', '[1, 2]', /^The 'pull_request' event's payload at GITHUB_EVENT_PATH \(.*event\.json\) is not a JSON object\.$/],
])('%s fails the run instead of reading as "nothing to do"', async (_what, text, message) => {
  const path = text === null ? join(dir, 'missing.json') : await eventFile(text);
  await expect(readRunnerContext({ GITHUB_EVENT_NAME: 'pull_request', GITHUB_EVENT_PATH: path, GITHUB_REPOSITORY: 'octo/demo' })).rejects.toThrow(message);
});

test('the process environment is left as it was', async () => {
  const before = { ...process.env };
  const path = await eventFile('{}');
  await readRunnerContext({ GITHUB_EVENT_NAME: 'push', GITHUB_EVENT_PATH: path, GITHUB_REPOSITORY: 'a/b' });
  expect({ ...process.env }).toEqual(before);
});
