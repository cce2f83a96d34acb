// What the engine reads of the triggering event itself, beyond what a shell planned from it.
import { z } from 'zod';
import type { WorkflowEvent } from './context.js';

/** The pull request an event is about (pull_request*, issue_comment on a PR), if any: where its threads are stored. */
export function eventPullNumber(event: WorkflowEvent): number | undefined {
  const parsed = z
    .object({
      pull_request: z.object({ number: z.number().int().positive() }).loose().optional(),
      issue: z.object({ number: z.number().int().positive(), pull_request: z.unknown().optional() }).loose().optional(),
    })
    .loose()
    .safeParse(event.payload);
  if (!parsed.success) return undefined;
  return parsed.data.pull_request?.number ?? (parsed.data.issue?.pull_request !== undefined ? parsed.data.issue.number : undefined);
}
