// Decides what this run does from the event and the inputs: review PRs, fix a run, or skip (with why).
import { z } from 'zod';
import type { WorkflowEvent } from '../base/context.js';
import { commenterRefusal, fixFromIssueComment, planReviewComment, type ConversationTarget } from '../modes/conversation/event.js';
import { type RunOptions } from '../base/options.js';
import { type ReviewTarget } from '../modes/review/target.js';
import { type FixTarget } from '../modes/fix/target.js';

export type Plan =
  | { job: 'review'; target: ReviewTarget }
  /** The first and the last job of a review sharded across a job matrix (its middle jobs are reviews with `shard`). */
  | { job: 'plan'; target: ReviewTarget }
  | { job: 'merge'; target: ReviewTarget }
  | { job: 'fix'; target: FixTarget }
  | { job: 'converse'; target: ConversationTarget }
  /** The one-time ChatGPT device-code login into `codex-home`: no pull request, no GitHub call. */
  | { job: 'login' }
  | { job: 'skip'; reason: string };

/** The mode cannot work with this event and these inputs. */
export class PlanError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PlanError';
  }
}

const PR_EVENTS = new Set(['pull_request', 'pull_request_target']);
// Only the fields the plan reads; the payload is untrusted. Each is read only when the plan needs it, and a payload
// without it fails the run with the missing field named: it never turns into "nothing to do".
const prPayload = z.object({ pull_request: z.object({ number: z.number().int().positive() }).loose() }).loose();
const runPayload = z.object({
  workflow_run: z.object({ id: z.number().int().positive(), conclusion: z.string().nullish() }).loose(),
});
const commentPayload = z.object({
  action: z.string().default('created'),
  issue: z.object({ number: z.number().int().positive(), pull_request: z.unknown().optional() }).loose(),
  comment: z
    .object({
      id: z.number().int().positive().optional(),
      html_url: z.string().default(''),
      body: z.string().default(''),
      author_association: z.string().default('NONE'),
      user: z.object({ login: z.string(), type: z.string().default('User') }).loose(),
    })
    .loose(),
});

/** The event's payload lacks a field the plan needs, or has it with the wrong type. */
export class MalformedEventError extends PlanError {
  constructor(event: string, problems: string[]) {
    super(
      `The '${event}' event's payload (GITHUB_EVENT_PATH) is malformed: ${problems.join('; ')}. ` +
        `The action cannot tell what to work on without it; a payload GitHub sends always has it, so check what wrote the event file.`,
    );
    this.name = 'MalformedEventError';
  }
}

/** Reads the fields `schema` names from the event's payload, or fails naming the event and each bad field. */
function readPayload<T>(event: WorkflowEvent, schema: z.ZodType<T>): T {
  const parsed = schema.safeParse(event.payload);
  if (parsed.success) return parsed.data;
  throw new MalformedEventError(event.name, parsed.error.issues.map((issue) => problem(event.payload, issue)));
}

function problem(payload: unknown, issue: z.core.$ZodIssue): string {
  const field = issue.path.map(String).join('.') || 'the payload';
  let value: unknown = payload;
  for (const key of issue.path) value = value !== null && typeof value === 'object' ? (value as Record<PropertyKey, unknown>)[key] : undefined;
  if (value === undefined) return `${field} is missing`;
  const shown = JSON.stringify(value) ?? String(value);
  const expected = issue.code === 'invalid_type' ? `expected ${issue.expected}` : issue.message;
  return `${field} is ${shown.length > 40 ? `${shown.slice(0, 40)}…` : shown} (${expected})`;
}

/** The plan for this run. */
export function planRun(inputs: RunOptions, event: WorkflowEvent, currentRunId: number | undefined): Plan {
  switch (inputs.mode) {
    case 'review':
      if (event.name === 'pull_request_review_comment') return planReviewComment(inputs, event);
      if (event.name === 'issue_comment' && inputs.prNumbers.length === 0) return commentPlan(inputs, event);
      return { job: 'review', target: reviewTarget(inputs, event) ?? missingPr(event) };
    case 'fix':
      return { job: 'fix', target: fixTarget(inputs, event, currentRunId) };
    case 'auto':
      return autoPlan(inputs, event, currentRunId);
    case 'login':
      return { job: 'login' };
    case 'plan':
    case 'merge':
      return shardedPlan(inputs.mode, planRun({ ...inputs, mode: 'review' }, event, currentRunId));
  }
}

