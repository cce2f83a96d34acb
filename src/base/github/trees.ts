// A commit's tree and blobs through GitHub's Git database API: one request lists every file of a commit, where the
// contents API would take one request per folder.
import { z } from 'zod';
import type { Repo } from '../context.js';
import type { GitHub } from './octokit.js';
import { statusOf } from './pulls.js';

const treeSchema = z.object({
  sha: z.string(),
  // GitHub cuts a recursive listing past 100,000 entries or 7 MB, and says so here.
  truncated: z.boolean(),
  tree: z.array(
    z.object({
      path: z.string(),
      mode: z.string(),
      type: z.string(),
      sha: z.string(),
      size: z.number().optional(),
    }),
  ),
});

/** One entry of a tree listing: `blob` (a file or symlink, told apart by `mode`), `tree` (a folder) or `commit` (a submodule). */
export type TreeEntry = z.infer<typeof treeSchema>['tree'][number];

/** A tree listing; `truncated` when GitHub left entries out of a recursive one. */
export interface Tree {
  entries: TreeEntry[];
  truncated: boolean;
}

/**
 * GET /repos/{owner}/{repo}/git/trees/{tree_sha}: the tree of a commit (a commit sha names its tree) or of a folder
 * (its tree sha); with `recursive`, every entry below it too. Undefined when GitHub does not know it (404) or the
 * repository is empty (409).
 */
export async function getTree(github: GitHub, repo: Repo, treeSha: string, recursive: boolean): Promise<Tree | undefined> {
  try {
    const { data } = await github.rest.git.getTree({ ...repo, tree_sha: treeSha, ...(recursive ? { recursive: '1' } : {}) });
    const parsed = treeSchema.parse(data);
    return { entries: parsed.tree, truncated: parsed.truncated };
  } catch (error) {
    const status = statusOf(error);
    if (status === 404 || status === 409) return undefined;
    throw error;
  }
}

const blobSchema = z.object({ content: z.string(), encoding: z.string(), size: z.number() });

/** GET /repos/{owner}/{repo}/git/blobs/{file_sha}: a file's bytes (up to GitHub's 100 MB), whatever its size. */
export async function getBlob(github: GitHub, repo: Repo, sha: string): Promise<Buffer> {
  const { data } = await github.rest.git.getBlob({ ...repo, file_sha: sha });
  const blob = blobSchema.parse(data);
  return Buffer.from(blob.content, blob.encoding === 'base64' ? 'base64' : 'utf8');
}
