// Workflow runs, their failed jobs and the jobs' logs, read through Octokit and parsed at the edge.
import { z } from 'zod';
import type { Repo } from '../context.js';
import { githubErrorInfo } from './errors.js';
import type { GitHub } from './octokit.js';

const actor = z.object({ login: z.string(), type: z.string().nullish() }).loose();

/** The fields of a workflow run (API answer or `workflow_run` event payload) fix mode reads. */
export const workflowRunSchema = z
  .object({
    id: z.number(),
    name: z.string().nullish(),
    head_branch: z.string().nullish(),
    head_sha: z.string(),
    conclusion: z.string().nullish(),
    html_url: z.string().nullish(),
    // Who started the run; `triggering_actor` (who re-ran it) is deliberately not read: see FailingRun.actor.
    actor: actor.nullish(),
    head_repository: z.object({ full_name: z.string() }).loose().nullish(),
    head_commit: z
      .object({ author: z.object({ name: z.string().nullish(), email: z.string().nullish() }).loose().nullish() })
      .loose()
      .nullish(),
  })
  .loose();
export type WorkflowRun = z.infer<typeof workflowRunSchema>;

const jobSchema = z
  .object({
    id: z.number(),
    name: z.string(),
    conclusion: z.string().nullish(),
    steps: z
      .array(z.object({ name: z.string(), number: z.number(), conclusion: z.string().nullish() }).loose())
      .nullish(),
  })
  .loose();

/** A job of a run, with the step that failed when GitHub says which. */
export interface RunJob {
  id: number;
  name: string;
  failedStep: string | undefined;
}

// Conclusions of a job that count as "this is what broke".
const FAILED_CONCLUSIONS = new Set(['failure', 'timed_out']);

/**
 * The token may not read Actions data (no `actions: read`), or the run or its logs are gone (404/410):
 * the caller falls back to reproducing the failure. The message keeps GitHub's own words (see errors.ts).
 */
export class RunDataUnavailableError extends Error {
  constructor(
    what: string,
    readonly status: number,
    said: string,
  ) {
    // GitHub answers 410 Gone for logs past the repository's retention period; that is the one case worth naming.
    const gone = status === 410 ? ' GitHub keeps run logs only for the retention period set for the repository.' : '';
    super(`Could not read ${what}: ${said}${gone}`);
    this.name = 'RunDataUnavailableError';
  }
}

// Statuses that mean "you may not / it is not there", as opposed to a GitHub outage.
const UNAVAILABLE = new Set([401, 403, 404, 410]);

async function unavailableAs<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    const info = githubErrorInfo(error);
    if (info.status !== undefined && UNAVAILABLE.has(info.status)) throw new RunDataUnavailableError(what, info.status, info.summary);
    throw error;
  }
}

/** GET /repos/{owner}/{repo}/actions/runs/{run_id}. */
export async function getWorkflowRun(github: GitHub, repo: Repo, runId: number): Promise<WorkflowRun> {
  const { data } = await unavailableAs(`workflow run ${runId}`, () =>
    github.rest.actions.getWorkflowRun({ ...repo, run_id: runId }),
  );
  return workflowRunSchema.parse(data);
}

/** The jobs of a run's latest attempt that failed or timed out. */
export async function listFailedJobs(github: GitHub, repo: Repo, runId: number): Promise<RunJob[]> {
  const jobs = await unavailableAs(`the jobs of workflow run ${runId}`, () =>
    github.paginate(github.rest.actions.listJobsForWorkflowRun, { ...repo, run_id: runId, filter: 'latest', per_page: 100 }),
  );
  return z
    .array(jobSchema)
    .parse(jobs)
    .filter((job) => FAILED_CONCLUSIONS.has(job.conclusion ?? ''))
    .map((job) => ({
      id: job.id,
      name: job.name,
      failedStep: job.steps?.find((s) => FAILED_CONCLUSIONS.has(s.conclusion ?? ''))?.name,
    }));
}

/**
 * The plain-text log of a job as a stream of bytes (GitHub answers with a redirect to blob storage, which fetch
 * follows): a failed job's log can be hundreds of megabytes, so it is never read into memory whole.
 */
export async function streamJobLog(github: GitHub, repo: Repo, jobId: number): Promise<AsyncIterable<Uint8Array>> {
  const { data } = await unavailableAs(`the log of job ${jobId}`, () =>
    github.rest.actions.downloadJobLogsForWorkflowRun({ ...repo, job_id: jobId, request: { parseSuccessResponseBody: false } }),
  );
  // With parseSuccessResponseBody off, Octokit hands back fetch's body as it is: a web stream (null when empty).
  if (data === null || data === undefined) return (async function* () {})();
  if (typeof (data as AsyncIterable<Uint8Array>)[Symbol.asyncIterator] === 'function') return data as AsyncIterable<Uint8Array>;
  if (typeof data === 'string') return (async function* () { yield Buffer.from(data); })();
  throw new Error(`The log of job ${jobId} came back as ${typeof data}, not as a stream.`);
}
