// run(): inputs → plan → job (codex installed when the job first needs it) → report. The one place errors fail the step.
import * as core from '@actions/core';
import { approvalsSummary } from '../base/codex/approvals.js';
import { budgetSummary } from '../base/codex/budget.js';
import { installCodex } from '../base/codex/install.js';
import { runLogin } from '../base/codex/login.js';
import { SandboxUnavailableError } from '../base/codex/sandbox.js';
import type { CodexSession } from '../base/codex/session.js';
import { runConversation } from '../modes/conversation/run-conversation.js';
import { runFix } from '../modes/fix/run-fix.js';
import { removePersistedCredentials } from './git-credentials.js';
import { readInputs, secretsOf } from './inputs.js';
import { planRun } from './plan.js';
import { redact } from '../base/text/redact.js';
import { report } from './report.js';
import { createRunContext } from '../base/run-context.js';
import { runReview } from '../modes/review/run-review.js';
import { runPlan } from '../modes/review/shard/run-plan.js';
import { runShard } from '../modes/review/shard/run-shard.js';
import { runMerge } from '../modes/review/shard/run-merge.js';
import { type JobOutcome } from '../base/outcome.js';
import { setLogger } from '../base/log.js';
import { CORE_LOGGER } from './core-logger.js';
import { installOnce } from '../base/codex/install-once.js';
import { readRunnerContext } from './runner-context.js';

/** The action's entry: never throws; failures end as `core.setFailed` with what to do. */
export async function run(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  setLogger(CORE_LOGGER);
  let secrets: string[] = [];
  // Known once codex is installed; a run that fails later still says which codex it ran.
  let codexVersion: () => string | undefined = () => undefined;
  try {
    const inputs = readInputs(env);
    secrets = secretsOf(inputs);
    const { event, place, runId: currentRunId } = await readRunnerContext(env);
    const plan = planRun(inputs, event, currentRunId);
    if (plan.job === 'skip') {
      core.info(`Skipped: ${plan.reason}`);
      await report({ conclusion: 'skipped', outputs: {}, summary: `### Codex: skipped\n\n${plan.reason}\n` }, secrets);
      return;
    }
    if (plan.job === 'login') {
      // No pull request, no GitHub call, no sandbox: only Codex and the sign-in server.
      let version: string | undefined;
      const codexPath = async () => {
        const codex = await core.group('Install Codex', () => installCodex({ version: inputs.codexVersion, codexPath: inputs.codexPath }));
        version = codex.version;
        return codex.path;
      };
      const outcome = await runLogin(inputs, env, secrets, codexPath);
      await report(outcome, secrets, version);
      return;
    }
    if (!inputs.githubToken) {
      throw new Error(`Input 'github-token' is empty: the ${plan.job} job needs a token to talk to GitHub (the default is \${{ github.token }}).`);
    }

    const sessions: CodexSession[] = [];
    // An answer is read-only like a review; a fix request writes like fix mode.
    const sandboxJob = plan.job === 'converse' ? (plan.target.kind === 'fix' ? 'fix' : 'review') : plan.job === 'fix' ? 'fix' : 'review';
    const codex = installOnce(inputs, sandboxJob, env, secrets);
    codexVersion = codex.version;
    const ctx = createRunContext({ inputs, event, place, env, secrets, codex: codex.get, codexInstalled: codex.installed, currentRunId, sessions });
    const restoreCredentials = await removePersistedCredentials(inputs.workingDirectory, secrets, ctx.tempDir);
    let outcome: JobOutcome;
    try {
      if (plan.job === 'review') outcome = inputs.shard ? await runShard(ctx, plan.target) : await runReview(ctx, plan.target);
      else if (plan.job === 'plan') outcome = await runPlan(ctx, plan.target);
      else if (plan.job === 'merge') outcome = await runMerge(ctx, plan.target);
      else if (plan.job === 'converse') outcome = await runConversation(ctx, plan.target);
      else outcome = await runFix(ctx, plan.target);
    } finally {
      await Promise.all(sessions.map((s) => s.close().catch(() => {})));
      await restoreCredentials();
    }
    // Review and fix alike: what the agent asked to do and who decided, next to the job's own summary.
    outcome = { ...outcome, summary: outcome.summary + approvalsSummary(sessions.flatMap((s) => s.approvals)) + budgetSummary(ctx.budget, inputs.pricePerMillion) };
    const sandboxFailure = sessions.map((s) => s.server.sandboxFailure).find(Boolean);
    if (sandboxFailure && inputs.sandbox !== 'danger-full-access') {
      outcome = { ...outcome, conclusion: 'failure', failure: new SandboxUnavailableError(sandboxFailure).message };
    }
    await report(outcome, secrets, codex.version());
  } catch (error) {
    const message = redact(error instanceof Error ? error.message : String(error), secrets);
    core.debug(error instanceof Error && error.stack ? redact(error.stack, secrets) : '');
    await writeFailureSummary(message);
    core.setOutput('conclusion', 'failure');
    const version = codexVersion();
    if (version) core.setOutput('codex-version', version);
    core.setFailed(message);
  }
}

/** A failed step also says in the job summary what failed, where people look first. */
async function writeFailureSummary(message: string): Promise<void> {
  if (!process.env.GITHUB_STEP_SUMMARY) return;
  await core.summary
    .addHeading('Codex: failed', 3)
    // addCodeBlock does not escape: the message may quote untrusted text.
    .addCodeBlock(message.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;'))
    .write()
    .catch(() => {});
}
