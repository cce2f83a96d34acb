// What the runner says about this run — the event, the repository, the run id and the GitHub URLs — read through
// @actions/github's context, with the event file's failures said in the user's words.
import { access } from 'node:fs/promises';
import { context } from '@actions/github';
import type { GitHubPlace, WorkflowEvent } from '../base/context.js';

type ActionsContext = typeof context;

/** The run as the runner describes it. The payload is untrusted: plan.ts parses the fields it reads with zod. */
export interface RunnerContext {
  event: WorkflowEvent;
  place: GitHubPlace;
  /** GITHUB_RUN_ID; undefined outside a workflow run. */
  runId: number | undefined;
}

// The context reads process.env when it is built; @actions/github builds one when it is imported. A run given
// another environment (tests, a wrapper) gets a context built from that one.
const ContextOf = context.constructor as new () => ActionsContext;

/**
 * Reads the run's context from `env`. No GITHUB_EVENT_PATH is an empty payload (a local run); a file that is named but
 * cannot be read, or is not a JSON object, fails the run: an empty payload would read as "nothing to do", which is
 * what @actions/github makes of a missing file.
 */
export async function readRunnerContext(env: NodeJS.ProcessEnv): Promise<RunnerContext> {
  const name = env.GITHUB_EVENT_NAME ?? 'workflow_dispatch';
  const path = env.GITHUB_EVENT_PATH;
  if (path) {
    await access(path).catch((error: unknown) => {
      throw new Error(`Could not read the '${name}' event's payload at GITHUB_EVENT_PATH (${path}): ${(error as Error).message}.`, { cause: error });
    });
  }
  let ctx: ActionsContext;
  let repo: GitHubPlace['repo'];
  try {
    // context.repo is a getter that reads GITHUB_REPOSITORY when asked: asked here, inside the same environment.
    [ctx, repo] = withEnvironment(env, () => {
      const built = env === process.env ? context : new ContextOf();
      return [built, repoOf(built)] as const;
    });
  } catch (error) {
    throw new Error(`GITHUB_EVENT_PATH (${path}) is not valid JSON: ${(error as Error).message}.`, { cause: error });
  }
  const payload: unknown = ctx.payload;
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
    throw new Error(`The '${name}' event's payload at GITHUB_EVENT_PATH (${path}) is not a JSON object.`);
  }
  return {
    event: { name: ctx.eventName ?? name, payload: payload as Record<string, unknown> },
    place: {
      // context.repo throws without GITHUB_REPOSITORY and a payload repository; the jobs that need one say so.
      repo,
      apiUrl: ctx.apiUrl,
      // Without GITHUB_GRAPHQL_URL the context names github.com's endpoint even on GHES: Octokit derives the right one
      // from the API URL instead.
      graphqlUrl: env.GITHUB_GRAPHQL_URL ? ctx.graphqlUrl : undefined,
      serverUrl: ctx.serverUrl,
    },
    runId: Number.isInteger(ctx.runId) && ctx.runId > 0 ? ctx.runId : undefined,
  };
}

function repoOf(ctx: ActionsContext): GitHubPlace['repo'] {
  try {
    return ctx.repo;
  } catch {
    return { owner: '', repo: '' };
  }
}

// The context reads only GITHUB_* variables: those are set from `env` while it is built and read, then put back.
function withEnvironment<T>(env: NodeJS.ProcessEnv, build: () => T): T {
  if (env === process.env) return build();
  const names = [...new Set([...Object.keys(process.env), ...Object.keys(env)])].filter((n) => n.startsWith('GITHUB_'));
  const saved = Object.fromEntries(names.map((n) => [n, process.env[n]]));
  const set = (values: NodeJS.ProcessEnv) => {
    for (const n of names) {
      if (values[n] === undefined) delete process.env[n];
      else process.env[n] = values[n];
    }
  };
  set(env);
  try {
    return build();
  } finally {
    set(saved);
  }
}
