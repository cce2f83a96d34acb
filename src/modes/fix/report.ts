// The words fix mode posts: commit message, pull request title and body, job summary, final-message.
import type { DiffStatEntry } from '../../base/git.js';
import type { Attempt } from '../../base/repair/attempts.js';
import type { FailingRun } from './failing-run.js';
import { patchPreview, type SavedPatch } from './saved-patch.js';
import { describeTestRun, type TestRun } from '../../base/command/test-command.js';
import { fence } from '../../base/text/fence.js';
import { tailText } from '../../base/text/bounds.js';
import { type Diagnosis } from '../../base/repair/diagnosis.js';

// GitHub rejects bodies over 65,536 characters; the output tail is what gives way.
const OUTPUT_TAIL_BYTES = 6_000;
const MAX_FILES_LISTED = 50;

/** The title of the fix: from the diagnosis, else from the failure. */
export function fixTitle(diagnosis: Diagnosis | undefined, run: FailingRun): string {
  return diagnosis?.title || `make CI pass on ${run.branch}`;
}

/** The pull request title; `[unverified]` up front when test-command did not pass. */
export function pullRequestTitle(diagnosis: Diagnosis | undefined, run: FailingRun, verified: boolean): string {
  return `${verified ? '' : '[unverified] '}fix: ${fixTitle(diagnosis, run)}`;
}

/** The fix commit's message: a conventional subject, the root cause, and where the failure was. */
export function commitMessage(diagnosis: Diagnosis | undefined, run: FailingRun, verified: boolean): string {
  const lines = [`fix: ${fixTitle(diagnosis, run)}`, ''];
  if (diagnosis?.rootCause) lines.push(diagnosis.rootCause, '');
  if (!verified) lines.push('The test command did not pass with this change (unverified).', '');
  lines.push(`Failing run: ${run.url ?? `commit ${run.sha}`}`);
  return lines.join('\n');
}

/** The final-message output: the diagnosis as text, else the agent's last message. */
export function finalMessageText(diagnosis: Diagnosis | undefined, lastMessage: string | null): string {
  if (!diagnosis) return lastMessage ?? '';
  return [diagnosis.title, '', `Root cause: ${diagnosis.rootCause}`, '', diagnosis.summary].join('\n');
}

export interface ReportInput {
  run: FailingRun;
  diagnosis: Diagnosis | undefined;
  attempts: Attempt[];
  verified: boolean;
  files: DiffStatEntry[];
  testCommand: string;
}

/** The pull request body: root cause, changes, verification with output, link to the failed run. */
export function pullRequestBody(input: ReportInput & { threadId: string }): string {
  const { run, diagnosis } = input;
  const parts: string[] = [];
  parts.push(
    `CI failed on \`${run.branch}\` at ${run.sha.slice(0, 12)}${run.url ? ` ([failed run](${run.url}))` : ''}. ` +
      'This pull request was written by Codex and checked by re-running the test command.',
  );
  if (!input.verified) parts.push('', '> [!WARNING]', '> The test command still fails with this change: it is **unverified**. Review it as a starting point, not a fix.');
  parts.push('', '## Root cause', diagnosis?.rootCause || '_The agent gave no diagnosis._');
  if (diagnosis?.summary) parts.push('', '## What changed', diagnosis.summary);
  parts.push('', '## Files', filesTable(input.files));
  parts.push('', '## Verification', verificationText(input.attempts, input.verified, input.testCommand));
  parts.push(
    '',
    '<sub>Opened by codex-ci-action fix mode (Codex thread `' + input.threadId + '`). Pull requests opened with the ' +
      "workflow's GITHUB_TOKEN do not trigger CI runs; the verification above is the action's own run of the test command.</sub>",
  );
  return parts.join('\n');
}

/** What happened to the fix, for the summary. */
export type DeliveryReport =
  | { kind: 'pull-request'; url: string; number: number; created: boolean; branch: string }
  | { kind: 'push'; branch: string; sha: string }
  | { kind: 'patch'; path: string }
  | { kind: 'none'; reason: string }
  /** Delivery was tried and refused; the change is kept as `patch` (unless even that failed). */
  | { kind: 'failed'; headline: string; remote?: string; hint?: string; patch?: SavedPatch };

export interface SummaryInput extends ReportInput {
  threadId: string | undefined;
  delivery: DeliveryReport;
  notes: string[];
  agentError: string | undefined;
  usage: { inputTokens: number; cachedInputTokens: number; outputTokens: number };
  durationMs: number;
}

/** The job summary: the diagnosis, the change, the verification, where the fix went, tokens and time. */
export function jobSummary(input: SummaryInput): string {
  const { run, diagnosis } = input;
  const status = `${input.verified ? '✅ verified' : '❌ not verified'}${input.delivery.kind === 'failed' ? ', ❌ not delivered' : ''}`;
  const parts = [`## Codex fix: ${diagnosis ? escapeLine(diagnosis.title) : `CI on \`${run.branch}\``} (${status})`, ''];
  parts.push(`Failing run: ${run.url ? `[${run.id ?? 'run'}](${run.url})` : 'this job'} on \`${run.branch}\` at \`${run.sha.slice(0, 12)}\`.`);
  for (const note of input.notes) parts.push('', `> [!NOTE]\n> ${note}`);
  if (input.agentError) parts.push('', `> [!WARNING]\n> ${input.agentError}`);
  parts.push('', '### Root cause', diagnosis?.rootCause || '_The agent gave no diagnosis._');
  if (diagnosis?.summary) parts.push('', '### What changed', diagnosis.summary);
  parts.push('', '### Files changed', filesTable(input.files));
  parts.push('', '### Verification', verificationText(input.attempts, input.verified, input.testCommand));
  parts.push('', '### Delivery', deliveryText(input.delivery));
  const u = input.usage;
  parts.push(
    '',
    `<sub>Tokens: ${u.inputTokens} input (${u.cachedInputTokens} cached), ${u.outputTokens} output · ` +
      `Time: ${formatDuration(input.durationMs)}${input.threadId ? ` · Thread: \`${input.threadId}\`` : ''}</sub>`,
  );
  return `${parts.join('\n')}\n`;
}

/** The summary of a run skipped by a guard. */
export function skippedSummary(reason: string, run: FailingRun | undefined): string {
  const where = run ? ` (run ${run.id ?? 'in this job'} on \`${run.branch}\`)` : '';
  return `## Codex fix: skipped${where}\n\n${reason}\n\nNo model was called and nothing was changed.\n`;
}

