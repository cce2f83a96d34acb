// What a shell asks fix mode to do: which failing run, and where the action runs relative to it.

/** Which failing run to fix, and where the action runs relative to it. */
export interface FixTarget {
  runId: number | undefined;
  source: 'workflow_run' | 'in-job' | 'input';
}
