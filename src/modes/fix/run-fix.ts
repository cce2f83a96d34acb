// Fix mode: failing run → guards → failure context → agent attempts with verification → delivery → outcome.
// One file: the mode's flow, read top to bottom; each stage's work is in the files it calls.
import { readFile } from 'node:fs/promises';
import { AgentFailure } from '../../base/codex/agent-failure.js';
import { agentEnvironment } from '../../base/codex/environment.js';
import { startEarlyThread } from '../../base/codex/early-thread.js';
import { commandSandbox } from '../../base/codex/sandbox-exec.js';
import { sandboxFailureIn, SandboxUnavailableError } from '../../base/codex/sandbox.js';
import type { CodexSession } from '../../base/codex/session.js';
import type { RunContext } from '../../base/context.js';
import { Git } from '../../base/git.js';
import { containsSecret, redact, SecretLeakError } from '../../base/text/redact.js';
import { runAttempts, type AttemptsResult } from '../../base/repair/attempts.js';
import { deliver, DeliveryError, pushRefusal } from './deliver.js';
import { resolveFailingRun, runKey, type FailingRun } from './failing-run.js';
import { gatherFailure } from './failure-context.js';
import { actorSkipReason, staticSkipReason } from './guards.js';
import { firstPrompt, fixInstructions } from './prompts.js';
import { failureRules, type FailureRules } from './failure-rules.js';
import { cutNote } from '../../base/rules/render-rules.js';
import {
  commitMessage,
  finalMessageText,
  jobSummary,
  pullRequestBody,
  pullRequestTitle,
  reproductionPassedSummary,
  skippedSummary,
  type DeliveryReport,
} from './report.js';
import { patchArtifactName, uploadPatchArtifact } from './patch-artifact.js';
import { writePatch, type SavedPatch } from './saved-patch.js';
import { runTestCommand, type TestRun } from '../../base/command/test-command.js';
import { resumeOrStart, saveThreads, stageThreads, threadKey, type StagedThread } from '../../base/threads/threads.js';
import { PROTECTED_PATHS, revertProtectedPaths } from '../../base/repair/diagnosis.js';
import { eventPullNumber } from '../../base/event.js';
import { type JobOutcome } from '../../base/outcome.js';
import { type RunOptions } from '../../base/options.js';
import { type FixTarget } from './target.js';
import { log } from '../../base/log.js';

const PULL_REQUEST_EVENTS = new Set(['pull_request', 'pull_request_target']);

/** Fix mode is configured in a way it cannot work with; the message says which input to change. */
export class FixConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FixConfigError';
  }
}

