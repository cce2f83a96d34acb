// The artifact port's one implementation against the fake results service, through the real @actions/artifact client:
// artifacts are the workflow run's, so another job of the run reads what one job uploaded, and another run does not.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ActionsArtifactStore } from '../src/base/artifacts/artifact-store.js';
import { startFakeArtifactService, type FakeArtifactService } from './support/fake-artifact-service.js';
import { captureStdout } from './support/review-fixtures.js';

let service: FakeArtifactService;
let dir: string;
let stdout: ReturnType<typeof captureStdout>;

beforeEach(async () => {
  stdout = captureStdout();
  service = await startFakeArtifactService();
  dir = await mkdtemp(join(tmpdir(), 'artifacts-'));
  // What the runner gives a JavaScript action: @actions/artifact reads them from process.env.
  process.env.ACTIONS_RESULTS_URL = `${service.url}/`;
  process.env.ACTIONS_RUNTIME_TOKEN = service.token;
});
afterEach(async () => {
  stdout.restore();
  delete process.env.ACTIONS_RESULTS_URL;
  delete process.env.ACTIONS_RUNTIME_TOKEN;
  await service.close();
  await rm(dir, { recursive: true, force: true });
});

async function uploadAs(token: string, name: string, text: string): Promise<number> {
  process.env.ACTIONS_RUNTIME_TOKEN = token;
  const file = join(dir, `${name}.json`);
  await writeFile(file, text);
  return new ActionsArtifactStore().upload(name, file);
}

test('another job of the run lists and downloads what a job uploaded; a job of another run sees nothing', async () => {
  const id = await uploadAs(service.jobToken(), 'shard-1', '{"a":1}');
  await uploadAs(service.jobToken(), 'shard-2', '{"b":2}');
  expect(ActionsArtifactStore.available(process.env)).toBe(true);

  process.env.ACTIONS_RUNTIME_TOKEN = service.jobToken();
  const store = new ActionsArtifactStore();
  const listed = await store.list();
  expect(listed.map((a) => a.name).sort()).toEqual(['shard-1', 'shard-2']);
  expect(listed.find((a) => a.name === 'shard-1')).toMatchObject({ id, size: expect.any(Number) });
  await store.download(id, join(dir, 'out'));
  expect(await readFile(join(dir, 'out', 'shard-1.json'), 'utf8')).toBe('{"a":1}');
  expect(service.calls.filter((c) => c.method === 'GetSignedArtifactURL')).toHaveLength(1);

  process.env.ACTIONS_RUNTIME_TOKEN = service.otherRunToken();
  expect(await new ActionsArtifactStore().list()).toEqual([]);
  await expect(new ActionsArtifactStore().download(id, join(dir, 'other'))).rejects.toThrow(/No artifacts found for ID/);
});

test('a 5xx on the list is retried by the client; a refusal is thrown with the service\'s words', async () => {
  await uploadAs(service.jobToken(), 'shard-1', '{}');
  const store = new ActionsArtifactStore();
  service.failNext('ListArtifacts', 1, { status: 503, code: 'unavailable', msg: 'the service is busy' });
  expect((await store.list()).map((a) => a.name)).toEqual(['shard-1']);
  expect(service.calls.filter((c) => c.method === 'ListArtifacts')).toHaveLength(2);

  service.failNext('ListArtifacts', 1, { status: 403, code: 'permission_denied', msg: 'the token may not read artifacts' });
  await expect(store.list()).rejects.toThrow(/the token may not read artifacts/);
});
