// "@codex fix" on a pull request: the fix engine (attempts, test-command in the sandbox) on the head branch, one
// commit pushed onto it (same repository only, never forced), and a reply with the commit link; for a fork or a
// token that cannot push, a ```suggestion``` (one hunk on the commented lines) or a patch in the reply instead.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Thread } from '../../base/codex/app-server.js';
import { agentEnvironment } from '../../base/codex/environment.js';
import { commandSandbox } from '../../base/codex/sandbox-exec.js';
import { sandboxFailureIn, SandboxUnavailableError } from '../../base/codex/sandbox.js';
import type { RunContext } from '../../base/context.js';
import { runAttempts, type AttemptsResult } from '../../base/repair/attempts.js';
import { describeTestRun, runTestCommand, type TestRun } from '../../base/command/test-command.js';
import { ACTIONS_BOT, Git, gitAuthEnv, GitError } from '../../base/git.js';
import { commentOnPull, getPullHead, replyInThread } from '../../base/github/review-threads.js';
import { githubErrorInfo, tokenLogin } from '../../base/github/reviews.js';
import { containsSecret, redact } from '../../base/text/redact.js';
import { CONVERSATION_TOML, readThreadContext, skipped } from './answer.js';
import type { ConversationTarget } from './event.js';
import { defuseMarkers, REPLY_MARKER, type StoredThreadRef } from '../../base/text/markers.js';
import { fixPrompt, prFixInstructions, type ThreadContext } from './prompts.js';
import { resumeOrStart } from '../../base/threads/threads.js';
import { singleHunkSuggestion } from './suggestion.js';
import { fence } from '../../base/text/fence.js';
import { DIAGNOSIS_SCHEMA, parseDiagnosis, PROTECTED_PATHS, revertProtectedPaths } from '../../base/repair/diagnosis.js';
import { type JobOutcome } from '../../base/outcome.js';
import { log } from '../../base/log.js';

const REMOTE = 'origin';
// A patch longer than this is not put in a comment (GitHub's limit is 65,536 characters).
const MAX_PATCH_CHARS = 50_000;

