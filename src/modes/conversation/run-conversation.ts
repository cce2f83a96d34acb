// A comment's conversation: an answer in its review thread, or a fix pushed onto the pull request's branch.
import type { RunContext } from '../../base/context.js';
import { runAnswer } from './answer.js';
import type { ConversationTarget } from './event.js';
import { runFixOnPull } from './fix-on-pull.js';
import { type JobOutcome } from '../../base/outcome.js';

/** Holds the conversation a comment asked for. */
export function runConversation(ctx: RunContext, target: ConversationTarget): Promise<JobOutcome> {
  return target.kind === 'answer' ? runAnswer(ctx, target) : runFixOnPull(ctx, target);
}