/** The plan and merge jobs see the pull request a review would (its event, its comment guards), and only reviews. */
function shardedPlan(job: 'plan' | 'merge', review: Plan): Plan {
  if (review.job === 'review') {
    if (review.target.prNumbers.length !== 1) {
      throw new PlanError(`Mode '${job}' shards the review of one pull request, but pr-number names ${review.target.prNumbers.length}: run one workflow per pull request.`);
    }
    return { job, target: review.target };
  }
  if (review.job === 'skip') return review;
  return { job: 'skip', reason: `Mode '${job}' shards pull request reviews; answers in review threads and "@codex fix" are not sharded (run them with mode auto).` };
}

function autoPlan(inputs: RunOptions, event: WorkflowEvent, currentRunId: number | undefined): Plan {
  if (event.name === 'workflow_run') {
    const run = readPayload(event, runPayload);
    const conclusion = run.workflow_run.conclusion ?? 'unknown';
    if (conclusion !== 'failure') return { job: 'skip', reason: `The triggering run concluded '${conclusion}', not 'failure': nothing to fix.` };
    return { job: 'fix', target: fixTarget(inputs, event, currentRunId) };
  }
  if (event.name === 'issue_comment') return commentPlan(inputs, event);
  if (event.name === 'pull_request_review_comment') return planReviewComment(inputs, event);
  if (inputs.runId !== undefined) return { job: 'fix', target: { runId: inputs.runId, source: 'input' } };
  const review = reviewTarget(inputs, event);
  if (review) return { job: 'review', target: review };
  return {
    job: 'skip',
    reason:
      `Mode 'auto' found nothing to do for a '${event.name}' event: it reviews pull_request events or 'pr-number', ` +
      `and fixes failed workflow_run events or 'run-id'. Set 'mode: fix' for a step after a failing step.`,
  };
}

function reviewTarget(inputs: RunOptions, event: WorkflowEvent): ReviewTarget | undefined {
  if (inputs.prNumbers.length > 0) return { prNumbers: inputs.prNumbers, explicit: true };
  if (PR_EVENTS.has(event.name)) return { prNumbers: [readPayload(event, prPayload).pull_request.number], explicit: false };
  return undefined;
}

function missingPr(event: WorkflowEvent): never {
  throw new PlanError(
    `Mode 'review' needs a pull request, but the '${event.name}' event has none. ` +
      `Run on pull_request, or set 'pr-number' (e.g. from a workflow_dispatch input).`,
  );
}

function fixTarget(inputs: RunOptions, event: WorkflowEvent, currentRunId: number | undefined): FixTarget {
  if (inputs.runId !== undefined) return { runId: inputs.runId, source: 'input' };
  // A workflow_run event names the run to fix; without its id, falling back to the current run would fix the wrong one.
  if (event.name === 'workflow_run') return { runId: readPayload(event, runPayload).workflow_run.id, source: 'workflow_run' };
  return { runId: currentRunId, source: 'in-job' };
}

// A comment that mentions the trigger phrase on a PR, by someone trusted, asks for a review.
function commentPlan(inputs: RunOptions, event: WorkflowEvent): Plan {
  const { action, comment, issue } = readPayload(event, commentPayload);
  if (issue.pull_request === undefined) return { job: 'skip', reason: 'The comment is not on a pull request.' };
  // Editing or deleting an old comment must not start a new review.
  if (action !== 'created') return { job: 'skip', reason: `The comment was ${action}, not created.` };
  if (!comment.body.includes(inputs.triggerPhrase))
    return { job: 'skip', reason: `The comment does not mention '${inputs.triggerPhrase}'.` };
  const refusal = commenterRefusal(inputs, { login: comment.user.login, type: comment.user.type, association: comment.author_association }, 'trigger a review');
  if (refusal) return { job: 'skip', reason: refusal };
  // "@codex fix …" asks for a change on the pull request's branch instead of a review.
  const fix = comment.id ? fixFromIssueComment(inputs, { id: comment.id, body: comment.body, login: comment.user.login, htmlUrl: comment.html_url }, issue.number) : undefined;
  if (fix) return { job: 'converse', target: fix };
  const target: ReviewTarget = { prNumbers: [issue.number], explicit: true };
  if (asksForFull(comment.body, inputs.triggerPhrase)) target.full = true;
  if (comment.id !== undefined) target.triggerCommentId = comment.id;
  return { job: 'review', target };
}

/** True when the phrase is followed by the word `full` ("@codex full"): a full review, not an incremental one. */
export function asksForFull(body: string, phrase: string): boolean {
  const escaped = phrase.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`${escaped}\\s+full\\b`, 'i').test(body);
}
