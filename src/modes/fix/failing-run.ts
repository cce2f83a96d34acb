// Which run failed, on which branch and commit, started by whom: from the event, the API, or the job's environment.
import { z } from 'zod';
import type { RunContext } from '../../base/context.js';
import type { Git, GitIdentity } from '../../base/git.js';
import { getWorkflowRun, RunDataUnavailableError, workflowRunSchema, type WorkflowRun } from '../../base/github/runs.js';
import { type FixTarget } from './target.js';
import { log } from '../../base/log.js';

/** The failing run, as fix mode needs it. */
export interface FailingRun {
  id: number | undefined;
  name: string | undefined;
  /** The branch CI failed on. */
  branch: string;
  /** The commit CI failed on. */
  sha: string;
  conclusion: string | null;
  /** Link to the run for the pull request body and summary. */
  url: string | undefined;
  /**
   * Who started the run (`actor`; GITHUB_ACTOR in the job). The trust guard checks this account, whose change the run
   * tested. Re-running it does not change that: a collaborator re-running someone else's run does not vouch for it
   * (the run's `triggering_actor` is not consulted).
   */
  actor: { login: string; type: string | undefined } | undefined;
  /** owner/name of the repository the run's commit came from (a fork's for fork pull requests). */
  headRepository: string | undefined;
  /** Author of the failing commit, when known. */
  headAuthor: GitIdentity | undefined;
  /** Where these facts came from. */
  origin: 'event' | 'api' | 'environment';
}

/** The run's id, or its commit's short sha when it has none: names its fix branch, log folder and patch. */
export function runKey(run: Pick<FailingRun, 'id' | 'sha'>): string {
  return run.id !== undefined ? String(run.id) : run.sha.slice(0, 12);
}

/** Fix mode cannot work out what to fix; the message says what is missing. */
export class FixTargetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FixTargetError';
  }
}

const pullRequestPayload = z
  .object({
    pull_request: z
      .object({
        head: z.object({ ref: z.string(), sha: z.string(), repo: z.object({ full_name: z.string() }).loose().nullish() }).loose(),
      })
      .loose(),
  })
  .loose();

/** Resolves the failing run of `target`; the payload of a matching workflow_run event is used as is. */
export async function resolveFailingRun(
  ctx: RunContext,
  target: FixTarget,
  git: Git,
): Promise<FailingRun> {
  const fromEvent = ctx.event.name === 'workflow_run' ? workflowRunSchema.safeParse(ctx.event.payload.workflow_run) : undefined;
  let run: FailingRun | undefined;
  if (fromEvent?.success && (target.runId === undefined || target.runId === fromEvent.data.id)) {
    run = fromWorkflowRun(ctx, fromEvent.data, 'event');
  } else if (target.runId !== undefined) {
    try {
      run = fromWorkflowRun(ctx, await getWorkflowRun(ctx.github, ctx.repo, target.runId), 'api');
    } catch (error) {
      if (!(error instanceof RunDataUnavailableError)) throw error;
      if (target.source !== 'in-job') {
        throw new FixTargetError(`${error.message} Fix mode needs the branch and commit of run ${target.runId}.`);
      }
      log.info(`${error.message} Using the job's own environment instead.`);
    }
  }
  run ??= fromEnvironment(ctx, target.runId);
  if (!run.headAuthor) run.headAuthor = await git.commitAuthor(run.sha).catch(() => undefined);
  return run;
}

function fromWorkflowRun(ctx: RunContext, data: WorkflowRun, origin: 'event' | 'api'): FailingRun {
  if (!data.head_branch) {
    throw new FixTargetError(`Workflow run ${data.id} has no head branch (a tag or a detached commit?): there is no branch to fix.`);
  }
  const author = data.head_commit?.author;
  return {
    id: data.id,
    name: data.name ?? undefined,
    branch: data.head_branch,
    sha: data.head_sha,
    conclusion: data.conclusion ?? null,
    url: data.html_url ?? runUrl(ctx, data.id),
    actor: data.actor ? { login: data.actor.login, type: data.actor.type ?? undefined } : undefined,
    headRepository: data.head_repository?.full_name,
    headAuthor: author && (author.name || author.email) ? { name: author.name ?? '', email: author.email ?? '' } : undefined,
    origin,
  };
}

const PULL_REQUEST_EVENTS = new Set(['pull_request', 'pull_request_target']);

// In a later step of the failing job: the job's own variables describe the run. On pull_request events GITHUB_SHA
// is the merge commit GitHub made for the test, not a commit of the branch: the failing commit is the head's.
function fromEnvironment(ctx: RunContext, runId: number | undefined): FailingRun {
  const env = ctx.env;
  const onPullRequest = PULL_REQUEST_EVENTS.has(ctx.event.name);
  const pr = pullRequestPayload.safeParse(ctx.event.payload);
  if (onPullRequest && !pr.success) {
    throw new FixTargetError(
      `The ${ctx.event.name} event has no pull_request.head (ref and sha): fix mode cannot tell which commit of the pull request failed.`,
    );
  }
  const branch = pr.success ? pr.data.pull_request.head.ref : env.GITHUB_REF_NAME;
  const sha = pr.success ? pr.data.pull_request.head.sha : env.GITHUB_SHA;
  if (!branch || !sha) {
    throw new FixTargetError(
      "Could not tell which branch and commit failed: there is no workflow_run event, no 'run-id' input, and " +
        'GITHUB_REF_NAME / GITHUB_SHA are not set. Run fix mode in a GitHub Actions job or set run-id.',
    );
  }
  return {
    id: runId,
    name: env.GITHUB_WORKFLOW,
    branch,
    sha,
    // The job is still running, so the run has no conclusion yet.
    conclusion: null,
    url: runId !== undefined ? runUrl(ctx, runId) : undefined,
    actor: env.GITHUB_ACTOR ? { login: env.GITHUB_ACTOR, type: undefined } : undefined,
    headRepository: (pr.success ? pr.data.pull_request.head.repo?.full_name : undefined) ?? `${ctx.repo.owner}/${ctx.repo.repo}`,
    headAuthor: undefined,
    origin: 'environment',
  };
}

function runUrl(ctx: RunContext, runId: number): string {
  return `${ctx.serverUrl}/${ctx.repo.owner}/${ctx.repo.repo}/actions/runs/${runId}`;
}
