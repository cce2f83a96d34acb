// Helpers for conversation tests: GitHub's pull_request_review_comment and issue_comment event payloads.
import type { WorkflowEvent } from '../../src/context.js';
import type { FakePullRequest, FakeReviewComment } from './fake-github.js';

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
