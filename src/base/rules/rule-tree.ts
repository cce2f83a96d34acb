// Where a commit's rules files are found and read: GitHub's Git database API for a pull request's base, git for a
// local change's or the commit a fix is made on. Never the working tree, which the change (or the agent) may rewrite.
import type { Repo } from '../context.js';
import type { Git } from '../git.js';
import type { GitHub } from '../github/octokit.js';
import { getBlob, getTree, type TreeEntry } from '../github/trees.js';
import { cutUtf8, folderOf, type RuleFile, type TreeFile } from './nested-rules.js';

/** A commit's regular files (no symlinks, no submodules); `complete` is false when the listing was cut short. */
export interface Listing {
  files: TreeFile[];
  complete: boolean;
}

/** The port the nested rules are read through. */
export interface RuleTree {
  /** Every regular file of commit `ref` in one listing; undefined when `ref` is not known there. */
  listAll(ref: string): Promise<Listing | undefined>;
  /** The regular files directly in each of `folders` at `ref` (a folder that does not exist has none). */
  listIn(ref: string, folders: readonly string[]): Promise<TreeFile[]>;
  /** A rules file's first `maxBytes` bytes as text (never a character split in two), and its whole size. */
  read(file: RuleFile, maxBytes: number): Promise<{ text: string; bytes: number }>;
}

// Regular files and executables; 120000 is a symlink (its blob is the target's name), 160000 a submodule.
const REGULAR_MODES = new Set(['100644', '100755']);

/** A commit's tree through GitHub: one recursive listing, one folder at a time only when GitHub cut it short. */
export function githubRuleTree(github: GitHub, repo: Repo): RuleTree {
  // A folder's listing is asked for once, and its parent's once for all its children.
  const folders = new Map<string, Promise<TreeEntry[] | undefined>>();
  const entriesOf = (ref: string, folder: string): Promise<TreeEntry[] | undefined> => {
    const key = `${ref}\0${folder}`;
    let entries = folders.get(key);
    if (!entries) {
      if (folder === '') {
        entries = getTree(github, repo, ref, false).then((t) => t?.entries);
      } else {
        const name = folder.slice(folder.lastIndexOf('/') + 1);
        entries = entriesOf(ref, folderOf(folder)).then(async (parent) => {
          const sub = parent?.find((e) => e.type === 'tree' && e.path === name);
          return sub ? (await getTree(github, repo, sub.sha, false))?.entries : undefined;
        });
      }
      folders.set(key, entries);
    }
    return entries;
  };
  return {
    async listAll(ref) {
      const tree = await getTree(github, repo, ref, true);
      if (!tree) return undefined;
      return { files: tree.entries.filter(isRegular).map((e) => ({ path: e.path, sha: e.sha, size: e.size ?? 0 })), complete: !tree.truncated };
    },
    async listIn(ref, wanted) {
      const listed = await Promise.all(
        wanted.map(async (folder) =>
          ((await entriesOf(ref, folder)) ?? []).filter(isRegular).map((e) => ({ path: folder ? `${folder}/${e.path}` : e.path, sha: e.sha, size: e.size ?? 0 })),
        ),
      );
      return listed.flat();
    },
    async read(file, maxBytes) {
      const bytes = await getBlob(github, repo, file.sha);
      return { text: cutUtf8(bytes, maxBytes), bytes: bytes.length };
    },
  };
}

function isRegular(e: TreeEntry): boolean {
  return e.type === 'blob' && REGULAR_MODES.has(e.mode);
}

/** A commit's tree through git (`ls-tree`, `cat-file`): never cut short. */
export function gitRuleTree(git: Git): RuleTree {
  const list = async (treeish: string, prefix: string, recursive: boolean): Promise<TreeFile[] | undefined> => {
    const args = ['ls-tree', '-z', '--long', '--full-tree', ...(recursive ? ['-r'] : []), treeish];
    const listed = await git.run(args, { okExitCodes: [128] });
    if (listed.exitCode !== 0) return undefined;
    return listed.stdout.split('\0').flatMap((entry) => {
      // "<mode> <type> <sha> <size>\t<path>", the size padded with spaces.
      const tab = entry.indexOf('\t');
      const [mode, type, sha, size] = entry.slice(0, tab).split(/\s+/);
      if (tab < 0 || type !== 'blob' || !REGULAR_MODES.has(mode ?? '')) return [];
      return [{ path: `${prefix}${entry.slice(tab + 1)}`, sha: sha!, size: Number(size) || 0 }];
    });
  };
  return {
    async listAll(ref) {
      const files = await list(ref, '', true);
      return files && { files, complete: true };
    },
    async listIn(ref, wanted) {
      const listed = await Promise.all(wanted.map(async (folder) => (await list(`${ref}:${folder}`, folder ? `${folder}/` : '', false)) ?? []));
      return listed.flat();
    },
    async read(file, maxBytes) {
      const shown = await git.run(['cat-file', 'blob', file.sha]);
      return { text: cutUtf8(Buffer.from(shown.stdout), maxBytes), bytes: file.size };
    },
  };
}