/** Runs the requested fix and answers where it was asked. */
export async function runFixOnPull(ctx: RunContext, target: ConversationTarget): Promise<JobOutcome> {
  const { github, repo, inputs, secrets } = ctx;
  const self = await tokenLogin(github);
  if (self && target.comment.login.toLowerCase() === self.toLowerCase()) return skipped("The comment was written by this action's own token.");
  const head = await getPullHead(github, repo, target.prNumber);
  if (head.state !== 'open') return skipped(`Pull request #${head.number} is ${head.state}.`);
  let thread: ThreadContext | undefined;
  let recordedThread: StoredThreadRef | undefined;
  if (target.threadRootId !== undefined) {
    const read = await readThreadContext(ctx, target, self);
    if ('skip' in read) return skipped(read.skip);
    thread = read.context;
    recordedThread = read.recordedThread;
  }

  const workspace = inputs.workingDirectory;
  const git = new Git(workspace);
  const at = await git.revParse('HEAD').catch(() => '');
  if (at !== head.headSha) {
    // Checked before any model call: a change made elsewhere would be pushed onto the wrong parent.
    throw new Error(
      `The workspace is at ${at.slice(0, 12) || 'no commit'}, not at the head of pull request #${head.number} (${head.headSha.slice(0, 12)}). ` +
        `A fix request needs the pull request's head checked out: actions/checkout with \`ref: refs/pull/${head.number}/head\`.`,
    );
  }
  const sameRepo = (head.headRepo ?? '').toLowerCase() === `${repo.owner}/${repo.repo}`.toLowerCase();
  const testCommand = inputs.testCommand?.trim() || undefined;

  const untrackedBefore = new Set(await git.untracked());
  const testLeftovers = new Set<string>();
  const sandbox = commandSandbox((await ctx.codex()).path, inputs.sandbox, ctx.tempDir);
  const testEnv = agentEnvironment(ctx.env, secrets);
  const timeoutMs = inputs.timeoutMinutes * 60_000;
  const runTests = async (): Promise<TestRun> => {
    const before = new Set(await git.untracked({ perFile: true }));
    const test = await runTestCommand(testCommand!, { cwd: workspace, env: testEnv, timeoutMs, sandbox });
    for (const path of await git.untracked({ perFile: true })) if (!before.has(path)) testLeftovers.add(path);
    const failure = sandbox && !test.passed ? sandboxFailureIn(test.output, test.exitCode ?? 1) : undefined;
    if (failure) throw new SandboxUnavailableError(failure);
    return test;
  };

  const session = await ctx.openSession({ extraToml: CONVERSATION_TOML });
  let agentThread: Thread | undefined;
  let result: AttemptsResult;
  try {
    const options = { sandbox: inputs.sandbox ?? 'workspace-write', approvalPolicy: inputs.approvalPolicy, approvalsReviewer: inputs.approvalsReviewer, cwd: workspace } as const;
    const job = await resumeOrStart({
      ctx,
      session,
      scopes: [{ pr: head.number }, 'no-pr'],
      wanted: recordedThread ?? inputs.resumeThread,
      options,
      fresh: { developerInstructions: prFixInstructions(testCommand) },
      why: 'No thread is recorded for this request: fixing in a fresh thread.',
    });
    agentThread = job.thread;
    const resumed = job.resumed;
    log.info(`Codex thread ${agentThread.id}.`);
    const prompt = fixPrompt({ prNumber: head.number, headRef: head.headRef, thread, instructions: target.instructions, requester: target.comment.login, testCommand, resumed });
    result = testCommand
      ? await runAttempts({
          thread: agentThread,
          firstPrompt: prompt,
          maxAttempts: inputs.maxAttempts,
          turnOptions: { timeoutMs, effort: inputs.effort },
          revertProtected: () => revertProtectedPaths(git, head.headSha),
          runTests,
          secrets,
        })
      : await singleTurn(agentThread, redact(prompt, secrets), { timeoutMs, effort: inputs.effort }, () => revertProtectedPaths(git, head.headSha));
  } finally {
    await session.close();
  }
  const threadId = agentThread.id;

  // What the agent changed, as one staged change on the head commit (its own commits, test output and files that
  // were there before are left out; protected paths are put back).
  if ((await git.revParse('HEAD')) !== head.headSha) await git.softReset(head.headSha);
  await git.addAll();
  const leave = [...untrackedBefore, ...testLeftovers];
  if (leave.length > 0) await git.unstage(leave);
  const protectedChanges = await git.stagedPaths(head.headSha, PROTECTED_PATHS);
  if (protectedChanges.length > 0) await git.restoreFrom(head.headSha, protectedChanges);
  const files = await git.stagedNumstat(head.headSha);
  const diagnosis = result.diagnosis;
  const lastTest = result.attempts.at(-1)?.test;
  const outputs = { 'thread-id': threadId, 'final-message': redact(diagnosis?.summary ?? result.finalMessage ?? '', secrets), verified: String(result.verified) };
  // A reply GitHub would not take goes into the job summary instead, so the words are not lost.
  let unposted = '';
  const answer = async (text: string) => {
    unposted += (await postAnswer(ctx, target, thread, text)) ?? '';
  };
  const outcome = (...args: Parameters<typeof outcomeOf>) => {
    const done = outcomeOf(...args);
    return unposted ? { ...done, summary: done.summary + unposted } : done;
  };

  if (result.agentError) {
    await answer(`I could not finish the change: ${result.agentError} Nothing was pushed.`);
    return outcome('failure', outputs, result, `The agent did not finish: ${result.agentError}`);
  }
  if (files.length === 0) {
    await answer(`I made no change${diagnosis ? `: ${diagnosis.summary}` : '.'}`);
    return outcome('no-changes', outputs, result);
  }
  const diff = await git.stagedTextDiff(head.headSha);
  const message = `${diagnosis?.title ?? 'Apply the requested change'}\n\nRequested by @${target.comment.login} in ${target.comment.htmlUrl}`;
  if (containsSecret(diff, secrets) || containsSecret(message, secrets)) {
    await answer('The change contains a secret of this run, so it was not pushed or shown.');
    return outcome('failure', outputs, result, 'The change contained a secret of this run; nothing was delivered.');
  }
  const what = describeChange(diagnosis?.summary, files, lastTest, testCommand);
  if (testCommand && !result.verified) {
    await answer(`\`${testCommand}\` still fails with my change (${result.attempts.length} ${result.attempts.length === 1 ? 'try' : 'tries'}), so I did not push it.\n\n${what}\n\n${patchBlock(diff)}`);
    return outcome('failure', outputs, result, `\`${testCommand}\` still fails after the change; it was not pushed (the patch is in the reply).`);
  }

  let why: string;
  if (!sameRepo) {
    why = `This pull request comes from ${head.headRepo ? `the fork ${head.headRepo}` : 'a deleted fork'}, and this action only pushes to branches of ${repo.owner}/${repo.repo}.`;
  } else {
    const sha = await git.commitIndex(head.headSha, message, ACTIONS_BOT);
    try {
      // A plain push (no force): if the branch moved since the checkout, GitHub refuses it and nothing is lost.
      await git.push(REMOTE, sha, head.headRef, { auth: gitAuthEnv(await git.remoteUrl(REMOTE), ctx.githubToken) });
      const link = `${ctx.serverUrl}/${repo.owner}/${repo.repo}/commit/${sha}`;
      log.info(`Pushed ${sha} onto ${head.headRef}.`);
      await answer(`Pushed ${link} onto \`${head.headRef}\`.\n\n${what}`);
      return outcome(result.verified ? 'success' : 'unverified', { ...outputs, 'fix-branch': head.headRef }, result);
    } catch (error) {
      if (!(error instanceof GitError)) throw error;
      why = `The push onto \`${head.headRef}\` was refused: ${redact(error.stderr.trim(), secrets) || error.message}. (The token needs contents: write, and the branch must not have moved since this run started.)`;
      log.warning(why);
    }
  }
  const suggestion = thread ? await singleHunkSuggestion(diff, thread.root, (path) => readFile(join(workspace, path), 'utf8')) : undefined;
  const offer = suggestion !== undefined ? `Here it is as a suggestion you can commit:\n\n${fence(suggestion, 'suggestion')}` : `Here it is as a patch (\`git apply\`):\n\n${patchBlock(diff)}`;
  await answer(`${why}\n\n${what}\n\n${offer}`);
  return outcome('suggested', outputs, result);
}

