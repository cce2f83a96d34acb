// The fix attempt loop's shared parts: the agent's structured diagnosis, the retry turn's prompt, and the paths it may
// not change. Fix mode and a pull request's "@codex fix" both drive their attempts with these.
import { z } from 'zod';
import type { Git } from '../git.js';
import type { TestRun } from '../command/test-command.js';
import { readJsonReply } from '../codex/json-reply.js';
import { tailText } from '../text/bounds.js';

/** Paths the agent must not change; the action reverts any change there before verifying. */
export const PROTECTED_PATHS = ['.github/workflows'];

/** How much of a failing test run's output a retry turn carries. */
const RETRY_OUTPUT_BYTES = 12_000;

/** JSON Schema of the final answer of every fix turn (strict: every property required). */
export const DIAGNOSIS_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['title', 'root_cause', 'summary'],
  properties: {
    title: { type: 'string', description: 'Pull request title: the fix in a few words, imperative mood, no "fix:" prefix.' },
    root_cause: { type: 'string', description: 'Why CI failed, in a short paragraph.' },
    summary: { type: 'string', description: 'What you changed and why it fixes the root cause; what you ran to check it.' },
  },
} as const;

const diagnosisSchema = z.object({ title: z.string(), root_cause: z.string(), summary: z.string() }).loose();

/** The agent's structured account of the failure and its fix. */
export interface Diagnosis {
  title: string;
  rootCause: string;
  summary: string;
}

/** Parses a turn's final message; undefined when it is not the JSON asked for. */
export function parseDiagnosis(text: string | null): Diagnosis | undefined {
  const reply = readJsonReply(text);
  if (!reply.ok) return undefined;
  const parsed = diagnosisSchema.safeParse(reply.json);
  if (!parsed.success) return undefined;
  const title = parsed.data.title.trim().replace(/^fix(\(.*?\))?:\s*/i, '').split('\n')[0]!.slice(0, 120);
  return { title, rootCause: parsed.data.root_cause.trim(), summary: parsed.data.summary.trim() };
}

export interface RetryPromptInput {
  attempt: number;
  maxAttempts: number;
  test: TestRun;
  /** Protected paths the action put back after the last turn. */
  reverted: string[];
}

/** A further turn in the same thread: the verification failed, here is its output. */
export function retryPrompt(input: RetryPromptInput): string {
  const { test } = input;
  const how = test.timedOut
    ? 'did not finish within its time limit'
    : `failed (exit code ${test.exitCode ?? 'none'})`;
  const parts = [
    `The action ran \`${test.command}\` after your change and it still ${how}. This is try ${input.attempt} of ${input.maxAttempts}.`,
  ];
  if (input.reverted.length > 0) {
    parts.push(`Your changes to ${input.reverted.map((p) => `\`${p}\``).join(', ')} were reverted: those files are off limits.`);
  }
  parts.push(
    '',
    'The end of its output:',
    '```text',
    tailText(test.output, RETRY_OUTPUT_BYTES).replaceAll('```', "'''") || '(no output)',
    '```',
    '',
    'Find out why it still fails and fix that. Your earlier changes are still in the workspace.',
    '',
    finalAnswerRequest(),
  );
  return parts.join('\n');
}

export function finalAnswerRequest(): string {
  return (
    'Finish with JSON: `title` (the fix in a few words, for the pull request title), `root_cause` (why CI failed) ' +
    'and `summary` (what you changed and how you checked it).'
  );
}

/** Puts back whatever the agent changed under the protected paths as it is in `baseSha`; returns the paths it touched. */
export async function revertProtectedPaths(git: Git, baseSha: string): Promise<string[]> {
  const changed = await git.status(PROTECTED_PATHS);
  const paths = [...new Set(changed.flatMap((e) => (e.from ? [e.from, e.path] : [e.path])))];
  if (paths.length > 0) await git.restoreFrom(baseSha, paths);
  return paths;
}
