// What a job hands back to its shell to report: the Action writes outputs and a summary, the CLI prints and exits.

/** What a job hands back to main.ts to report. */
export interface JobOutcome {
  /** e.g. success, failure, skipped, no-changes, unverified, findings. */
  conclusion: string;
  /** Action outputs (names as in action.yml) → values. */
  outputs: Record<string, string>;
  /** Markdown for the job summary. */
  summary: string;
  /** When set, the step fails with this message after outputs and summary are written. */
  failure?: string;
  /** Token usage summed over every turn of the job. */
  usage?: { inputTokens: number; cachedInputTokens: number; outputTokens: number };
}
