// A big pull request reviewed by one job, and sharded over 3 and 4 matrix jobs run at once (plan → shards → merge),
// on the real app-server, a scripted model taking 1.5 s per request, the fake GitHub (50 ms per request) and the fake
// results service for the artifacts. Prints the medians: wall time from the first job's start to the last job's end,
// model requests, tokens sent (characters of every model request / 4, Codex's own instructions included) and what
// the shards' extra base threads cost. The shards share this machine's cores here; the last row runs them one after
// another, each with the machine to itself, for the wall a matrix of separate runners would have.
import { loadavg } from 'node:os';
import { jest } from '@jest/globals';
import type { JobOutcome } from '../src/base/outcome.js';
import { runReview } from '../src/modes/review/run-review.js';
import { runMerge } from '../src/modes/review/shard/run-merge.js';
import { runPlan } from '../src/modes/review/shard/run-plan.js';
import { runShard } from '../src/modes/review/shard/run-shard.js';
import type { ReviewTarget } from '../src/modes/review/target.js';
import { testContext } from '../test/support/context.js';
import { startFakeArtifactService } from '../test/support/fake-artifact-service.js';
import { FakeGitHub } from '../test/support/fake-github.js';
import { createRepo } from '../test/support/git-repo.js';
import { ModelServer, type ModelRequest } from '../test/support/model-server.js';
import { addedPatch, finding, findingsReply, scriptReviewModel, serveContents, turnKind } from '../test/support/review-fixtures.js';
import { median } from './timeline.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const MODEL_MS = Number(process.env.BENCH_MODEL_MS ?? 1500);
const GITHUB_MS = 50;
const FILES = 30;
// 300 lines of about 110 characters: one file fills most of a 12,000-token chunk, so 30 files are 30 chunks.
const LINES = 300;
const BASE_SHA = 'b'.repeat(40);
const HEAD_SHA = 'c'.repeat(40);

const line = (f: number, l: number) => `export const value_${f}_${l} = compute(${l}, 'a long enough argument to fill the line of file ${f}', ${l * 7});`;
const paths = Array.from({ length: FILES }, (_, i) => `src/big/file${i + 1}.ts`);

interface Measured {
  wallMs: number;
  requests: number;
  setupRequests: number;
  tokensSent: number;
  setupTokensSent: number;
  usage: { input: number; cached: number; output: number };
  findings: string;
  conclusion: string;
  load: number;
}

