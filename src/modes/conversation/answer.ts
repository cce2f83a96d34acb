// Answers a comment in a review thread: grounded in the finding, its diff hunk, the file at the head and the thread,
// continuing the review fork that reported the finding when it is stored. Read-only: it never changes code.
import type { Thread } from '../../base/codex/app-server.js';
import type { RunContext } from '../../base/context.js';
import { readFileAt } from '../../base/github/pulls.js';
import { getPullHead, getThreadComment, listThread, replyInThread, type ThreadComment } from '../../base/github/review-threads.js';
import { githubErrorInfo, tokenLogin, isOurs } from '../../base/github/reviews.js';
import { redact } from '../../base/text/redact.js';
import type { ConversationTarget } from './event.js';
import { defuseMarkers, REPLY_MARKER, storedThreadIn, threadMarker, type StoredThreadRef, fingerprintsIn } from '../../base/text/markers.js';
import { ANSWER_INSTRUCTIONS, answerPrompt, numberLines, type ThreadContext } from './prompts.js';
import { MAX_THREAD_VERSIONS, nextVersion, resumeOrStart, saveThreads, stageThreads, threadKey, type StagedThread } from '../../base/threads/threads.js';
import { type JobOutcome } from '../../base/outcome.js';
import { log } from '../../base/log.js';

// Codex would load the head's AGENTS.md by itself; the pull request must not set the rules it is discussed by.
export const CONVERSATION_TOML = ['project_doc_max_bytes = 0'];
const FILE_MAX_BYTES = 512 * 1024;
const EXCERPT_RADIUS = 30;

/** Why a conversation is not held, for the skipped outcome. */
export function skipped(reason: string): JobOutcome {
  log.info(`Skipped: ${reason}`);
  return { conclusion: 'skipped', outputs: { conclusion: 'skipped' }, summary: `### Codex: skipped\n\n${reason}\n` };
}

/** What the thread is and whether the action answers in it. */
export async function readThreadContext(
  ctx: RunContext,
  target: ConversationTarget,
  self: string | undefined,
): Promise<{ context: ThreadContext; recordedThread: StoredThreadRef | undefined } | { skip: string }> {
  const { github, repo } = ctx;
  const rootId = target.threadRootId ?? target.comment.id;
  const root = await getThreadComment(github, repo, rootId);
  // Both the author and the marker line: either alone could be another bot's or forged.
  const rootIsFinding = isOurs(root.user, self) && fingerprintsIn(root.body) !== undefined;
  if (!rootIsFinding && !target.mentioned) {
    return { skip: `The comment is in a review thread this action did not start, and does not mention '${ctx.inputs.triggerPhrase}'.` };
  }
  const thread = await listThread(github, repo, target.prNumber, rootId);
  const earlier = thread.filter((c) => c.id !== rootId && c.id < target.comment.id);
  const head = await getPullHead(github, repo, target.prNumber);
  // The latest of this action's answers in the thread records the thread as stored after it; else the finding.
  const lastAnswer = earlier.filter((c) => isOurs(c.user, self) && storedThreadIn(c.body)).at(-1);
  return {
    context: {
      prNumber: target.prNumber,
      headSha: head.headSha,
      root,
      rootIsFinding,
      earlier,
      question: { login: target.comment.login, body: target.comment.body },
      fileExcerpt: await excerptAt(ctx, root, head.headSha),
    },
    recordedThread: lastAnswer ? storedThreadIn(lastAnswer.body) : rootIsFinding ? storedThreadIn(root.body) : undefined,
  };
}

/** The lines of the commented file at the head around the comment (new-version lines only). */
async function excerptAt(ctx: RunContext, root: ThreadComment, headSha: string): Promise<ThreadContext['fileExcerpt']> {
  if (!root.path) return undefined;
  const file = await readFileAt(ctx.github, ctx.repo, root.path, headSha, FILE_MAX_BYTES).catch(() => undefined);
  if (!file) return undefined;
  const lines = file.text.replace(/\n$/, '').split('\n');
  const at = root.side === 'RIGHT' && root.line !== null ? root.line : 1;
  const from = Math.max(1, at - EXCERPT_RADIUS);
  const to = Math.min(lines.length, at + EXCERPT_RADIUS);
  return { path: root.path, text: numberLines(lines.slice(from - 1, to), from), from, to };
}