/** Runs fix mode for `target` and says how it went; main.ts reports the outcome. */
export async function runFix(ctx: RunContext, target: FixTarget): Promise<JobOutcome> {
  const startedAt = Date.now();
  const { inputs } = ctx;
  const testCommand = inputs.testCommand?.trim();
  if (!testCommand) {
    throw new FixConfigError(
      "Fix mode needs 'test-command': the shell command (e.g. `npm test`) that fails now and must pass after the fix. " +
        'The action runs it to verify the fix and never delivers a fix it could not check.',
    );
  }
  const workspace = inputs.workingDirectory;
  const git = new Git(workspace);

  log.startGroup('Failing run');
  let run: FailingRun;
  let skip: string | undefined;
  try {
    run = await resolveFailingRun(ctx, target, git);
    log.info(`Run ${run.id ?? '(this job)'} on ${run.branch} at ${run.sha} (from the ${run.origin}).`);
    skip = staticSkipReason(run, inputs, ctx.repo) ?? (await actorSkipReason(ctx.github, ctx.repo, run.actor, inputs));
  } finally {
    log.endGroup();
  }
  if (skip) {
    log.info(`Skipped: ${skip}`);
    return { conclusion: 'skipped', outputs: { conclusion: 'skipped' }, summary: skippedSummary(skip, run) };
  }
  if (inputs.fixDelivery === 'push') {
    const refusal = await pushRefusal(ctx, run);
    if (refusal) throw new FixConfigError(refusal);
  }

  const notes: string[] = [];
  const baseSha = await git.revParse('HEAD');
  let headMismatch: string | undefined;
  if (baseSha !== run.sha) {
    const where = `The workspace is at ${baseSha.slice(0, 12)}, not at the failing commit ${run.sha.slice(0, 12)}`;
    const advice = `Check out the failing commit first (${checkoutAdvice(ctx, target.source, run)}).`;
    // A pushed fix is a commit on the workspace's HEAD: on any other commit it would carry that commit's changes too.
    if (inputs.fixDelivery !== 'patch') {
      throw new FixConfigError(
        `${where}: a fix made here would be delivered on the wrong parent, so 'fix-delivery: ${inputs.fixDelivery}' ` +
          `refuses to start. ${advice}`,
      );
    }
    headMismatch = `${where}: the fix is made and tested on the workspace, and the patch applies to it. ${advice}`;
    log.warning(headMismatch);
    notes.push(headMismatch);
  }
  const userPrompt = await readUserPrompt(inputs);

  // The test command runs with what the agent has: no secrets in its environment, and the agent's sandbox (it runs
  // code the agent just wrote), unless the user gave the agent full access.
  const testEnv = agentEnvironment(ctx.env, ctx.secrets);
  // Codex and its sandbox check are needed by the test runs and the agent, not by the reading of the logs: the install
  // starts now and is awaited where it is needed.
  const codex = ctx.codex();
  codex.catch(() => {}); // awaited by every use below
  const testSandbox = codex.then((c) => commandSandbox(c.path, inputs.sandbox, ctx.tempDir));
  testSandbox.catch(() => {});
  const timeoutMs = inputs.timeoutMinutes * 60_000;
  // Untracked files a test run creates (coverage/, junit.xml, …) are its output, not part of the fix.
  const testLeftovers = new Set<string>();
  const runTests = async (): Promise<TestRun> => {
    const sandbox = await testSandbox;
    const before = new Set(await git.untracked({ perFile: true }));
    const test = await runTestCommand(testCommand, { cwd: workspace, env: testEnv, timeoutMs, sandbox });
    for (const path of await git.untracked({ perFile: true })) if (!before.has(path)) testLeftovers.add(path);
    const failure = sandbox && !test.passed ? sandboxFailureIn(test.output, test.exitCode ?? 1) : undefined;
    if (failure) throw new SandboxUnavailableError(failure);
    return test;
  };

  // The app-server and the thread need nothing from the failure: they come up while its logs are read.
  // resume-thread continues an earlier run's stored thread; the fix thread is stored for the next one.
  const pr = eventPullNumber(ctx.event);
  const agent = startEarlyThread(
    () => ctx.openSession(),
    (session) =>
      resumeOrStart({
        ctx,
        session,
        scopes: pr ? ['no-pr', { pr }] : ['no-pr'],
        wanted: inputs.resumeThread,
        options: { sandbox: inputs.sandbox ?? 'workspace-write', approvalPolicy: inputs.approvalPolicy, approvalsReviewer: inputs.approvalsReviewer, cwd: workspace },
        fresh: { developerInstructions: fixInstructions(testCommand) },
        why: 'Starting a new fix thread.',
      }),
  );
  let failure: Awaited<ReturnType<typeof gatherFailure>>;
  let untrackedBefore: string[];
  let rules: FailureRules | undefined;
  let session: CodexSession;
  try {
    log.startGroup('Failure context');
    failure = await gatherFailure(ctx, run, target.source, runTests).finally(() => log.endGroup());
    notes.push(...failure.notes);
    if (failure.reproduction?.passed) {
      await agent.close();
      return {
        conclusion: 'no-changes',
        outputs: { conclusion: 'no-changes', verified: 'true' },
        summary: redact(reproductionPassedSummary(run, failure.reproduction), ctx.secrets),
      };
    }
    // Files earlier steps (or the reproduction) left in the workspace, like build output, are not part of the fix.
    untrackedBefore = await git.untracked();
    rules = await failureRules(git, baseSha, failure.excerpt);
    if (rules) notes.push(`Nested rules shown to the agent (from ${baseSha.slice(0, 12)}): ${rules.rules.shown.map((r) => `\`${r.file.path}\`${r.cut ? ` (${cutNote(r)})` : ''}`).join(', ') || 'none within the bound'}.`);
    session = await agent.session;
  } catch (error) {
    await agent.close().catch(() => {});
    throw error;
  }
  let threadId = '';
  let result: AttemptsResult;
  let staged: StagedThread[] = [];
  try {
    const { thread, resumed } = await agent.thread;
    threadId = thread.id;
    log.info(`Codex thread ${threadId}.`);
    result = await runAttempts({
      thread,
      firstPrompt: firstPrompt({ run, failure, testCommand, userPrompt, maxAttempts: inputs.maxAttempts, headMismatch, rules }),
      maxAttempts: inputs.maxAttempts,
      turnOptions: { timeoutMs, effort: inputs.effort, phase: 'fix attempts' },
      revertProtected: () => revertProtectedPaths(git, baseSha),
      runTests,
      secrets: ctx.secrets,
    });
    if (!resumed) staged = await stageThreads(session.codexHome, [{ threadId, key: threadKey(ctx.repo, 'no-pr', threadId) }], ctx.tempDir);
  } catch (error) {
    // The app-server died before the first turn: a failed step that says so, like a death during a turn.
    if (!(error instanceof AgentFailure)) {
      await agent.close().catch(() => {});
      throw error;
    }
    const agentError = `The agent could not start: ${error.message}`;
    log.warning(agentError);
    const usage = { inputTokens: 0, cachedInputTokens: 0, outputTokens: 0 };
    result = { attempts: [], diagnosis: undefined, finalMessage: null, verified: false, agentError, usage };
  }
  // The app-server is not needed for delivery (the kept threads are staged out of CODEX_HOME): it closes meanwhile,
  // and the run waits for it at the end.
  const closing = agent.close();
  closing.catch(() => {});
  await saveThreads(ctx.threadStore, staged);

  log.startGroup('Deliver');
  try {
    const input = { run, baseSha, untrackedBefore, testLeftovers, threadId, result, notes, testCommand, startedAt };
    return await finish(ctx, git, input);
  } finally {
    log.endGroup();
    await closing;
  }
}

interface FinishInput {
  run: FailingRun;
  baseSha: string;
  untrackedBefore: string[];
  /** Untracked paths the action's test runs created. */
  testLeftovers: ReadonlySet<string>;
  threadId: string;
  result: AttemptsResult;
  notes: string[];
  testCommand: string;
  startedAt: number;
}

// Stages the change, checks it for secrets, delivers it, and turns everything into the outcome.
async function finish(ctx: RunContext, git: Git, input: FinishInput): Promise<JobOutcome> {
  const { run, baseSha, threadId, result } = input;
  const { verified, diagnosis, attempts } = result;
  // With a sandbox that allows it, the agent may have committed; the fix is delivered as one commit on baseSha.
  if ((await git.revParse('HEAD')) !== baseSha) await git.softReset(baseSha);
  await git.addAll();
  const before = new Set(input.untrackedBefore);
  const folders = input.untrackedBefore.filter((p) => p.endsWith('/'));
  const leftovers = [...input.testLeftovers].filter((p) => !before.has(p) && !folders.some((f) => p.startsWith(f)));
  if (before.size > 0 || leftovers.length > 0) await git.unstage([...before, ...leftovers]);
  if (before.size > 0) {
    input.notes.push(
      `Left out of the fix: ${before.size} untracked path(s) that were in the workspace before the agent ran ` +
        `(${pathList(input.untrackedBefore)}).`,
    );
  }
  if (leftovers.length > 0) {
    input.notes.push(
      `Left out of the fix: ${leftovers.length} untracked path(s) that \`${input.testCommand}\` created (${pathList(leftovers)}).`,
    );
  }
  // What is staged is what would be delivered: a test run, or an agent with full access that committed, can get a
  // protected change past the revert after each turn.
  const protectedChanges = await git.stagedPaths(baseSha, PROTECTED_PATHS);
  if (protectedChanges.length > 0) {
    await git.restoreFrom(baseSha, protectedChanges);
    input.notes.push(
      `Put back ${pathList(protectedChanges)} as in the failing commit: changes under ${PROTECTED_PATHS.join(', ')} ` +
        'are never part of a fix.',
    );
  }
  const files = await git.stagedNumstat(baseSha);
  const outputs: Record<string, string> = {
    'thread-id': threadId,
    'final-message': finalMessageText(diagnosis, result.finalMessage),
    verified: String(verified),
  };
  const report = { run, diagnosis, attempts, verified, files, testCommand: input.testCommand };
  const outcome = (conclusion: string, delivery: DeliveryReport, failure?: string): JobOutcome => ({
    conclusion,
    outputs: { ...outputs, conclusion },
    summary: redact(
      jobSummary({
        ...report,
        threadId,
        delivery,
        notes: input.notes,
        agentError: result.agentError,
        usage: result.usage,
        durationMs: Date.now() - input.startedAt,
      }),
      ctx.secrets,
    ),
    ...(failure ? { failure: redact(failure, ctx.secrets) } : {}),
    usage: result.usage,
  });
  const notVerified = (what: string) =>
    `The agent could not make \`${input.testCommand}\` pass (${attempts.length} ${attempts.length === 1 ? 'try' : 'tries'}); ${what}. ` +
    'The job summary has the diagnosis and the last output.';

  if (result.agentError) {
    // Stopped by max-tokens / max-turns: not a failure of the agent, but nothing verified to deliver either.
    const conclusion = ctx.budget.reached ? 'incomplete' : 'failure';
    return outcome(conclusion, { kind: 'none', reason: `Nothing was delivered: ${result.agentError}` }, result.agentError);
  }
  if (files.length === 0) {
    const reason = 'The agent changed no files, so there is nothing to deliver.';
    return outcome('no-changes', { kind: 'none', reason }, verified ? undefined : notVerified('it changed no files'));
  }

  const diff = await git.stagedDiff(baseSha);
  const message = commitMessage(diagnosis, run, verified);
  const title = pullRequestTitle(diagnosis, run, verified);
  const body = pullRequestBody({ ...report, threadId });
  try {
    // Redacting the change itself would corrupt it: a secret anywhere in what would be pushed stops the delivery.
    // The change is searched as text: the --binary diff encodes binary files, and a secret in one would pass unseen.
    const checks: Array<[string, string]> = [
      ['the change', await git.stagedTextDiff(baseSha)],
      ['the commit message', message],
      ['the pull request title', title],
      ['the pull request body', body],
    ];
    for (const [where, text] of checks) if (containsSecret(text, ctx.secrets)) throw new SecretLeakError(where);
    const delivery = await deliver(ctx, git, { run, baseSha, verified, diff, commitMessage: message, title, body });
    if (delivery.kind === 'pull-request') {
      outputs['pr-url'] = delivery.url;
      outputs['pr-number'] = String(delivery.number);
      outputs['fix-branch'] = delivery.branch;
    } else if (delivery.kind === 'push') {
      outputs['fix-branch'] = delivery.branch;
    } else if (delivery.kind === 'patch') {
      outputs['patch-path'] = delivery.path;
    }
    if (verified) return outcome('success', delivery);
    const what =
      delivery.kind === 'none' ? 'no pull request was opened' : `the change was delivered marked unverified (${delivery.kind})`;
    return outcome(delivery.kind === 'none' ? 'failure' : 'unverified', delivery, notVerified(what));
  } catch (error) {
    // A change with a secret in it must not be kept anywhere it could be shared from.
    if (error instanceof SecretLeakError) return outcome('failure', { kind: 'none', reason: error.message }, error.message);
    if (error instanceof DeliveryError && error.pushedBranch) outputs['fix-branch'] = error.pushedBranch;
    // Whatever broke after the change was made (a refused push, a refused pull request, a network failure), the
    // change itself survives as a patch: the agent's work and the verification are not thrown away.
    const refused =
      error instanceof DeliveryError
        ? { headline: error.headline, remote: error.remote, hint: error.hint }
        : { headline: `The fix could not be delivered: ${error instanceof Error ? error.message : String(error)}` };
    let patch: SavedPatch | undefined;
    let kept: string;
    try {
      patch = { path: await writePatch(ctx.tempDir, run, diff), diff, baseSha };
      outputs['patch-path'] = patch.path;
      kept = `The change is saved as a patch: ${patch.path} (output patch-path).`;
      // RUNNER_TEMP goes with the runner; an artifact stays with the run.
      const uploaded = await uploadPatchArtifact(ctx.env, { serverUrl: ctx.serverUrl, repo: ctx.repo, runId: ctx.currentRunId }, patch.path, patchArtifactName(runKey(run), ctx.env));
      patch = { ...patch, ...(uploaded.artifact ? { artifact: uploaded.artifact } : {}), ...(uploaded.note ? { artifactNote: uploaded.note } : {}) };
      if (uploaded.artifact) kept += ` It is also the workflow artifact ${uploaded.artifact.name}: ${uploaded.artifact.url}`;
    } catch (writeError) {
      kept = `The change could not be saved as a patch either: ${(writeError as Error).message}`;
    }
    const message = error instanceof DeliveryError ? error.message : refused.headline;
    return outcome('failure', { kind: 'failed', ...refused, patch }, `${message}\n${kept}`);
  }
}

