// The project's conventions (AGENTS.md, CONTRIBUTING.md, lint configs) read from the BASE commit, so a pull
// request cannot rewrite the rules it is reviewed by. The nested AGENTS.md of subfolders are base/rules/'s.
import type { Repo } from '../../../base/context.js';
import { listDirectory, readFileAt, type DirectoryEntry } from '../../../base/github/pulls.js';
import type { GitHub } from '../../../base/github/octokit.js';
import { AGENTS_FILE, OVERRIDE_FILE } from '../../../base/rules/nested-rules.js';

/** A conventions file as read from the base commit. */
export interface ConventionFile {
  path: string;
  text: string;
  truncated: boolean;
}

// Codex's own default limit for AGENTS.md; the other files matter less and get less room.
const AGENTS_MAX_BYTES = 32 * 1024;
const OTHER_MAX_BYTES = 16 * 1024;
const TOTAL_MAX_BYTES = 96 * 1024;

const ROOT_FILES = [
  'AGENTS.md',
  'CONTRIBUTING.md',
  '.editorconfig',
  // Lint and format configs people commonly keep at the root.
  'eslint.config.js',
  'eslint.config.mjs',
  'eslint.config.cjs',
  'eslint.config.ts',
  '.eslintrc',
  '.eslintrc.json',
  '.eslintrc.js',
  '.eslintrc.cjs',
  '.eslintrc.yml',
  '.eslintrc.yaml',
  'biome.json',
  'biome.jsonc',
  '.prettierrc',
  '.prettierrc.json',
  '.prettierrc.yml',
  '.prettierrc.yaml',
  'ruff.toml',
  '.ruff.toml',
  '.flake8',
  '.pylintrc',
  '.golangci.yml',
  '.golangci.yaml',
  '.rubocop.yml',
  'rustfmt.toml',
  '.rustfmt.toml',
  'clippy.toml',
  '.clang-format',
  '.clang-tidy',
  '.stylelintrc.json',
  '.markdownlint.json',
];
const GITHUB_DIR_FILES = ['CONTRIBUTING.md'];

/** Where the base commit's files are read from: GitHub's contents API for a pull request, git for a local change. */
export interface TreeReader {
  list(dir: string, ref: string): Promise<DirectoryEntry[] | undefined>;
  read(path: string, ref: string, maxBytes: number): Promise<{ text: string; truncated: boolean } | undefined>;
}

/** The base commit's files through GitHub's contents API. */
export function githubTree(github: GitHub, repo: Repo): TreeReader {
  return {
    list: (dir, ref) => listDirectory(github, repo, dir, ref),
    read: (path, ref, maxBytes) => readFileAt(github, repo, path, ref, maxBytes),
  };
}

/** The conventions of a pull request's base commit, read through GitHub. */
export function readConventions(github: GitHub, repo: Repo, ref: string): Promise<ConventionFile[]> {
  return readConventionsFrom(githubTree(github, repo), ref);
}

/**
 * Reads the conventions files that exist at `ref` (two directory listings, then one read per file that
 * exists, all at once), each cut to a bounded size. Missing files are simply absent.
 */
export async function readConventionsFrom(tree: TreeReader, ref: string): Promise<ConventionFile[]> {
  const root = (await tree.list('', ref)) ?? [];
  const has = (name: string) => root.some((e) => e.type === 'file' && e.path === name);
  const wanted = ROOT_FILES.filter(has);
  // As Codex does: the root's AGENTS.override.md takes AGENTS.md's place (a blank one leaves the root without rules).
  if (has(OVERRIDE_FILE)) wanted.splice(0, wanted[0] === AGENTS_FILE ? 1 : 0, OVERRIDE_FILE);
  if (root.some((e) => e.type === 'dir' && e.path === '.github')) {
    const dotGithub = (await tree.list('.github', ref)) ?? [];
    for (const name of GITHUB_DIR_FILES) {
      if (dotGithub.some((e) => e.type === 'file' && e.name === name)) wanted.push(`.github/${name}`);
    }
  }
  // Read at once; the total budget is then applied in the list's order (AGENTS.md first), as a sequential read would.
  const files = await Promise.all(
    wanted.map((path) => tree.read(path, ref, path === AGENTS_FILE || path === OVERRIDE_FILE ? AGENTS_MAX_BYTES : OTHER_MAX_BYTES)),
  );
  const out: ConventionFile[] = [];
  let total = 0;
  for (const [i, path] of wanted.entries()) {
    const file = files[i];
    if (!file || (path === OVERRIDE_FILE && file.text.trim() === '')) continue;
    const room = TOTAL_MAX_BYTES - total;
    if (room <= 0) break;
    const bytes = Buffer.from(file.text);
    const cut = bytes.length > room;
    const text = cut ? bytes.subarray(0, room).toString('utf8') : file.text;
    out.push({ path, text, truncated: file.truncated || cut });
    total += Buffer.byteLength(text);
  }
  return out;
}
