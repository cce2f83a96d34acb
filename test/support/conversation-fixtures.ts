// Helpers for conversation tests: GitHub's pull_request_review_comment and issue_comment event payloads, and the
// pull request and scripted reviewer they share.
import type { WorkflowEvent } from '../../src/base/context.js';
import type { FakeGitHub, FakePullRequest, FakeReviewComment } from './fake-github.js';
import type { ModelReply, ModelRequest, ModelServer } from './model-server.js';
import { finding, findingsReply, serveContents, SETUP_ACK, turnKind } from './review-fixtures.js';

/** The pull_request_review_comment event GitHub sends for `comment` on `pr` (action created unless given). */
export function reviewCommentEvent(comment: FakeReviewComment, pr: FakePullRequest, action = 'created'): WorkflowEvent {
  return {
    name: 'pull_request_review_comment',
    payload: {
      action,
      comment: { ...comment, author_association: comment.author_association ?? 'NONE' },
      pull_request: pr,
      repository: { full_name: pr.base.repo.full_name, default_branch: 'main' },
      sender: comment.user,
    },
  };
}

/** The issue_comment event GitHub sends for a new comment on pull request `pr`. */
export function issueCommentEvent(
  pr: FakePullRequest,
  comment: { id: number; body: string; login: string; association: string; type?: string },
  action = 'created',
): WorkflowEvent {
  const user = { login: comment.login, type: comment.type ?? 'User' };
  return {
    name: 'issue_comment',
    payload: {
      action,
      issue: { number: pr.number, title: pr.title, pull_request: { url: pr.url, html_url: pr.html_url }, user: pr.user },
      comment: {
        id: comment.id,
        body: comment.body,
        user,
        author_association: comment.association,
        html_url: `${pr.html_url}#issuecomment-${comment.id}`,
      },
      repository: { full_name: pr.base.repo.full_name, default_branch: 'main' },
      sender: user,
    },
  };
}

/** The pull request the conversation tests talk about: #7 of octo/demo, changing line 11 of src/app.ts. */
export const OWNER = 'octo';
export const REPO = 'demo';
export const BASE_SHA = 'b2'.repeat(20);
export const APP_LINES: readonly string[] = Array.from({ length: 20 }, (_, i) => (i === 10 ? '  const limit = Number(process.env.LIMIT);' : `line ${i + 1}`));
export const APP_TEXT = `${APP_LINES.join('\n')}\n`;
export const APP_PATCH = ['@@ -10,3 +10,3 @@ export function run(input: string) {', ' line 10', '-  const limit = 10;', '+  const limit = Number(process.env.LIMIT);', ' line 12'].join('\n');
/** The title of the one finding the scripted reviewer reports. */
export const FINDING_TITLE = 'LIMIT may be NaN-77';

/** Serves src/app.ts (and `extraFiles`) at the base and `headSha`, and opens pull request #7 on the fake. */
export function openPullRequest(fake: FakeGitHub, opts: { headSha: string; headRepo?: string; extraFiles?: Record<string, string> }): FakePullRequest {
  serveContents(fake, { owner: OWNER, repo: REPO, sha: [BASE_SHA, opts.headSha], files: { ...opts.extraFiles, 'src/app.ts': APP_TEXT } });
  return fake.addPullRequest({
    owner: OWNER,
    repo: REPO,
    number: 7,
    head: { ref: 'feature', sha: opts.headSha, ...(opts.headRepo ? { repoFullName: opts.headRepo } : {}) },
    base: { ref: 'main', sha: BASE_SHA },
    files: [{ filename: 'src/app.ts', status: 'modified', patch: APP_PATCH }],
  });
}

/** The model as the review's reviewer (setup acknowledged, one finding on line 11) and `other` for the rest. */
export function scriptReviewer(model: ModelServer, other: (req: ModelRequest) => ModelReply | undefined): void {
  model.respond((req) => {
    const reply = other(req);
    if (reply) return reply;
    if (turnKind(req) === 'setup') return { message: SETUP_ACK };
    if (turnKind(req) === 'chunk') return findingsReply([finding({ path: 'src/app.ts', line: 11, severity: 'high', title: FINDING_TITLE })]);
    return { message: 'Unexpected request.' };
  });
}
