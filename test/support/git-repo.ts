// Real git repositories for tests: a bare `origin` plus a working clone with the given files committed and pushed.
import { execa } from 'execa';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** A working repository with a bare origin, both in one temp folder. */
export interface TestRepo {
  /** The working clone. */
  dir: string;
  /** Path of the bare repository the clone pushes to (its `origin` remote). */
  origin: string;
  /** The commit holding the initial files. */
  headSha: string;
  /** Runs git in `dir` and returns stdout without its final newline; rejects on a non-zero exit. */
  git(...args: string[]): Promise<string>;
  /** Removes both repositories. */
  cleanup(): Promise<void>;
}

/** Creates a bare origin and a working repository with `files` committed on `branch` (default main) and pushed. */
export async function createRepo(files: Record<string, string>, opts: { branch?: string } = {}): Promise<TestRepo> {
  const branch = opts.branch ?? 'main';
  const root = await mkdtemp(join(tmpdir(), 'git-repo-'));
  const origin = join(root, 'origin.git');
  const dir = join(root, 'work');
  // stdout without the final newline only: trimming more would eat the leading space of `status --porcelain`.
  const git = async (...args: string[]) => (await execa('git', args, { cwd: dir })).stdout;
  try {
    await execa('git', ['init', '--quiet', '--bare', `--initial-branch=${branch}`, origin]);
    await execa('git', ['init', '--quiet', `--initial-branch=${branch}`, dir]);
    // Identity and signing set per repository: the test machine's global git config must not matter.
    await git('config', 'user.name', 'Test User');
    await git('config', 'user.email', 'test@example.com');
    await git('config', 'commit.gpgsign', 'false');
    await git('config', 'tag.gpgsign', 'false');
    for (const [path, content] of Object.entries(files)) {
      const full = join(dir, path);
      await mkdir(dirname(full), { recursive: true });
      await writeFile(full, content);
    }
    await git('add', '--all');
    await git('commit', '--quiet', '--allow-empty', '-m', 'Initial commit');
    await git('remote', 'add', 'origin', origin);
    await git('push', '--quiet', '--set-upstream', 'origin', branch);
    const headSha = await git('rev-parse', 'HEAD');
    return { dir, origin, headSha, git, cleanup: () => rm(root, { recursive: true, force: true }) };
  } catch (err) {
    await rm(root, { recursive: true, force: true });
    throw err;
  }
}
