// Review threads: reading them (GraphQL, the only API that says whether a thread is resolved), replying (REST) and
// resolving (GraphQL).
import { z } from 'zod';
import type { Repo } from '../context.js';
import type { GitHub } from './octokit.js';
import type { Author } from './reviews.js';

/** One review thread: its node id, whether it is resolved, and who wrote its comments (REST ids, in order). */
export interface ReviewThread {
  id: string;
  isResolved: boolean;
  comments: Array<{ databaseId: number; author: Author }>;
}

export const REVIEW_THREADS_QUERY = `query($owner: String!, $name: String!, $number: Int!, $cursor: String) {
  repository(owner: $owner, name: $name) {
    pullRequest(number: $number) {
      reviewThreads(first: 100, after: $cursor) {
        pageInfo { hasNextPage endCursor }
        nodes {
          id
          isResolved
          comments(first: 100) { nodes { databaseId author { login __typename } } }
        }
      }
    }
  }
}`;

export const RESOLVE_THREAD_MUTATION = `mutation($threadId: ID!) {
  resolveReviewThread(input: { threadId: $threadId }) { thread { id isResolved } }
}`;

const threadsSchema = z.object({
  repository: z
    .object({
      pullRequest: z
        .object({
          reviewThreads: z.object({
            pageInfo: z.object({ hasNextPage: z.boolean(), endCursor: z.string().nullable() }),
            nodes: z.array(
              z.object({
                id: z.string(),
                isResolved: z.boolean(),
                comments: z.object({
                  nodes: z.array(
                    z.object({
                      databaseId: z.number().nullable(),
                      // A deleted account is null; GraphQL names a GitHub App's account without "[bot]".
                      author: z.object({ login: z.string(), __typename: z.string() }).nullable(),
                    }),
                  ),
                }),
              }),
            ),
          }),
        })
        .nullable(),
    })
    .nullable(),
});

// A pull request with more threads than this is rare; past it, the rest are left alone (never resolved).
const MAX_THREAD_PAGES = 10;

/** Every review thread of a pull request (up to 1000), through GITHUB_GRAPHQL_URL. */
export async function listReviewThreads(github: GitHub, repo: Repo, pullNumber: number): Promise<ReviewThread[]> {
  const out: ReviewThread[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < MAX_THREAD_PAGES; page++) {
    const data = threadsSchema.parse(
      await github.graphql(REVIEW_THREADS_QUERY, { owner: repo.owner, name: repo.repo, number: pullNumber, cursor }),
    );
    const threads = data.repository?.pullRequest?.reviewThreads;
    if (!threads) break;
    for (const t of threads.nodes) {
      out.push({
        id: t.id,
        isResolved: t.isResolved,
        comments: t.comments.nodes.flatMap((c) =>
          c.databaseId === null ? [] : [{ databaseId: c.databaseId, author: c.author ? { login: c.author.login, type: c.author.__typename } : null }],
        ),
      });
    }
    if (!threads.pageInfo.hasNextPage || !threads.pageInfo.endCursor) break;
    cursor = threads.pageInfo.endCursor;
  }
  return out;
}

/** Marks a review thread resolved (resolveReviewThread). */
export async function resolveReviewThread(github: GitHub, threadId: string): Promise<void> {
  const data = z
    .object({ resolveReviewThread: z.object({ thread: z.object({ isResolved: z.boolean() }) }).nullable() })
    .parse(await github.graphql(RESOLVE_THREAD_MUTATION, { threadId }));
  if (!data.resolveReviewThread?.thread.isResolved) throw new Error(`GitHub did not resolve review thread ${threadId}.`);
}

/** Replies in the thread of a top-level review comment. */
export async function replyToReviewComment(github: GitHub, repo: Repo, pullNumber: number, commentId: number, body: string): Promise<number> {
  const { data } = await github.rest.pulls.createReplyForReviewComment({ ...repo, pull_number: pullNumber, comment_id: commentId, body });
  return z.object({ id: z.number() }).parse(data).id;
}
