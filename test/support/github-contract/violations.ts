// Requests and answers of a fake GitHub that GitHub's own description says are wrong, kept until the test that
// caused them ends: the guard (github-contract-guard.ts) fails that test with them.

/** One request or answer GitHub's description disagrees with. */
export interface Violation {
  /** The fake's API root, so two fakes in one test can be told apart. */
  api: string;
  /** GitHub's name for the operation (`pulls/create-review`, `query PullRequestReviewThreads`), or the route. */
  operation: string;
  problem: string;
  /** `METHOD /path?query` and the body, cut short. */
  request: string;
  /** Whether the request or the fake's answer is at fault. */
  side: 'request' | 'answer';
}

const pending: Violation[] = [];

export function recordViolation(violation: Violation): void {
  pending.push(violation);
}

/** Takes (and forgets) the violations recorded so far, or only those matching `which`. */
export function takeViolations(which: (v: Violation) => boolean = () => true): Violation[] {
  const taken = pending.filter(which);
  for (const v of taken) pending.splice(pending.indexOf(v), 1);
  return taken;
}

/** The message a test fails with: each violation with its operation, problem and request. */
export function formatViolations(violations: readonly Violation[]): string {
  const lines = violations.map(
    (v) => `- ${v.side === 'request' ? 'request' : "the fake's answer"} to ${v.operation}: ${v.problem}\n    ${v.request}`,
  );
  return (
    `${violations.length} request(s) or answer(s) of the fake GitHub break GitHub's published description ` +
    `(@octokit/openapi, @octokit/graphql-schema):\n${lines.join('\n')}\n` +
    'Fix the request (or the fake). If GitHub itself is looser than its description, add a commented entry to ' +
    'test/support/github-contract/allow-list.ts.'
  );
}
