// The project's conventions (AGENTS.md, CONTRIBUTING.md, lint configs) read from the BASE commit, so a pull
// request cannot rewrite the rules it is reviewed by.
import type { Repo } from '../context.js';
import { listDirectory, readFileAt } from '../github/pulls.js';
import type { GitHub } from '../github/octokit.js';

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

/**
 * Reads the conventions files that exist at `ref` (two directory listings, then one request per file that
 * exists), each cut to a bounded size. Missing files are simply absent.
 */
export async function readConventions(github: GitHub, repo: Repo, ref: string): Promise<ConventionFile[]> {
  const root = (await listDirectory(github, repo, '', ref)) ?? [];
  const wanted = ROOT_FILES.filter((name) => root.some((e) => e.type === 'file' && e.path === name));
  if (root.some((e) => e.type === 'dir' && e.path === '.github')) {
    const dotGithub = (await listDirectory(github, repo, '.github', ref)) ?? [];
    for (const name of GITHUB_DIR_FILES) {
      if (dotGithub.some((e) => e.type === 'file' && e.name === name)) wanted.push(`.github/${name}`);
    }
  }
  const out: ConventionFile[] = [];
  let total = 0;
  for (const path of wanted) {
    const room = Math.min(path === 'AGENTS.md' ? AGENTS_MAX_BYTES : OTHER_MAX_BYTES, TOTAL_MAX_BYTES - total);
    if (room <= 0) break;
    const file = await readFileAt(github, repo, path, ref, room);
    if (!file) continue;
    out.push({ path, ...file });
    total += Buffer.byteLength(file.text);
  }
  return out;
}
