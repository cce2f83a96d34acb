// Pull requests and repository contents as review mode reads them: metadata, changed files, files at a commit.
import { z } from 'zod';
import type { Repo } from '../context.js';
import type { GitHub } from './octokit.js';

/** GitHub's pulls.listFiles stops at this many files, however many the pull request changes. */
export const LIST_FILES_LIMIT = 3000;
// The most pulls.listFiles gives per page.
const FILES_PER_PAGE = 100;

const pullSchema = z.object({
  number: z.number(),
  title: z.string(),
  body: z.string().nullable().optional(),
  draft: z.boolean().optional(),
  state: z.string(),
  html_url: z.string(),
  changed_files: z.number().optional(),
  head: z.object({ sha: z.string(), ref: z.string() }),
  base: z.object({ sha: z.string(), ref: z.string() }),
});

/** The parts of a pull request review mode uses. */
export interface PullRequest {
  number: number;
  title: string;
  body: string;
  draft: boolean;
  state: string;
  htmlUrl: string;
  headSha: string;
  headRef: string;
  baseSha: string;
  baseRef: string;
  /** GitHub's count of changed files, when it reports one. */
  changedFiles: number | undefined;
}

/** Reads a pull request. */
export async function getPullRequest(github: GitHub, repo: Repo, number: number): Promise<PullRequest> {
  const { data } = await github.rest.pulls.get({ ...repo, pull_number: number });
  const pr = pullSchema.parse(data);
  return {
    number: pr.number,
    title: pr.title,
    body: pr.body ?? '',
    draft: pr.draft ?? false,
    state: pr.state,
    htmlUrl: pr.html_url,
    headSha: pr.head.sha,
    headRef: pr.head.ref,
    baseSha: pr.base.sha,
    baseRef: pr.base.ref,
    changedFiles: pr.changed_files,
  };
}

export const pullFileSchema = z.object({
  filename: z.string(),
  status: z.string(),
  additions: z.number().optional(),
  deletions: z.number().optional(),
  changes: z.number().optional(),
  patch: z.string().optional(),
  previous_filename: z.string().optional(),
});

/** A changed file as pulls.listFiles reports it; `patch` is absent for binary and very large diffs. */
export type PullFile = z.infer<typeof pullFileSchema>;

/** Every changed file GitHub lists (all pages); `truncated` when GitHub's 3000-file limit cut the list short. */
export async function listPullFiles(
  github: GitHub,
  repo: Repo,
  number: number,
  changedFiles?: number,
): Promise<{ files: PullFile[]; truncated: boolean }> {
  const params = { ...repo, pull_number: number, per_page: FILES_PER_PAGE };
  let raw: unknown[];
  if (changedFiles === undefined || changedFiles <= FILES_PER_PAGE) {
    raw = await github.paginate(github.rest.pulls.listFiles, params);
  } else {
    // The count is known, so every page is asked for at once instead of one after another along the Link headers.
    const pages = Math.ceil(Math.min(changedFiles, LIST_FILES_LIMIT) / FILES_PER_PAGE);
    const answers = await Promise.all(Array.from({ length: pages }, (_, i) => github.rest.pulls.listFiles({ ...params, page: i + 1 })));
    raw = answers.flatMap((a) => a.data);
    // A push between reading the pull request and its files can add files: the rest is read along the Link header.
    if (/\brel="next"/.test(answers.at(-1)!.headers.link ?? '')) {
      for await (const page of github.paginate.iterator(github.rest.pulls.listFiles, { ...params, page: pages + 1 })) raw.push(...page.data);
    }
  }
  const files = z.array(pullFileSchema).parse(raw);
  const truncated = files.length >= LIST_FILES_LIMIT || (changedFiles !== undefined && changedFiles > files.length);
  return { files, truncated };
}

const contentFileSchema = z.object({
  type: z.literal('file'),
  size: z.number(),
  content: z.string().optional(),
  encoding: z.string().optional(),
});
const contentDirSchema = z.array(z.object({ type: z.string(), name: z.string(), path: z.string(), size: z.number() }));

/** An entry of a directory listing. */
export type DirectoryEntry = z.infer<typeof contentDirSchema>[number];

/** The entries of a directory at `ref`, or undefined when it does not exist there. */
export async function listDirectory(github: GitHub, repo: Repo, path: string, ref: string): Promise<DirectoryEntry[] | undefined> {
  const data = await getContent(github, repo, path, ref);
  if (data === undefined) return undefined;
  const parsed = contentDirSchema.safeParse(data);
  return parsed.success ? parsed.data : undefined;
}

/**
 * A text file at `ref`, cut to `maxBytes`; undefined when it does not exist there (404) or is not a file.
 * `truncated` says whether the cut removed anything.
 */
export async function readFileAt(
  github: GitHub,
  repo: Repo,
  path: string,
  ref: string,
  maxBytes: number,
): Promise<{ text: string; truncated: boolean } | undefined> {
  const data = await getContent(github, repo, path, ref);
  if (data === undefined) return undefined;
  const parsed = contentFileSchema.safeParse(data);
  if (!parsed.success || parsed.data.content === undefined) return undefined;
  const bytes = Buffer.from(parsed.data.content, parsed.data.encoding === 'base64' ? 'base64' : 'utf8');
  const truncated = bytes.length > maxBytes;
  return { text: bytes.subarray(0, maxBytes).toString('utf8'), truncated };
}

async function getContent(github: GitHub, repo: Repo, path: string, ref: string): Promise<unknown> {
  try {
    const { data } = await github.rest.repos.getContent({ ...repo, path, ref });
    return data;
  } catch (error) {
    if (statusOf(error) === 404) return undefined;
    throw error;
  }
}

/** The HTTP status of an Octokit error, if it has one. */
export function statusOf(error: unknown): number | undefined {
  if (typeof error === 'object' && error !== null && 'status' in error && typeof error.status === 'number') return error.status;
  return undefined;
}