function deliveryText(delivery: DeliveryReport): string {
  switch (delivery.kind) {
    case 'pull-request':
      return `${delivery.created ? 'Opened' : 'Updated'} pull request [#${delivery.number}](${delivery.url}) from \`${delivery.branch}\`.`;
    case 'push':
      return `Pushed commit \`${delivery.sha.slice(0, 12)}\` onto \`${delivery.branch}\`.`;
    case 'patch':
      return `Wrote the change as a patch to \`${delivery.path}\` (output \`patch-path\`); apply it with \`git apply\`.`;
    case 'none':
      return delivery.reason;
    case 'failed':
      return failedDeliveryText(delivery);
  }
}

function failedDeliveryText(delivery: Extract<DeliveryReport, { kind: 'failed' }>): string {
  const parts = [`❌ ${delivery.headline}`];
  if (delivery.remote) parts.push('', fence(delivery.remote, 'text'));
  if (delivery.hint) parts.push('', delivery.hint);
  const patch = delivery.patch;
  if (!patch) {
    parts.push('', '**The change could not be saved as a patch either**; the step log has the details.');
    return parts.join('\n');
  }
  const artifact = patch.artifact ? ` and uploaded as the workflow artifact [${patch.artifact.name}](${patch.artifact.url})` : '';
  parts.push(
    '',
    `**The change is not lost**: it is saved as a patch at \`${patch.path}\` (output \`patch-path\`)${artifact}. ` +
      `Apply it with \`git apply\` on \`${patch.baseSha.slice(0, 12)}\`, the failing commit.`,
  );
  if (patch.artifactNote) parts.push('', `> [!WARNING]\n> ${patch.artifactNote}`);
  parts.push('', patchPreview(patch));
  return parts.join('\n');
}

function verificationText(attempts: readonly Attempt[], verified: boolean, testCommand: string): string {
  const last = attempts.at(-1);
  if (!last) return `\`${testCommand}\` was not run.`;
  const tried = (attempt: Attempt) =>
    attempt.test ? describeTestRun(attempt.test) : `\`${testCommand}\` was not run: the agent's turn did not complete.`;
  const lines = [
    verified
      ? `✅ ${tried(last)} Verified on try ${last.number}.`
      : `❌ ${tried(last)}${last.test && attempts.length > 1 ? ` It failed after each of ${attempts.length} tries.` : ''}`,
  ];
  for (const attempt of attempts.slice(0, -1)) lines.push(`- Try ${attempt.number}: ${tried(attempt)}`);
  const reverted = [...new Set(attempts.flatMap((a) => a.reverted))];
  if (reverted.length > 0) lines.push('', `The agent's changes to ${reverted.map((p) => `\`${p}\``).join(', ')} were reverted (protected paths).`);
  const shown = [...attempts].reverse().find((a) => a.test)?.test;
  if (shown) lines.push('', outputDetails(shown));
  return lines.join('\n');
}

function outputDetails(test: TestRun): string {
  const tail = tailText(test.output, OUTPUT_TAIL_BYTES).replaceAll('```', "'''");
  return `<details><summary>Output of the last run (end)</summary>\n\n\`\`\`text\n${tail || '(no output)'}\n\`\`\`\n\n</details>`;
}

function filesTable(files: readonly DiffStatEntry[]): string {
  if (files.length === 0) return '_No files changed._';
  const rows = files.slice(0, MAX_FILES_LISTED).map((f) => {
    const counts = f.additions === null ? 'binary' : `+${f.additions} −${f.deletions ?? 0}`;
    return `| \`${f.path.replaceAll('|', '\\|')}\` | ${counts} |`;
  });
  const more = files.length > MAX_FILES_LISTED ? `\n\n…and ${files.length - MAX_FILES_LISTED} more files.` : '';
  const added = files.reduce((n, f) => n + (f.additions ?? 0), 0);
  const deleted = files.reduce((n, f) => n + (f.deletions ?? 0), 0);
  return `| File | Lines |\n| --- | --- |\n${rows.join('\n')}${more}\n\n${files.length} file${files.length === 1 ? '' : 's'} changed, +${added} −${deleted}.`;
}

/** The summary when test-command passes at the failing commit: nothing for the agent to fix. */
export function reproductionPassedSummary(run: FailingRun, test: TestRun): string {
  return [
    `## Codex fix: nothing to fix on \`${run.branch}\``,
    '',
    `${describeTestRun(test)} The failure did not reproduce at \`${run.sha.slice(0, 12)}\`, so no model was called.`,
    'The failure may be flaky, or caused by a step that test-command does not cover.',
    '',
    outputDetails(test),
    '',
  ].join('\n');
}

function escapeLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
}