/** One turn without a test command: nothing verifies it, and the reply says so. */
async function singleTurn(
  thread: Thread,
  prompt: string,
  turn: { timeoutMs: number; effort: string | undefined },
  revertProtected: () => Promise<string[]>,
): Promise<AttemptsResult> {
  const result = await thread.run(prompt, { ...turn, outputSchema: DIAGNOSIS_SCHEMA });
  const reverted = await revertProtected();
  const agentError =
    result.status === 'completed' ? undefined : result.timedOut ? 'the turn ran past timeout-minutes.' : `the turn ended ${result.status}${result.error ? `: ${result.error}` : '.'}`;
  return {
    attempts: [{ number: 1, turn: result, reverted, test: undefined }],
    diagnosis: parseDiagnosis(result.finalResponse),
    finalMessage: result.finalResponse,
    verified: false,
    agentError,
    usage: { inputTokens: result.usage.inputTokens, cachedInputTokens: result.usage.cachedInputTokens, outputTokens: result.usage.outputTokens },
  };
}

function describeChange(summary: string | undefined, files: ReadonlyArray<{ path: string; additions: number | null; deletions: number | null }>, test: TestRun | undefined, testCommand: string | undefined): string {
  const list = files.map((f) => `- \`${f.path}\` (+${f.additions ?? '?'} −${f.deletions ?? '?'})`).join('\n');
  const verification = testCommand ? (test ? `Verification: ${describeTestRun(test)}` : 'Verification: not run.') : 'Not verified: no `test-command` is set.';
  return [summary ? defuseMarkers(summary) : undefined, `Files:\n${list}`, verification].filter(Boolean).join('\n\n');
}

function patchBlock(diff: string): string {
  return diff.length > MAX_PATCH_CHARS ? `(The patch is ${diff.length} characters, too long for a comment.)` : fence(diff, 'diff');
}

/** Replies in the review thread, or on the pull request for a PR comment; a refused reply is a warning. */
/** Posts the answer; returns it (for the job summary) when GitHub would not take it. */
async function postAnswer(ctx: RunContext, target: ConversationTarget, thread: ThreadContext | undefined, text: string): Promise<string | undefined> {
  const body = redact(`${text}\n\n${REPLY_MARKER}`, ctx.secrets);
  try {
    const posted = thread
      ? await replyInThread(ctx.github, ctx.repo, target.prNumber, thread.root.id, body)
      : await commentOnPull(ctx.github, ctx.repo, target.prNumber, body);
    log.info(`Replied: ${posted.htmlUrl}`);
  } catch (error) {
    const info = githubErrorInfo(error);
    log.warning(`GitHub did not take the reply (HTTP ${info.status ?? '?'}: ${info.message}); it is in the job summary.`);
    return `\n\n${body}\n`;
  }
  return undefined;
}

function outcomeOf(conclusion: string, outputs: Record<string, string>, result: AttemptsResult, failure?: string): JobOutcome {
  return {
    conclusion,
    outputs: { ...outputs, conclusion },
    summary: `### Codex: fix requested on a pull request — ${conclusion}\n`,
    usage: result.usage,
    ...(failure ? { failure } : {}),
  };
}
