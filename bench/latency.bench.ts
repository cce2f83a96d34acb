// The action's own overhead under real-world latency: the bundled action run end to end against a fake GitHub that
// answers each request in 100 ms and a scripted model that takes 3 s per chunk turn and 1.5 s per other round trip;
// plus the same runs with instant fakes. Overhead = wall − time with a model request in flight (fix mode: also
// minus the test command's own time). Prints a Markdown table of medians (the README's benchmark table).
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { chunkFiles, DEFAULT_CHUNK_TOKENS } from '../src/modes/review/gather/chunks.js';
import { parsePatch } from '../src/modes/review/gather/diff.js';
import { TEST_API_KEY } from '../test/support/codex.js';
import { TEST_GITHUB_TOKEN } from '../test/support/context.js';
import { FakeGitHub } from '../test/support/fake-github.js';
import { FAILED_JOB_LOG, FIX_COMMAND, JOB_ID, OWNER, REPO, RUN_ID, diagnosisJson, startFixScenario } from '../test/support/fix-scenario.js';
import { createRepo, type TestRepo } from '../test/support/git-repo.js';
import { isAfterToolCall, lastUserText, ModelServer, type ModelRequest } from '../test/support/model-server.js';
import { addedPatch, finding, findingsReply, scriptReviewModel, serveContents, turnKind } from '../test/support/review-fixtures.js';
import { prepareBundle, runAction, type ActionBundle, type RunMeasurement } from './action-run.js';
import { median } from './timeline.js';

// Three runs per case keep the whole benchmark at a few minutes on two cores; BENCH_RUNS=5 for steadier medians.
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
// BENCH_CASES=10,batch runs only the cases whose key is listed.
const ONLY = process.env.BENCH_CASES?.split(',').map((s) => s.trim());
// BENCH_TRACE=1 prints each case's median run as a timeline of requests.
const TRACE = process.env.BENCH_TRACE === '1';
// BENCH_BEFORE=other/checkout/src/action/index.ts runs that version too, each of its runs right before this version's (so both
// see the same load on a shared machine); the table then has a "before" and an "after" row per case.
const BEFORE = process.env.BENCH_BEFORE;

const GITHUB_LATENCY_MS = 100;
const CHUNK_TURN_MS = 3000;
const OTHER_TURN_MS = 1500;
const BASE_SHA = 'b'.repeat(40);
// About 200 tokens per file: 60 files to a 12,000-token chunk, so 300 files make five.
const LINES_PER_FILE = 10;

interface Latency {
  github: number;
  model: (req: ModelRequest) => number;
}
const REAL: Latency = { github: GITHUB_LATENCY_MS, model: (req) => (turnKind(req) === 'chunk' ? CHUNK_TURN_MS : OTHER_TURN_MS) };
const FIX_REAL: Latency = { github: GITHUB_LATENCY_MS, model: () => OTHER_TURN_MS };
const INSTANT: Latency = { github: 0, model: () => 0 };

interface Row {
  name: string;
  runs: RunMeasurement[];
  /** Fix mode: the test command's own time per run. */
  testMs?: number[];
}

/** The versions measured: this one, or BENCH_BEFORE's and this one. */
let versions: Array<{ label: string; bundle: ActionBundle }> = [];
let workspace: TestRepo;
const rows: Row[] = [];
// The 1-minute load average before each run: the machine's conditions belong next to its figures.
const loads: number[] = [];

beforeAll(async () => {
  versions = BEFORE ? [{ label: 'before', bundle: await prepareBundle(BEFORE) }] : [];
  versions.push({ label: BEFORE ? 'after' : '', bundle: await prepareBundle() });
  // Review mode needs no checkout of the pull request; a plain repository stands for the workspace.
  workspace = await createRepo({ 'README.md': '# demo\n' });
}, 600_000);

afterAll(async () => {
  await workspace?.cleanup();
  for (const v of versions) await rm(v.bundle.dir, { recursive: true, force: true });
  console.log(table(rows));
});

function wanted(key: string): boolean {
  return !ONLY || ONLY.includes(key);
}

/** The changed files of pull request `pr`: `count` added files of LINES_PER_FILE lines each. */
function pullFiles(pr: number, count: number) {
  return Array.from({ length: count }, (_, i) => {
    const lines = Array.from({ length: LINES_PER_FILE }, (_, l) => `export const value${l} = compute(${pr}, ${i}, ${l}); // line ${l}`);
    return { filename: `src/pr${pr}/file${i}.ts`, status: 'added', patch: addedPatch(lines), additions: lines.length };
  });
}

