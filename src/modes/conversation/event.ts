// Which conversation a comment starts: an answer in a review thread, or a fix on the pull request (with who may ask).
import { z } from 'zod';
import type { WorkflowEvent } from '../../base/context.js';
import { isOwnReply } from '../../base/text/markers.js';
import { type RunOptions } from '../../base/options.js';

/** The comment that asks, as the event payload gave it (untrusted). */
export interface AskingComment {
  id: number;
  body: string;
  login: string;
  htmlUrl: string;
}

/** What a comment asks the action to do on a pull request. */
export interface ConversationTarget {
  /** `answer`: reply in the review thread; `fix`: change the pull request's head branch. */
  kind: 'answer' | 'fix';
  prNumber: number;
  comment: AskingComment;
  /** For a review-thread comment: the thread's first comment, under which replies go. */
  threadRootId: number | undefined;
  /** Whether the comment mentions trigger-phrase (a thread the action did not start is answered only then). */
  mentioned: boolean;
  /** For `fix`: what the commenter wrote after "<trigger-phrase> fix" (untrusted). */
  instructions: string;
}

/** A plan for a comment event: the conversation, or why there is none. */
export type ConversationPlan = { job: 'converse'; target: ConversationTarget } | { job: 'skip'; reason: string };

const TRUSTED_ASSOCIATIONS = new Set(['OWNER', 'MEMBER', 'COLLABORATOR']);

const user = z.object({ login: z.string(), type: z.string().default('User') }).loose();
const reviewCommentPayload = z.object({
  action: z.string(),
  comment: z
    .object({
      id: z.number().int().positive(),
      body: z.string().default(''),
      html_url: z.string().default(''),
      author_association: z.string().default('NONE'),
      in_reply_to_id: z.number().int().positive().nullish(),
      user,
    })
    .loose(),
  pull_request: z.object({ number: z.number().int().positive() }).loose(),
});

/**
 * Why this commenter may not ask, or undefined: owners, members and collaborators, logins in allow-users; bots only
 * when listed in allow-bots. The same rule for every comment trigger.
 */
export function commenterRefusal(
  inputs: Pick<RunOptions, 'allowUsers' | 'allowBots'>,
  commenter: { login: string; type: string; association: string },
  what = 'trigger the action',
): string | undefined {
  const login = commenter.login.toLowerCase();
  const listed = (logins: string[]) => logins.some((u) => u.toLowerCase() === login || `${u.toLowerCase()}[bot]` === login);
  if (commenter.type === 'Bot') {
    return listed(inputs.allowBots) ? undefined : `The bot @${commenter.login} may not ${what} (not in 'allow-bots').`;
  }
  if (listed(inputs.allowUsers) || TRUSTED_ASSOCIATIONS.has(commenter.association)) return undefined;
  return `@${commenter.login} may not ${what} (not a collaborator and not in 'allow-users').`;
}

/** The instructions after "<trigger> fix" when the comment asks for a fix, else undefined. */
export function fixRequest(body: string, triggerPhrase: string): string | undefined {
  const escaped = triggerPhrase.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const match = new RegExp(`(?:^|\\s)${escaped}\\s+fix\\b([\\s\\S]*)$`, 'i').exec(body);
  return match ? match[1]!.trim() : undefined;
}

/** A new comment in a review thread: answer it, or fix what it asks for. Edits and the action's own replies are skipped. */
export function planReviewComment(inputs: RunOptions, event: WorkflowEvent): ConversationPlan {
  const parsed = reviewCommentPayload.safeParse(event.payload);
  if (!parsed.success) return { job: 'skip', reason: 'The pull_request_review_comment event has no comment or pull request.' };
  const { action, comment, pull_request } = parsed.data;
  if (action !== 'created') return { job: 'skip', reason: `The review comment was ${action}, not created.` };
  if (isOwnReply(comment.body)) return { job: 'skip', reason: 'The comment is one of this action\'s own replies.' };
  const refusal = commenterRefusal(inputs, { login: comment.user.login, type: comment.user.type, association: comment.author_association }, 'ask Codex');
  if (refusal) return { job: 'skip', reason: refusal };
  const instructions = fixRequest(comment.body, inputs.triggerPhrase);
  return {
    job: 'converse',
    target: {
      kind: instructions === undefined ? 'answer' : 'fix',
      prNumber: pull_request.number,
      comment: { id: comment.id, body: comment.body, login: comment.user.login, htmlUrl: comment.html_url },
      threadRootId: comment.in_reply_to_id ?? comment.id,
      mentioned: comment.body.includes(inputs.triggerPhrase),
      instructions: instructions ?? '',
    },
  };
}

/** A PR comment that asks "<trigger> fix …" (already checked: created, on a PR, by someone allowed). */
export function fixFromIssueComment(
  inputs: RunOptions,
  comment: { id: number; body: string; login: string; htmlUrl: string },
  prNumber: number,
): ConversationTarget | undefined {
  const instructions = fixRequest(comment.body, inputs.triggerPhrase);
  if (instructions === undefined) return undefined;
  return { kind: 'fix', prNumber, comment, threadRootId: undefined, mentioned: true, instructions };
}

