// A local change as the review sees a pull request: the diff of a commit (or the working tree) against the merge
// base with a base ref, read with git, and the conventions read from the base commit's tree. No GitHub.
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Git, GitError } from '../../../base/git.js';
import type { DirectoryEntry, PullFile, PullRequest } from '../../../base/github/pulls.js';
import type { GatheredPull } from './gather.js';
import { selectFiles } from './gather.js';
import type { TreeReader } from './conventions.js';
import { gitRuleTree } from '../../../base/rules/rule-tree.js';

/** What a local review compares: `head` (a ref, or the working tree as it is now) against the merge base with `base`. */
export interface LocalTarget {
  base: string | undefined;
  head: string | undefined;
  workingTree: boolean;
}

/** The local change cannot be reviewed as asked (not a repository, an unknown ref, nothing changed). */
export class LocalChangeError extends Error {
  override name = 'LocalChangeError';
}

/** Nothing differs between the base and the head: nothing to review (not a failure). */
export class NoChangesError extends LocalChangeError {
  override name = 'NoChangesError';
}

// Tried in order when no --base is given: where the branch would be merged.
const DEFAULT_BASES = ['origin/HEAD', 'origin/main', 'origin/master', 'main', 'master'];
const SNAPSHOT_IDENTITY = { GIT_AUTHOR_NAME: 'codex-ci', GIT_AUTHOR_EMAIL: 'codex-ci@localhost', GIT_COMMITTER_NAME: 'codex-ci', GIT_COMMITTER_EMAIL: 'codex-ci@localhost' };

/** Reads the local change in `cwd` (any folder of the repository). */
export async function gatherLocal(cwd: string, target: LocalTarget, filter: { paths: readonly string[]; pathsIgnore: readonly string[] }, tempDir: string) {
  const git = new Git(cwd);
  const top = await git.run(['rev-parse', '--show-toplevel'], { okExitCodes: [128] }).catch(() => ({ stdout: '', exitCode: 128 }));
  if (top.exitCode !== 0 || top.stdout.trim() === '') throw new LocalChangeError(`${cwd} is not inside a git repository: run codex-ci in your checkout`);
  const root = new Git(top.stdout.trim());
  const baseRef = target.base ?? (await defaultBase(root));
  const baseTip = await commitOf(root, baseRef, '--base');
  const headRef = target.workingTree ? 'the working tree' : (target.head ?? 'HEAD');
  const headSha = target.workingTree ? await snapshotWorkingTree(root, tempDir) : await commitOf(root, headRef, '--head');
  const mergeBase = (await root.run(['merge-base', baseTip, headSha], { okExitCodes: [1] })).stdout.trim() || baseTip;
  const files = parseGitDiff((await root.run(['-c', 'core.quotePath=false', 'diff', '--no-color', '--no-ext-diff', '--find-renames', '--unified=3', mergeBase, headSha])).stdout);
  if (files.length === 0) throw new NoChangesError(`no changes between ${baseRef} and ${headRef}: nothing to review`);
  const pr: PullRequest = {
    number: 0,
    title: `${headRef} against ${baseRef}`,
    body: '',
    draft: false,
    state: 'open',
    htmlUrl: '',
    headSha,
    headRef,
    baseSha: mergeBase,
    baseRef,
    changedFiles: files.length,
  };
  const selected = selectFiles(files, filter.paths, filter.pathsIgnore);
  const pull: GatheredPull = { kind: 'review', pr, allPaths: files.map((f) => f.filename), truncated: false, ...selected };
  return { pull, root: root.cwd, tree: gitTree(root), rules: gitRuleTree(root) };
}

async function defaultBase(git: Git): Promise<string> {
  for (const ref of DEFAULT_BASES) if (await git.revParse(ref).catch(() => '')) return ref;
  throw new LocalChangeError(`no --base given, and none of ${DEFAULT_BASES.join(', ')} exists: name the branch to compare with, e.g. --base main`);
}

async function commitOf(git: Git, ref: string, flag: string): Promise<string> {
  const sha = await git.revParse(ref).catch(() => '');
  if (!sha) throw new LocalChangeError(`unknown ref '${ref}' (${flag}): no commit by that name in this repository`);
  return sha;
}

/**
 * The working tree as a commit object (tracked changes and untracked files that are not ignored), built in a
 * private index: the user's index, branches and HEAD stay as they are. Suggestions are proved against it.
 */
