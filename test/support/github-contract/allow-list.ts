// Where GitHub's description is known to be wrong, or looser than GitHub itself, the fake's checks say so here,
// each entry with its reason. Nothing is skipped anywhere else.

/** A problem GitHub's description reports that GitHub itself does not have. */
export interface Allowance {
  /** The operation id (`pulls/get`) or the route (`GET /_storage/…`) it applies to. */
  operation: string;
  /** The problem text it excuses. */
  problem: RegExp;
  why: string;
}

export const ALLOWED: readonly Allowance[] = [
  {
    operation: 'pulls/list-review-comments',
    problem: /^the answer at \/\d+\/line must be integer$/,
    why:
      'GitHub sends `line: null` for an outdated comment (its line is no longer in the diff); the description has ' +
      '`line` as a plain integer.',
  },
];

/** Paths the fake serves that are not GitHub's API, with where the real ones live. */
export const OUTSIDE_THE_API: ReadonlyArray<{ path: RegExp; why: string }> = [
  {
    path: /^\/_storage\//,
    why:
      "GET …/actions/jobs/{job_id}/logs answers 302 to a signed URL on GitHub's blob storage, another host with no " +
      'description; the fake serves that URL itself.',
  },
];

/** Templates whose last parameter GitHub also takes empty, which the description cannot say. */
export const EMPTY_LAST_PARAMETER: ReadonlyArray<{ template: string; why: string }> = [
  {
    template: '/repos/{owner}/{repo}/contents/{path}',
    why: 'GitHub lists the root folder at …/contents/ (an empty path), as its documentation of the path parameter says.',
  },
];

export function allowed(operation: string, problem: string): boolean {
  return ALLOWED.some((a) => a.operation === operation && a.problem.test(problem));
}