/** One review run: fresh fakes (a first review of fresh pull requests), `prs` pull requests of `files` files each. */
async function reviewRun(bundle: ActionBundle, latency: Latency, prs: number, files: number, expectedChunks: number | undefined): Promise<RunMeasurement> {
  loads.push(loadavg()[0]!);
  const github = await FakeGitHub.start({ latencyMs: latency.github });
  const model = await ModelServer.start({ latencyMs: latency.model });
  try {
    serveContents(github, {
      owner: 'octo',
      repo: 'demo',
      sha: BASE_SHA,
      files: { 'AGENTS.md': 'Prefer typed errors.\n', 'CONTRIBUTING.md': 'Write tests.\n', 'src/index.ts': 'export {};\n' },
    });
    const numbers = Array.from({ length: prs }, (_, i) => i + 1);
    for (const number of numbers) {
      const changed = pullFiles(number, files);
      github.addPullRequest({
        owner: 'octo',
        repo: 'demo',
        number,
        head: { ref: `feature-${number}`, sha: workspace.headSha },
        base: { ref: 'main', sha: BASE_SHA },
        files: changed,
      });
      const chunks = chunkFiles(changed.map((f) => ({ path: f.filename, status: f.status, hunks: parsePatch(f.patch) })), DEFAULT_CHUNK_TOKENS);
      if (expectedChunks !== undefined) expect(chunks).toHaveLength(expectedChunks);
    }
    // Each chunk finds one problem on the first file it shows, so every pull request gets a review and a summary.
    scriptReviewModel(model, {
      chunk: (req) => {
        const path = /src\/pr\d+\/file\d+\.ts/.exec(lastUserText(req))?.[0] ?? 'src/pr1/file0.ts';
        return findingsReply([finding({ path, line: 1, title: `Unchecked input in ${path}`, severity: 'medium' })]);
      },
    });
    const single = prs === 1;
    const run = await runAction({
      bundle,
      github,
      model,
      workspace: workspace.dir,
      inputs: {
        mode: 'review',
        'openai-api-key': TEST_API_KEY,
        'openai-base-url': model.url,
        'github-token': TEST_GITHUB_TOKEN,
        ...(single ? {} : { 'pr-number': numbers.join(',') }),
      },
      event: single
        ? { name: 'pull_request', payload: { action: 'opened', pull_request: { number: 1 } } }
        : { name: 'workflow_dispatch', payload: {} },
    });
    expect({ exit: run.exitCode, conclusion: run.outputs.conclusion }).toEqual({ exit: 0, conclusion: 'findings' });
    expect(github.reviews).toHaveLength(prs);
    return run;
  } finally {
    await github.close();
    await model.close();
  }
}

async function reviewCase(key: string, name: string, latency: Latency, prs: number, files: number, chunks?: number): Promise<void> {
  if (!wanted(key)) return;
  const runs = versions.map(() => [] as RunMeasurement[]);
  for (let i = 0; i < RUNS; i++) for (const [v, version] of versions.entries()) runs[v]!.push(await reviewRun(version.bundle, latency, prs, files, chunks));
  for (const [v, version] of versions.entries()) {
    rows.push({ name: labelled(name, version.label), runs: runs[v]! });
    if (TRACE) printTrace(labelled(name, version.label), runs[v]!);
  }
}

function labelled(name: string, label: string): string {
  return label ? `${name}, ${label}` : name;
}

/** About 1 MB of job log: setup noise, then the failing step's lines. */
function bigJobLog(): string {
  const noise: string[] = [];
  let size = 0;
  for (let i = 0; size < 1024 * 1024 - FAILED_JOB_LOG.length; i++) {
    const line = `2024-05-01T09:${String(Math.floor(i / 6000) % 60).padStart(2, '0')}:00.0000000Z npm http fetch GET 200 https://registry.npmjs.org/package-${i} ${i % 97}ms (cache miss)`;
    noise.push(line);
    size += line.length + 1;
  }
  return `${noise.join('\n')}\n${FAILED_JOB_LOG}`;
}