async function snapshotWorkingTree(git: Git, tempDir: string): Promise<string> {
  const dir = await mkdtemp(join(tempDir, 'index-'));
  const env = { GIT_INDEX_FILE: join(dir, 'index'), ...SNAPSHOT_IDENTITY };
  try {
    const head = await git.revParse('HEAD').catch(() => '');
    if (head) await git.run(['read-tree', head], { env });
    await git.run(['add', '--all', '--', ':/'], { env });
    const tree = (await git.run(['write-tree'], { env })).stdout.trim();
    return (await git.run(['commit-tree', tree, ...(head ? ['-p', head] : []), '-m', 'codex-ci: working tree'], { env })).stdout.trim();
  } catch (error) {
    if (error instanceof GitError) throw new LocalChangeError(`could not read the working tree: ${error.message}`);
    throw error;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** `git diff` output → one entry per file, in the shape GitHub's pulls.listFiles gives (patch = the hunks). */
export function parseGitDiff(text: string): PullFile[] {
  const files: PullFile[] = [];
  for (const block of text.split(/^diff --git /m).slice(1)) {
    const lines = block.split('\n');
    const hunkAt = lines.findIndex((l) => l.startsWith('@@'));
    const header = hunkAt === -1 ? lines : lines.slice(0, hunkAt);
    const field = (prefix: string) => header.find((l) => l.startsWith(prefix))?.slice(prefix.length);
    const to = field('+++ ');
    const from = field('--- ');
    const renamedTo = field('rename to ');
    const renamedFrom = field('rename from ');
    const filename = unquote(renamedTo ?? (to && to !== '/dev/null' ? to.replace(/^"?b\//, (m) => m.replace('b/', '')) : from!.replace(/^"?a\//, (m) => m.replace('a/', ''))));
    const status = field('new file mode') !== undefined ? 'added' : field('deleted file mode') !== undefined ? 'removed' : renamedTo !== undefined ? 'renamed' : 'modified';
    const body = hunkAt === -1 ? [] : lines.slice(hunkAt);
    while (body.length > 0 && body.at(-1) === '') body.pop();
    const additions = body.filter((l) => l.startsWith('+')).length;
    const deletions = body.filter((l) => l.startsWith('-')).length;
    files.push({
      filename,
      status,
      additions,
      deletions,
      changes: additions + deletions,
      ...(body.length > 0 ? { patch: body.join('\n') } : {}),
      ...(renamedFrom !== undefined ? { previous_filename: unquote(renamedFrom) } : {}),
    });
  }
  return files;
}

/** Git's C-style quoting of unusual paths ("a\tb", octal bytes) undone; plain paths pass through. */
function unquote(path: string): string {
  const trimmed = path.replace(/\t$/, '');
  if (!trimmed.startsWith('"')) return trimmed;
  const inner = trimmed.slice(1, -1).replace(/^[ab]\//, '');
  const bytes: number[] = [];
  for (let i = 0; i < inner.length; i++) {
    const c = inner[i]!;
    if (c !== '\\') {
      bytes.push(...Buffer.from(c));
      continue;
    }
    const next = inner[++i]!;
    if (/[0-7]/.test(next)) {
      bytes.push(parseInt(inner.slice(i, i + 3), 8));
      i += 2;
    } else bytes.push(({ n: 10, t: 9, '"': 34, '\\': 92 } as Record<string, number>)[next] ?? next.charCodeAt(0));
  }
  return Buffer.from(bytes).toString('utf8');
}

/** The base commit's files through git: what the conventions are read from, so a local change cannot rewrite them. */
export function gitTree(git: Git): TreeReader {
  return {
    async list(dir, ref) {
      const listed = await git.run(['ls-tree', '-z', '--long', `${ref}:${dir}`], { okExitCodes: [128] });
      if (listed.exitCode !== 0) return undefined;
      return listed.stdout
        .split('\0')
        .filter(Boolean)
        .map((entry): DirectoryEntry => {
          const [meta, name] = entry.split('\t') as [string, string];
          const [, type, , size] = meta.split(/\s+/);
          return { type: type === 'tree' ? 'dir' : 'file', name, path: dir ? `${dir}/${name}` : name, size: Number(size) || 0 };
        });
    },
    async read(path, ref, maxBytes) {
      const shown = await git.run(['cat-file', 'blob', `${ref}:${path}`], { okExitCodes: [128] });
      if (shown.exitCode !== 0) return undefined;
      const bytes = Buffer.from(shown.stdout);
      return bytes.length > maxBytes ? { text: bytes.subarray(0, maxBytes).toString('utf8'), truncated: true } : { text: shown.stdout, truncated: false };
    },
  };
}