test('one job vs 3 and 4 shards for a 30-file, 9,000-line pull request, model at 1.5 s a request', async () => {
  jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  const fake = await FakeGitHub.start({ latencyMs: GITHUB_MS });
  const model = await ModelServer.start({ latencyMs: MODEL_MS });
  const service = await startFakeArtifactService();
  process.env.ACTIONS_RESULTS_URL = `${service.url}/`;
  process.env.ACTIONS_RUNTIME_TOKEN = service.token;
  const workspace = await createRepo({ 'README.md': 'bench\n' });
  const files = paths.map((path, i) => ({ filename: path, status: 'added', patch: addedPatch(Array.from({ length: LINES }, (_, l) => line(i + 1, l + 1))) }));
  serveContents(fake, { owner: 'octo', repo: 'demo', sha: BASE_SHA, files: { 'AGENTS.md': 'Keep functions small.\n' } });
  // Every chunk has a finding, so every chunk also gets its verification turn.
  scriptReviewModel(model, {
    chunk: (req) => {
      const path = paths.find((p) => req.raw.includes(`### File: ${p}`))!;
      return findingsReply([finding({ path, line: 10, severity: 'medium', title: `Unchecked compute in ${path}` })]);
    },
  });
  let pr = 100;
  const newPull = () => {
    pr++;
    fake.addPullRequest({ owner: 'octo', repo: 'demo', number: pr, head: { ref: 'big', sha: HEAD_SHA }, base: { ref: 'main', sha: BASE_SHA }, files });
    return { prNumbers: [pr], explicit: false } satisfies ReviewTarget;
  };
  const ctx = (inputs: Record<string, string>) =>
    testContext({ githubUrl: fake.url, modelUrl: model.url, workdir: workspace.dir, repo: { owner: 'octo', repo: 'demo' }, inputs: { 'max-parallel': '4', 'verify-suggestions': 'off', ...inputs } });

  const measure = async (run: () => Promise<JobOutcome & { wallMs?: number | undefined }>): Promise<Measured> => {
    const load = loadavg()[0]!;
    const from = model.responseRequests.length;
    const started = performance.now();
    const cpu = process.cpuUsage();
    const outcome = await run();
    const wallMs = performance.now() - started;
    if (process.env.BENCH_TRACE) {
      const used = process.cpuUsage(cpu);
      process.stderr.write(`  this process's CPU: ${((used.user + used.system) / 1e6).toFixed(1)} s in ${(wallMs / 1000).toFixed(1)} s\n`);
    }
    const requests: ModelRequest[] = model.responseRequests.slice(from);
    const setup = requests.filter((r) => turnKind(r) === 'setup');
    const chars = (rs: ModelRequest[]) => rs.reduce((n, r) => n + r.raw.length, 0);
    const u = outcome.usage ?? { inputTokens: 0, cachedInputTokens: 0, outputTokens: 0 };
    return {
      wallMs: outcome.wallMs ?? wallMs,
      requests: requests.length,
      setupRequests: setup.length,
      tokensSent: Math.round(chars(requests) / 4),
      setupTokensSent: Math.round(chars(setup) / 4),
      usage: { input: u.inputTokens, cached: u.cachedInputTokens, output: u.outputTokens },
      findings: outcome.outputs['findings-count'] ?? '',
      conclusion: outcome.conclusion,
      load,
    };
  };
  const oneJob = () => measure(async () => runReview(await ctx({ mode: 'review' }), newPull()));
  /**
   * plan → shards → merge. `alone`: the shards one after another, each with the machine to itself as on its own
   * runner; the wall is then plan + the slowest shard + merge (what a matrix of separate runners would take).
   */
  const shardedJobs = (shards: number, alone = false) =>
    measure(async () => {
      const target = newPull();
      const inputs = { 'max-shards': String(shards), 'chunks-per-shard': String(Math.ceil(FILES / shards)) };
      const t0 = performance.now();
      const plan = await runPlan(await ctx({ mode: 'plan', ...inputs }), target);
      const t1 = performance.now();
      const planId = plan.outputs['plan-id']!;
      const matrix = (JSON.parse(plan.outputs.matrix!) as { shard: string[] }).shard;
      expect(matrix).toHaveLength(shards);
      const shard = async (spec: string) => {
        const started = performance.now();
        const from = model.responseRequests.length;
        const outcome = await runShard(await ctx({ mode: 'review', shard: spec, 'plan-id': planId, ...inputs }), target);
        if (process.env.BENCH_TRACE && alone) {
          const at = (t: number | undefined) => (((t ?? 0) - performance.timeOrigin - started) / 1000).toFixed(2);
          const lines = model.responseRequests.slice(from).map((r) => `${turnKind(r)} ${at(r.receivedAt)}–${at(r.finishedAt)}`);
          process.stderr.write(`shard ${spec}: ${lines.join(' | ')} | end ${at(performance.now() + performance.timeOrigin)}\n`);
        }
        return { outcome, ms: performance.now() - started };
      };
      const done: Array<{ outcome: JobOutcome; ms: number }> = [];
      if (alone) for (const spec of matrix) done.push(await shard(spec));
      else done.push(...(await Promise.all(matrix.map(shard))));
      const t2 = performance.now();
      const merge = await runMerge(await ctx({ mode: 'merge', 'plan-id': planId, ...inputs }), target);
      const t3 = performance.now();
      const slowest = Math.max(...done.map((d) => d.ms));
      if (process.env.BENCH_TRACE) {
        process.stderr.write(`${shards} shards${alone ? ' alone' : ''}: plan ${(t1 - t0).toFixed(0)} ms, shards ${done.map((d) => (d.ms / 1000).toFixed(1)).join(', ')} s, merge ${(t3 - t2).toFixed(0)} ms\n`);
      }
      // The usage of the whole review is the shards' (plan and merge make no model call).
      const usage = done.reduce(
        (u, { outcome: o }) => ({ inputTokens: u.inputTokens + o.usage!.inputTokens, cachedInputTokens: u.cachedInputTokens + o.usage!.cachedInputTokens, outputTokens: u.outputTokens + o.usage!.outputTokens }),
        { inputTokens: 0, cachedInputTokens: 0, outputTokens: 0 },
      );
      return { ...merge, usage, wallMs: alone ? t1 - t0 + slowest + (t3 - t2) : undefined };
    });

  const cases: Record<string, Measured[]> = {
    'one job': [],
    '3 shards': [],
    '4 shards': [],
    '3 shards, each alone (its own runner)': [],
    '4 shards, each alone (its own runner)': [],
  };
  try {
    // Interleaved, so that each case sees the same load on a shared machine.
    for (let i = 0; i < RUNS; i++) {
      cases['one job']!.push(await oneJob());
      cases['3 shards']!.push(await shardedJobs(3));
      cases['4 shards']!.push(await shardedJobs(4));
      cases['3 shards, each alone (its own runner)']!.push(await shardedJobs(3, true));
      cases['4 shards, each alone (its own runner)']!.push(await shardedJobs(4, true));
    }
  } finally {
    jest.restoreAllMocks();
    delete process.env.ACTIONS_RESULTS_URL;
    delete process.env.ACTIONS_RUNTIME_TOKEN;
    await service.close();
    await fake.close();
    await model.close();
    await workspace.cleanup();
  }

  const one = median(cases['one job']!.map((m) => m.wallMs));
  const rows = Object.entries(cases).map(([name, ms]) => {
    const pick = (f: (m: Measured) => number) => median(ms.map(f));
    const wall = pick((m) => m.wallMs);
    return (
      `| ${name} | ${(wall / 1000).toFixed(1)} s | ${(wall / one).toFixed(2)} | ${pick((m) => m.requests)} (${pick((m) => m.setupRequests)} setup) | ` +
      `~${pick((m) => m.tokensSent)} | ~${pick((m) => m.setupTokensSent)} | ${pick((m) => m.usage.input)} / ${pick((m) => m.usage.cached)} / ${pick((m) => m.usage.output)} | ${ms.map((m) => m.findings).join(', ')} |`
    );
  });
  const loads = Object.values(cases).flat().map((m) => m.load);
  console.log(
    [
      `${FILES} files × ${LINES} lines, model ${MODEL_MS} ms a request, GitHub ${GITHUB_MS} ms a request, max-parallel 4, medians of ${RUNS} runs; ` +
        `1-minute load before the runs ${Math.min(...loads).toFixed(2)}–${Math.max(...loads).toFixed(2)} (median ${median(loads).toFixed(2)})`,
      '',
      '| case | wall (first job start → last job end) | / one job | model requests | tokens sent | of which setup turns | usage input / cached / output | findings per run |',
      '| --- | --- | --- | --- | --- | --- | --- | --- |',
      ...rows,
    ].join('\n'),
  );
  for (const ms of Object.values(cases)) for (const m of ms) expect(m.findings).toBe(String(FILES));
  for (const m of [...cases['3 shards']!, ...cases['3 shards, each alone (its own runner)']!]) expect(m.setupRequests).toBe(3);
  for (const m of [...cases['4 shards']!, ...cases['4 shards, each alone (its own runner)']!]) expect(m.setupRequests).toBe(4);
});
