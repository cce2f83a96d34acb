// Writes what a job produced where the user sees it: step outputs, the job summary, the step's status.
import * as core from '@actions/core';
import { boundBytes, JOB_SUMMARY_MAX_BYTES } from '../base/text/bounds.js';
import { redact } from '../base/text/redact.js';
import { type JobOutcome } from '../base/outcome.js';

/** Sets outputs (always every token count), appends the summary, and fails the step when asked to. */
export async function report(outcome: JobOutcome, secrets: readonly string[], codexVersion?: string): Promise<void> {
  const usage = outcome.usage ?? { inputTokens: 0, cachedInputTokens: 0, outputTokens: 0 };
  const outputs: Record<string, string> = {
    ...outcome.outputs,
    conclusion: outcome.conclusion,
    'input-tokens': String(usage.inputTokens),
    'cached-input-tokens': String(usage.cachedInputTokens),
    'output-tokens': String(usage.outputTokens),
  };
  if (codexVersion) outputs['codex-version'] = codexVersion;
  for (const [name, value] of Object.entries(outputs)) core.setOutput(name, redact(value, secrets));
  if (outcome.summary && process.env.GITHUB_STEP_SUMMARY) {
    // Over GitHub's limit the whole summary would be refused; cut, it still shows the conclusion and the first reports.
    const summary = boundBytes(redact(outcome.summary, secrets), JOB_SUMMARY_MAX_BYTES, '\n\n… (cut short: GitHub limits the size of a job summary)\n');
    await core.summary.addRaw(summary, true).write();
  }
  core.info(`Conclusion: ${outcome.conclusion}`);
  if (outcome.failure) core.setFailed(redact(outcome.failure, secrets));
}
