// Peak memory of the action fixing a run whose failed job left a 50 MB log: the bundle runs as GitHub runs it
// (`node index.js`) under `/usr/bin/time -f %M`, against the fake GitHub, a token-checking git remote and the
// scripted model. BENCH_ACTION=path/to/index.js measures another bundle (e.g. an older dist) instead of this source.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { jest } from '@jest/globals';
import { execa } from 'execa';
import { BIG_LOG_ASSERTION, bigJobLog } from '../test/support/big-log.js';
import { CODEX_BINARY, TEST_API_KEY } from '../test/support/codex.js';
import { TEST_GITHUB_TOKEN } from '../test/support/context.js';
import { diagnosisJson, FAILED_JOB_LOG, FIX_COMMAND, startFixScenario, TEST_COMMAND } from '../test/support/fix-scenario.js';
import { isAfterToolCall, userText } from '../test/support/model-server.js';
import { runnerFiles } from './action-run.js';

const TIME = '/usr/bin/time';
const LOG_BYTES = Number(process.env.BENCH_LOG_MB ?? 50) * 1024 * 1024;
const LIMIT_KB = 250 * 1024;

/** The bundle to measure: BENCH_ACTION, or this checkout's source bundled by ncc into a temp folder. */
async function bundle(): Promise<{ path: string; cleanup: () => Promise<void> }> {
  if (process.env.BENCH_ACTION) return { path: resolve(process.env.BENCH_ACTION), cleanup: async () => {} };
  const out = await mkdtemp(join(tmpdir(), 'bench-bundle-'));
  await execa('node', ['node_modules/@vercel/ncc/dist/ncc/cli.js', 'build', 'src/action/index.ts', '-o', out, '--quiet']);
  return { path: join(out, 'index.js'), cleanup: () => rm(out, { recursive: true, force: true }) };
}

interface Measured {
  /** /usr/bin/time's %M: the largest peak of the action and the children it waited for (codex app-server, git). */
  peakKb: number;
  /** The action's node process alone (its own maxRSS at exit). */
  nodePeakKb: number | undefined;
  exitCode: number | undefined;
  conclusion: string | undefined;
  excerptHasAssertion: boolean;
}

/** Runs the bundle on a failed workflow_run whose failed job's log is `log`; returns what /usr/bin/time saw. */
async function measure(action: string, log: string): Promise<Measured> {
  const scenario = await startFixScenario({ failedJobLog: log });
  const dir = await mkdtemp(join(tmpdir(), 'bench-runner-'));
  try {
    scenario.model.respond((req) => (isAfterToolCall(req) ? { message: diagnosisJson('Make add() add') } : { exec: FIX_COMMAND }));
    const env: Record<string, string> = {
      ...(await runnerFiles(dir, { event: scenario.event, githubUrl: scenario.github.url, workspace: scenario.repo.dir })),
      CODEX_CI_GITHUB_TIME_UNIT_MS: '0',
      RUNNER_TOOL_CACHE: join(dir, 'tool-cache'),
      'INPUT_OPENAI-API-KEY': TEST_API_KEY,
      'INPUT_OPENAI-BASE-URL': scenario.model.url,
      'INPUT_GITHUB-TOKEN': TEST_GITHUB_TOKEN,
      'INPUT_CODEX-PATH': CODEX_BINARY,
      'INPUT_TEST-COMMAND': TEST_COMMAND,
      'INPUT_FIX-DELIVERY': 'patch',
    };
    // The action's own process reports its peak as it exits (other node processes, like test-command's, have
    // another script name).
    const rssFile = join(dir, 'node-rss.txt');
    const preload = join(dir, 'report-rss.cjs');
    await writeFile(
      preload,
      `process.on('exit', () => require('fs').appendFileSync(${JSON.stringify(rssFile)}, ` +
        `process.argv[1] + '\\t' + process.resourceUsage().maxRSS + '\\n'));\n`,
    );
    const timeFile = join(dir, 'time.txt');
    const result = await execa(TIME, ['-f', '%M', '-o', timeFile, 'node', '--require', preload, action], {
      env,
      extendEnv: false,
      reject: false,
    });
    const peakKb = Number((await readFile(timeFile, 'utf8')).trim().split('\n').at(-1));
    const own = (await readFile(rssFile, 'utf8').catch(() => ''))
      .split('\n')
      .map((l) => l.split('\t'))
      .find(([script]) => script === action);
    const outputs = await readFile(join(dir, 'output'), 'utf8');
    const first = scenario.model.responseRequests[0];
    return {
      peakKb,
      nodePeakKb: own ? Number(own[1]) : undefined,
      exitCode: result.exitCode,
      conclusion: /^conclusion<<(\S+)\n(.*)\n\1$/m.exec(outputs)?.[2],
      excerptHasAssertion: first ? userText(first).includes(BIG_LOG_ASSERTION) : false,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
    await scenario.close();
  }
}

const mb = (kb: number) => `${(kb / 1024).toFixed(0)} MB`;

if (!existsSync(TIME)) {
  // GNU time measures the peak; without it there is nothing honest to report.
  console.log(`Skipping the big-log memory benchmark: ${TIME} is missing (apt-get install time).`);
}

(existsSync(TIME) ? test : test.skip)(`peak RSS of a fix with a ${LOG_BYTES / 1024 / 1024} MB failed job log`, async () => {
  // The scripted model and fake GitHub write workflow commands nobody reads here.
  jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  const action = await bundle();
  try {
    const small = await measure(action.path, FAILED_JOB_LOG);
    const big = await measure(action.path, bigJobLog({ bytes: LOG_BYTES }));
    jest.restoreAllMocks();
    console.log(
      [
        `bundle: ${process.env.BENCH_ACTION ?? 'this checkout (ncc)'}`,
        `${FAILED_JOB_LOG.length} byte log: peak RSS ${mb(small.peakKb)} (/usr/bin/time -f %M), ` +
          `action process alone ${small.nodePeakKb ? mb(small.nodePeakKb) : '?'} (conclusion ${small.conclusion})`,
        `${mb(LOG_BYTES / 1024)} log: peak RSS ${mb(big.peakKb)} (/usr/bin/time -f %M), ` +
          `action process alone ${big.nodePeakKb ? mb(big.nodePeakKb) : '?'} (conclusion ${big.conclusion}, ` +
          `excerpt ${big.excerptHasAssertion ? 'holds' : 'LOST'} the failing assertion)`,
      ].join('\n'),
    );
    expect(big.conclusion).toBe('success');
    expect(big.excerptHasAssertion).toBe(true);
    expect(big.peakKb).toBeLessThan(LIMIT_KB);
  } finally {
    jest.restoreAllMocks();
    await action.cleanup();
  }
  // Bundling the source and two full runs (one streaming 50 MB) take minutes on a busy machine.
}, 1_800_000);