/** Answers the comment in its thread. */
export async function runAnswer(ctx: RunContext, target: ConversationTarget): Promise<JobOutcome> {
  const { github, repo, inputs, secrets } = ctx;
  const self = await tokenLogin(github);
  // The loop guard for tokens that are not a Bot account (a personal access token): never answer ourselves.
  if (self && target.comment.login.toLowerCase() === self.toLowerCase()) return skipped('The comment was written by this action\'s own token.');
  const read = await log.group('Review thread', () => readThreadContext(ctx, target, self));
  if ('skip' in read) return skipped(read.skip);
  const { context, recordedThread } = read;

  const session = await ctx.openSession({ extraToml: CONVERSATION_TOML });
  const threadOptions = { sandbox: 'read-only', approvalPolicy: 'never', cwd: inputs.workingDirectory } as const;
  let thread: Thread | undefined;
  let answer: string;
  let staged: StagedThread[] = [];
  // What the answer's marker will record if the thread is stored: the next reply continues from there.
  let toRecord: StoredThreadRef | undefined;
  let continued: StoredThreadRef | undefined;
  let usage;
  try {
    const job = await resumeOrStart({
      ctx,
      session,
      scopes: [{ pr: target.prNumber }, 'no-pr'],
      wanted: recordedThread ?? inputs.resumeThread,
      options: threadOptions,
      fresh: { developerInstructions: ANSWER_INSTRUCTIONS },
      why: 'No thread is recorded for this comment: answering in a fresh thread with the finding, its diff hunk and the file around it.',
    });
    thread = job.thread;
    const resumed = job.resumed;
    const result = await thread.run(redact(answerPrompt(context), secrets), { timeoutMs: inputs.timeoutMinutes * 60_000, effort: inputs.effort });
    usage = result.usage;
    if (result.status !== 'completed' || !result.finalResponse?.trim()) {
      const why = result.timedOut ? 'the turn ran past timeout-minutes' : (result.error ?? `the turn ended ${result.status} without an answer`);
      const failure = `Codex could not answer the comment ${target.comment.htmlUrl}: ${why}. Nothing was posted.`;
      return { conclusion: 'failure', outputs: { conclusion: 'failure', 'thread-id': thread.id }, summary: `### Codex: no answer\n\n${failure}\n`, failure, usage };
    }
    answer = result.finalResponse.trim();
    // A fresh thread is stored under its own id (the thread-id output). A continued one is stored again under a new
    // version (entries are immutable): the next reply then continues with this answer in its history.
    let version: string | undefined;
    if (resumed) {
      continued = recordedThread?.threadId === thread.id ? recordedThread : { threadId: thread.id };
      version = nextVersion(continued.version);
      if (!version) log.info(`Thread ${thread.id} has been stored ${MAX_THREAD_VERSIONS} times: this answer is not stored, the next reply continues the last stored version.`);
    }
    if (!resumed || version) {
      toRecord = version ? { threadId: thread.id, version } : { threadId: thread.id };
      staged = await stageThreads(session.codexHome, [{ threadId: thread.id, key: threadKey(repo, { pr: target.prNumber }, thread.id, version) }], ctx.tempDir);
    }
  } finally {
    await session.close();
  }

  // Stored before the reply that names its key is posted: nobody can take the key first with a forged history.
  const stored = (await saveThreads(ctx.threadStore, staged)).length > 0;
  const recorded = stored ? toRecord : continued;
  const marker = recorded ? `${threadMarker(recorded.threadId, recorded.version)}\n` : '';
  const body = redact(`${defuseMarkers(answer)}\n\n${marker}${REPLY_MARKER}`, secrets);
  let url: string;
  try {
    url = (await replyInThread(github, repo, target.prNumber, context.root.id, body)).htmlUrl;
  } catch (error) {
    const info = githubErrorInfo(error);
    const failure = `GitHub did not take the reply in the thread of ${context.root.htmlUrl} (HTTP ${info.status ?? '?'}: ${info.message}). The token needs pull-requests: write. The answer is in the job summary.`;
    return { conclusion: 'failure', outputs: { conclusion: 'failure', 'thread-id': thread.id, 'final-message': redact(answer, secrets) }, summary: `### Codex: answer not posted\n\n${failure}\n\n${body}\n`, failure, usage };
  }
  log.info(`Answered in the thread: ${url}`);
  return {
    conclusion: 'answered',
    outputs: { conclusion: 'answered', 'thread-id': thread.id, 'final-message': redact(answer, secrets) },
    summary: `### Codex: answered in a review thread\n\n${url}\n`,
    usage,
  };
}
