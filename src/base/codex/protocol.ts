// zod schemas of exactly the app-server messages this action reads (camelCase, as on the wire).
import { z } from 'zod';

/** Methods the client sends; the contract test checks each exists in the pinned binary's schema. */
export const CLIENT_METHODS = [
  'initialize',
  'thread/start',
  'thread/resume',
  'thread/fork',
  'turn/start',
  'turn/interrupt',
] as const;

/** Notifications the client reads; the contract test checks each exists in the pinned binary's schema. */
export const SERVER_NOTIFICATIONS = [
  'turn/started',
  'item/started',
  'item/completed',
  'thread/tokenUsage/updated',
  'turn/completed',
  'error',
] as const;

/** Server → client requests the client answers (the rest get a JSON-RPC error so no turn hangs). */
export const APPROVAL_REQUESTS = {
  command: 'item/commandExecution/requestApproval',
  fileChange: 'item/fileChange/requestApproval',
} as const;

export const initializeResult = z.object({ userAgent: z.string() }).loose();

/** thread/start, thread/resume and thread/fork all answer with the thread. */
export const threadResult = z.object({ thread: z.object({ id: z.string() }).loose() }).loose();

export const turnStatus = z.enum(['completed', 'interrupted', 'failed', 'inProgress']);
export type TurnStatus = z.infer<typeof turnStatus>;

const turnError = z.object({ message: z.string(), additionalDetails: z.string().nullish() }).loose();

export const turn = z
  .object({ id: z.string(), status: turnStatus, error: turnError.nullish() })
  .loose();

export const turnStartResult = z.object({ turn }).loose();

/** The items this action looks into; every other item type is kept as-is. */
export const agentMessageItem = z.object({ type: z.literal('agentMessage'), id: z.string(), text: z.string() }).loose();
export const commandExecutionItem = z
  .object({
    type: z.literal('commandExecution'),
    id: z.string(),
    command: z.string(),
    cwd: z.string().nullish(),
    status: z.string(),
    exitCode: z.number().nullish(),
    aggregatedOutput: z.string().nullish(),
  })
  .loose();
export const fileChangeItem = z
  .object({
    type: z.literal('fileChange'),
    id: z.string(),
    changes: z.array(z.object({ path: z.string() }).loose()),
    status: z.string(),
  })
  .loose();
const otherItem = z.object({ type: z.string(), id: z.string() }).loose();

export const threadItem = z.union([agentMessageItem, commandExecutionItem, fileChangeItem, otherItem]);
export type ThreadItem = z.infer<typeof threadItem>;
export type AgentMessageItem = z.infer<typeof agentMessageItem>;
export type CommandExecutionItem = z.infer<typeof commandExecutionItem>;
export type FileChangeItem = z.infer<typeof fileChangeItem>;

const tokenBreakdown = z
  .object({
    totalTokens: z.number(),
    inputTokens: z.number(),
    cachedInputTokens: z.number(),
    outputTokens: z.number(),
    reasoningOutputTokens: z.number(),
  })
  .loose();

/** Notifications of one turn, keyed by method; `threadId` routes them to the turn's stream. */
export const turnNotifications = {
  'turn/started': z.object({ threadId: z.string(), turn }).loose(),
  'item/started': z.object({ threadId: z.string(), turnId: z.string(), item: threadItem }).loose(),
  'item/completed': z.object({ threadId: z.string(), turnId: z.string(), item: threadItem }).loose(),
  'thread/tokenUsage/updated': z
    .object({
      threadId: z.string(),
      turnId: z.string(),
      tokenUsage: z.object({ total: tokenBreakdown, last: tokenBreakdown }).loose(),
    })
    .loose(),
  'turn/completed': z.object({ threadId: z.string(), turn }).loose(),
  error: z.object({ threadId: z.string(), turnId: z.string(), error: turnError, willRetry: z.boolean() }).loose(),
} as const;

type TurnNotifications = typeof turnNotifications;
/** One event of a turn's stream: a discriminated union on `method`. */
export type TurnEvent = {
  [M in keyof TurnNotifications]: { method: M; params: z.infer<TurnNotifications[M]> };
}[keyof TurnNotifications];

/** Codex's auto-reviewer (`approvalsReviewer: auto_review`, legacy `guardian_subagent`); the payload is marked unstable. */
export const AUTO_REVIEW_NOTIFICATIONS = {
  started: 'item/autoApprovalReview/started',
  completed: 'item/autoApprovalReview/completed',
  warning: 'guardianWarning',
} as const;
export const autoApprovalReview = z
  .object({
    threadId: z.string(),
    turnId: z.string(),
    review: z
      .object({
        status: z.string(),
        riskLevel: z.string().nullish(),
        rationale: z.string().nullish(),
      })
      .loose(),
    action: z.object({ type: z.string() }).loose(),
  })
  .loose();
export type AutoApprovalReview = z.infer<typeof autoApprovalReview>;
export const guardianWarning = z.object({ threadId: z.string(), message: z.string() }).loose();

export const commandApprovalParams = z
  .object({
    threadId: z.string(),
    turnId: z.string(),
    itemId: z.string(),
    command: z.string().nullish(),
    cwd: z.string().nullish(),
    reason: z.string().nullish(),
  })
  .loose();
export const fileChangeApprovalParams = z
  .object({ threadId: z.string(), turnId: z.string(), itemId: z.string(), reason: z.string().nullish() })
  .loose();