/** How to get the failing commit into the workspace, for the event fix mode runs on. */
function checkoutAdvice(ctx: RunContext, source: FixTarget['source'], run: FailingRun): string {
  if (source === 'workflow_run') return 'actions/checkout with `ref: ${{ github.event.workflow_run.head_sha }}`';
  if (source === 'in-job' && PULL_REQUEST_EVENTS.has(ctx.event.name)) {
    return (
      'actions/checkout with `ref: ${{ github.event.pull_request.head.sha }}`; on pull_request events it checks out ' +
      "a merge commit by default, which is not the pull request's branch"
    );
  }
  return `actions/checkout with \`ref: ${run.sha}\``;
}

function pathList(paths: readonly string[]): string {
  return `${paths.slice(0, 5).map((p) => `\`${p}\``).join(', ')}${paths.length > 5 ? ', …' : ''}`;
}

async function readUserPrompt(inputs: RunOptions): Promise<string | undefined> {
  if (inputs.prompt !== undefined) return inputs.prompt;
  if (inputs.promptFile === undefined) return undefined;
  try {
    return await readFile(inputs.promptFile, 'utf8');
  } catch (error) {
    throw new FixConfigError(`Could not read 'prompt-file' ${inputs.promptFile}: ${(error as Error).message}`);
  }
}
