// Runs the action the way a runner does (`node index.js` of a fresh ncc bundle of src/, inputs in INPUT_*, codex
// found in the tool cache) and measures one run: wall time, the model's and GitHub's time in flight, peak RSS.
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { execa } from 'execa';
import { CODEX_VERSION } from '../src/base/codex/install.js';
import { CODEX_BINARY } from '../test/support/codex.js';
import type { FakeGitHub } from '../test/support/fake-github.js';
import type { ModelServer } from '../test/support/model-server.js';
import { outsideMs, unionMs, type Interval } from './timeline.js';

/** The bundle and the runner's tool cache, made once per benchmark. */
export interface ActionBundle {
  /** The bundled entry point (index.js). */
  entry: string;
  /** A RUNNER_TOOL_CACHE holding the pinned codex, so the run takes the "install cached" path. */
  toolCache: string;
  /** A preload that writes the process's own peak RSS (KiB) to BENCH_RSS_FILE at exit. */
  rssPreload: string;
  dir: string;
}

/**
 * Bundles src/ (or BENCH_SRC) with ncc into a temporary folder (so the benchmark measures the source as it is, not a
 * stale dist/), links the test codex into a tool cache the way @actions/tool-cache lays it out, and writes the RSS preload.
 */
export async function prepareBundle(source = process.env.BENCH_SRC ?? 'src/action/index.ts'): Promise<ActionBundle> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-action-'));
  const out = join(dir, 'bundle');
  // BENCH_SRC=other/checkout/src/action/index.ts measures another version of the action.
  await execa(resolve('node_modules/.bin/ncc'), ['build', resolve(source), '-o', out, '--quiet'], { stdin: 'ignore' });
  const toolCache = join(dir, 'tool-cache');
  const versionDir = join(toolCache, 'codex', CODEX_VERSION, process.arch);
  await mkdir(dirname(versionDir), { recursive: true });
  // CODEX_BINARY is vendor/<triple>/bin/codex; the cache holds the whole vendor/<triple> folder (bin/ and resources).
  await symlink(dirname(dirname(CODEX_BINARY)), versionDir);
  await writeFile(`${versionDir}.complete`, '');
  const rssPreload = join(dir, 'rss.mjs');
  await writeFile(
    rssPreload,
    "import { writeFileSync } from 'node:fs';\n" +
      "process.on('exit', () => { if (process.env.BENCH_RSS_FILE) writeFileSync(process.env.BENCH_RSS_FILE, String(process.resourceUsage().maxRSS)); });\n",
  );
  return { entry: join(out, 'index.js'), toolCache, rssPreload, dir };
}

/** What one run of the action took. */
export interface RunMeasurement {
  wallMs: number;
  /** Time with at least one model request in flight. */
  modelMs: number;
  /** Time with at least one GitHub request in flight and no model request. */
  githubOutsideModelMs: number;
  githubRequests: number;
  modelRequests: number;
  /** Peak resident memory of the action's own process (the node process, not codex), MiB. */
  peakRssMiB: number;
  exitCode: number | undefined;
  outputs: Record<string, string>;
  stdout: string;
  /** Request timelines relative to the start, for BENCH_TRACE. */
  trace: string[];
}

export interface RunSpec {
  bundle: ActionBundle;
  github: FakeGitHub;
  model: ModelServer;
  /** Action inputs (kebab-case names). */
  inputs: Record<string, string>;
  event: { name: string; payload: unknown };
  workspace: string;
}

/**
 * What a runner gives a step, in `dir`: the event file, empty output and summary files, a RUNNER_TEMP, and the
 * environment that names them (PATH and HOME of this process; nothing else of it).
 */