/** One fix run on a workflow_run event: 1 MB of failed-job log, one turn (a command, then the diagnosis), a pull request. */
async function fixRun(bundle: ActionBundle, latency: Latency): Promise<{ run: RunMeasurement; testMs: number }> {
  loads.push(loadavg()[0]!);
  const scenario = await startFixScenario({ github: { latencyMs: latency.github }, model: { latencyMs: latency.model } });
  const timing = await mkdtemp(join(tmpdir(), 'bench-test-time-'));
  try {
    scenario.github.addWorkflowRun({
      owner: OWNER,
      repo: REPO,
      id: RUN_ID,
      name: 'CI',
      headBranch: 'feature/math',
      headSha: scenario.repo.headSha,
      conclusion: 'failure',
      actor: { login: 'octocat', type: 'User' },
      jobs: [
        { id: JOB_ID - 1, name: 'lint', conclusion: 'success', log: 'all good\n' },
        {
          id: JOB_ID,
          name: 'test',
          conclusion: 'failure',
          steps: [{ name: 'Run node test.js', number: 2, conclusion: 'failure' }],
          log: bigJobLog(),
        },
      ],
    });
    scenario.model.respond((req) => (isAfterToolCall(req) ? { message: diagnosisJson('Make add() add') } : { exec: FIX_COMMAND }));
    // The test command notes its own start and end (in milliseconds), so its time can be taken out of the overhead.
    const times = join(timing, 'times');
    const testCommand = `s=$(date +%s%3N); node test.js; r=$?; echo "$s $(date +%s%3N)" >> ${times}; exit $r`;
    const run = await runAction({
      bundle,
      github: scenario.github,
      model: scenario.model,
      workspace: scenario.repo.dir,
      inputs: {
        mode: 'fix',
        'openai-api-key': TEST_API_KEY,
        'openai-base-url': scenario.model.url,
        'github-token': TEST_GITHUB_TOKEN,
        'test-command': testCommand,
      },
      event: scenario.event,
    });
    expect({ exit: run.exitCode, conclusion: run.outputs.conclusion }).toEqual({ exit: 0, conclusion: 'success' });
    const spans = (await readFile(times, 'utf8')).trim().split('\n').map((l) => l.split(' ').map(Number));
    expect(spans.length).toBeGreaterThan(0);
    return { run, testMs: spans.reduce((sum, [s, e]) => sum + (e! - s!), 0) };
  } finally {
    await rm(timing, { recursive: true, force: true });
    await scenario.close();
  }
}

function printTrace(name: string, runs: RunMeasurement[]): void {
  const mid = runs.find((r) => r.wallMs === median(runs.map((x) => x.wallMs)))!;
  console.log(`${name} (median run):\n${mid.trace.join('\n')}`);
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}

/** The Markdown table of medians. */
function table(all: readonly Row[]): string {
  const lines = [
    `Medians of ${RUNS} run(s) each; ${cpus().length} CPUs; 1-minute load average before the runs: ` +
      (loads.length > 0 ? `${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)} (median ${median(loads).toFixed(1)}).` : 'none measured.'),
    '',
    '| case | wall | model busy | test command | overhead | GitHub requests | GitHub-only time (≈ round trips) | peak RSS |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const row of all) {
    const m = (f: (r: RunMeasurement, i: number) => number) => median(row.runs.map(f));
    const test = row.testMs ? median(row.testMs) : undefined;
    const overhead = m((r, i) => r.wallMs - r.modelMs - (row.testMs?.[i] ?? 0));
    const ghOnly = m((r) => r.githubOutsideModelMs);
    const latency = row.name.includes('instant') ? 0 : GITHUB_LATENCY_MS;
    lines.push(
      `| ${row.name} | ${seconds(m((r) => r.wallMs))} | ${seconds(m((r) => r.modelMs))} | ${test === undefined ? '–' : seconds(test)} | ` +
        `**${seconds(overhead)}** | ${m((r) => r.githubRequests)} | ${seconds(ghOnly)}${latency ? ` (≈ ${(ghOnly / latency).toFixed(1)})` : ''} | ` +
        `${m((r) => r.peakRssMiB).toFixed(0)} MiB |`,
    );
  }
  return lines.join('\n');
}

test('10-file pull request, GitHub 100 ms, model 3 s / 1.5 s', () => reviewCase('10', '10 files (1 chunk)', REAL, 1, 10, 1));
test('300-file pull request, GitHub 100 ms, model 3 s / 1.5 s', () => reviewCase('300', '300 files (5 chunks)', REAL, 1, 300, 5));
test('batch of 3 pull requests, GitHub 100 ms, model 3 s / 1.5 s', () => reviewCase('batch', 'batch of 3 PRs × 10 files', REAL, 3, 10, 1));

test('fix mode, workflow_run, 1 MB of job logs, GitHub 100 ms, model 1.5 s', async () => {
  if (!wanted('fix')) return;
  const runs = versions.map(() => [] as RunMeasurement[]);
  const testMs = versions.map(() => [] as number[]);
  for (let i = 0; i < RUNS; i++) {
    for (const [v, version] of versions.entries()) {
      const { run, testMs: t } = await fixRun(version.bundle, FIX_REAL);
      runs[v]!.push(run);
      testMs[v]!.push(t);
    }
  }
  for (const [v, version] of versions.entries()) {
    rows.push({ name: labelled('fix, workflow_run, 1 MB log', version.label), runs: runs[v]!, testMs: testMs[v]! });
    if (TRACE) printTrace(labelled('fix', version.label), runs[v]!);
  }
});

test('instant fakes: 10 files', () => reviewCase('instant10', '10 files, instant fakes', INSTANT, 1, 10, 1));
test('instant fakes: 1,000 files', () => reviewCase('instant1000', '1,000 files, instant fakes', INSTANT, 1, 1000));
