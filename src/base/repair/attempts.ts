// The fix loop: a turn, revert protected paths, run test-command; again in the same thread while it fails.
// A turn that did not complete ends the loop without a test run: its result is not delivered anyway.
import { AgentFailure } from '../codex/agent-failure.js';
import type { Thread, TurnOptions, TurnResult } from '../codex/app-server.js';
import { redact } from '../text/redact.js';
import { describeTestRun, type TestRun } from '../command/test-command.js';
import { parseDiagnosis, retryPrompt, DIAGNOSIS_SCHEMA, type Diagnosis } from './diagnosis.js';
import { log } from '../log.js';

/** One turn and the verification after it. */
export interface Attempt {
  number: number;
  turn: Pick<TurnResult, 'turnId' | 'status' | 'error' | 'timedOut' | 'finalResponse' | 'usage'>;
  /** Files the agent changed under protected paths, put back before verifying. */
  reverted: string[];
  /** The verification run; undefined when the turn did not complete (nothing to verify). */
  test: TestRun | undefined;
}

/** Everything the loop produced. */
export interface AttemptsResult {
  attempts: Attempt[];
  /** The latest diagnosis the agent gave (a later turn's replaces an earlier one's). */
  diagnosis: Diagnosis | undefined;
  /** The last turn's final message as sent (JSON or free text). */
  finalMessage: string | null;
  /** test-command passed after the last attempt. */
  verified: boolean;
  /**
   * Set when a turn did not complete (failed, interrupted, timed out) or the machinery broke (the app-server died,
   * the model endpoint refused the key): the loop stops there.
   */
  agentError: string | undefined;
  usage: { inputTokens: number; cachedInputTokens: number; outputTokens: number };
}

export interface AttemptsOptions {
  thread: Thread;
  firstPrompt: string;
  maxAttempts: number;
  turnOptions: Omit<TurnOptions, 'outputSchema'>;
  /** Puts protected paths back; returns what it reverted. */
  revertProtected(): Promise<string[]>;
  runTests(): Promise<TestRun>;
  secrets: readonly string[];
}

/** Runs up to `maxAttempts` turns in one thread, each followed by the action's own test run. */
export async function runAttempts(options: AttemptsOptions): Promise<AttemptsResult> {
  const attempts: Attempt[] = [];
  const usage = { inputTokens: 0, cachedInputTokens: 0, outputTokens: 0 };
  let diagnosis: Diagnosis | undefined;
  let finalMessage: string | null = null;
  let agentError: string | undefined;
  let prompt = options.firstPrompt;
  for (let number = 1; number <= options.maxAttempts; number++) {
    log.startGroup(`Fix attempt ${number} of ${options.maxAttempts}`);
    try {
      // Everything the model reads passes through redact(): logs and test output may echo a secret.
      let turn: TurnResult;
      try {
        turn = await options.thread.run(redact(prompt, options.secrets), { ...options.turnOptions, outputSchema: DIAGNOSIS_SCHEMA });
      } catch (error) {
        if (!(error instanceof AgentFailure)) throw error;
        // Nothing after this can be trusted to have run: no test run, no delivery; the step fails with the cause.
        agentError = `The agent stopped during try ${number}: ${error.message}`;
        log.warning(`${agentError} The test command was not run.`);
        break;
      }
      usage.inputTokens += turn.usage.inputTokens;
      usage.cachedInputTokens += turn.usage.cachedInputTokens;
      usage.outputTokens += turn.usage.outputTokens;
      finalMessage = turn.finalResponse ?? finalMessage;
      diagnosis = parseDiagnosis(turn.finalResponse) ?? diagnosis;
      const reverted = await options.revertProtected();
      if (reverted.length > 0) log.warning(`Reverted the agent's changes to ${reverted.join(', ')} (protected paths).`);
      if (turn.status !== 'completed') {
        attempts.push({ number, turn, reverted, test: undefined });
        agentError = turn.timedOut
          ? `The agent's turn ran past its time limit (timeout-minutes) and was interrupted.`
          : `The agent's turn ended with status '${turn.status}'${turn.error ? `: ${turn.error}` : '.'}`;
        log.warning(`${agentError} The test command was not run.`);
        break;
      }
      const test = await options.runTests();
      log.info(describeTestRun(test));
      attempts.push({ number, turn, reverted, test });
      if (test.passed) break;
      prompt = retryPrompt({ attempt: number + 1, maxAttempts: options.maxAttempts, test, reverted });
    } finally {
      log.endGroup();
    }
  }
  const verified = attempts.at(-1)?.test?.passed ?? false;
  return { attempts, diagnosis, finalMessage, verified, agentError, usage };
}
