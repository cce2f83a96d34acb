// Comparing two commits: what changed between the last reviewed commit and the new head, and how they relate.
import { z } from 'zod';
import type { Repo } from '../context.js';
import type { GitHub } from './octokit.js';
import { pullFileSchema, type PullFile } from './pulls.js';

/** GitHub lists at most this many files of a comparison (and only on its first page). */
export const COMPARE_FILES_LIMIT = 300;

const compareSchema = z.object({
  // ahead: base is an ancestor of head; behind / diverged: it is not (a force-push or rebase); identical: same commit.
  status: z.enum(['ahead', 'behind', 'diverged', 'identical']),
  total_commits: z.number().optional(),
  // The same file entries as a pull request's file list.
  files: z.array(pullFileSchema).optional(),
});

/** How `head` relates to `base`, and the files changed from their merge base to `head`. */
export interface Comparison {
  status: 'ahead' | 'behind' | 'diverged' | 'identical';
  files: PullFile[];
  /** GitHub's file limit may have cut the list short. */
  truncated: boolean;
}

/** GET /repos/{owner}/{repo}/compare/{base}...{head}; GitHub's errors are thrown (404 when a commit is gone). */
export async function compareCommits(github: GitHub, repo: Repo, base: string, head: string): Promise<Comparison> {
  const { data } = await github.rest.repos.compareCommitsWithBasehead({ ...repo, basehead: `${base}...${head}` });
  const parsed = compareSchema.parse(data);
  const files = parsed.files ?? [];
  return { status: parsed.status, files, truncated: files.length >= COMPARE_FILES_LIMIT };
}