export async function runnerFiles(
  dir: string,
  spec: { event: { name: string; payload: unknown }; githubUrl: string; workspace: string },
): Promise<Record<string, string>> {
  const eventPath = join(dir, 'event.json');
  await writeFile(eventPath, JSON.stringify(spec.event.payload));
  for (const f of ['output', 'summary']) await writeFile(join(dir, f), '');
  await mkdir(join(dir, 'temp'), { recursive: true });
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? dir,
    GITHUB_ACTIONS: 'true',
    GITHUB_EVENT_NAME: spec.event.name,
    GITHUB_EVENT_PATH: eventPath,
    GITHUB_OUTPUT: join(dir, 'output'),
    GITHUB_STEP_SUMMARY: join(dir, 'summary'),
    GITHUB_REPOSITORY: 'octo/demo',
    GITHUB_API_URL: spec.githubUrl,
    GITHUB_WORKSPACE: spec.workspace,
    RUNNER_TEMP: join(dir, 'temp'),
  };
}

/** Runs the bundled action once against the fakes; the fakes' request logs are read from where they stood before. */
export async function runAction(spec: RunSpec): Promise<RunMeasurement> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-runner-'));
  try {
    const env: Record<string, string> = {
      ...(await runnerFiles(dir, { event: spec.event, githubUrl: spec.github.url, workspace: spec.workspace })),
      GITHUB_SERVER_URL: 'https://github.example',
      GITHUB_RUN_ID: '9000',
      RUNNER_TOOL_CACHE: spec.bundle.toolCache,
      BENCH_RSS_FILE: join(dir, 'rss'),
      // No CODEX_CI_GITHUB_TIME_UNIT_MS: the throttling plugin paces writes in real seconds, as on a runner.
    };
    for (const [k, v] of Object.entries(spec.inputs)) env[`INPUT_${k.toUpperCase()}`] = v;
    const githubFrom = spec.github.requests.length;
    const modelFrom = spec.model.requests.length;
    const started = Date.now();
    const child = execa('node', ['--import', spec.bundle.rssPreload, spec.bundle.entry], {
      env,
      extendEnv: false,
      reject: false,
      cwd: spec.workspace,
      stdin: 'ignore',
    });
    // The action's log lines with the time they arrived, to place its phases on the timeline.
    const logLines: Array<{ at: number; text: string }> = [];
    child.stdout.on('data', (data: Buffer) => {
      const at = Date.now();
      for (const line of data.toString('utf8').split('\n')) if (line.trim()) logLines.push({ at, text: `log ${line.slice(0, 140)}` });
    });
    const result = await child;
    const ended = Date.now();
    const gh = spec.github.requests.slice(githubFrom);
    const model = spec.model.requests.slice(modelFrom).filter((r) => r.path.endsWith('/responses'));
    const ghIntervals: Interval[] = gh.map((r) => ({ start: r.receivedAt, end: r.finishedAt ?? ended }));
    const modelIntervals: Interval[] = model.map((r) => ({ start: r.receivedAt, end: r.finishedAt ?? ended }));
    const rssKiB = Number(await readFile(join(dir, 'rss'), 'utf8').catch(() => 'NaN'));
    const trace = [
      ...gh.map((r) => ({ at: r.receivedAt, text: `github ${r.method} ${r.path} ${r.status ?? '-'} ${(r.finishedAt ?? ended) - r.receivedAt} ms` })),
      ...model.map((r) => ({ at: r.receivedAt, text: `model request ${(r.finishedAt ?? ended) - r.receivedAt} ms` })),
      ...logLines,
      { at: ended, text: 'exit' },
    ]
      .sort((a, b) => a.at - b.at)
      .map((e) => `${String(e.at - started).padStart(6)} ms  ${e.text}`);
    return {
      wallMs: ended - started,
      modelMs: unionMs(modelIntervals),
      githubOutsideModelMs: outsideMs(ghIntervals, modelIntervals),
      githubRequests: gh.length,
      modelRequests: model.length,
      peakRssMiB: rssKiB / 1024,
      exitCode: result.exitCode,
      outputs: parseOutputs(await readFile(join(dir, 'output'), 'utf8')),
      stdout: String(result.stdout),
      trace,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Reads the runner's `name<<DELIMITER … DELIMITER` output file format. */
function parseOutputs(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of text.matchAll(/^([^<\n]+)<<(\S+)\n([\s\S]*?)\n\2$/gm)) out[m[1]!] = m[3]!;
  return out;
}
