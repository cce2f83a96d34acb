// The git commands the engine needs, as argv arrays through execa: no shell, a minimal environment, no hooks, and
// the token only ever in the environment of the git processes that talk to the remote. One file: one class, so
// every git call goes through the same environment and error handling.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';

/** A git command failed; carries its arguments (never a secret) and its stderr. */
export class GitError extends Error {
  constructor(
    readonly args: readonly string[],
    readonly exitCode: number | undefined,
    readonly stderr: string,
  ) {
    super(`git ${args.join(' ')} failed${exitCode === undefined ? '' : ` (exit code ${exitCode})`}: ${stderr.trim() || '(no output)'}`);
    this.name = 'GitError';
  }
}

/** Who a commit is attributed to. */
export interface GitIdentity {
  name: string;
  email: string;
}

/** The identity of GitHub Actions' bot: fix commits are made as it, and commits made as it are never fixed again. */
export const ACTIONS_BOT: GitIdentity = {
  name: 'github-actions[bot]',
  email: '41898282+github-actions[bot]@users.noreply.github.com',
};

/** One changed path of `git status`. */
export interface StatusEntry {
  /** Two-letter porcelain code, e.g. ` M`, `??`, `R `. */
  code: string;
  path: string;
  /** The source of a rename or copy. */
  from?: string;
}

/** One file of `git diff --numstat`; binary files have null counts. */
export interface DiffStatEntry {
  path: string;
  additions: number | null;
  deletions: number | null;
}

/** A commit as its raw object says (parents included even in a shallow clone). */
export interface CommitInfo {
  parents: string[];
  author: GitIdentity;
  committer: GitIdentity;
}

interface RunOptions {
  /** Extra environment for this one git process (added to the minimal one, see GIT_ENV). */
  env?: Record<string, string>;
  /** Exit codes that are answers, not failures (e.g. 1 for `diff --quiet`). */
  okExitCodes?: number[];
}

// What a git process keeps of the action's environment: where programs, config and temp space are, the locale, and
// the proxy, CA and SSH settings a push may need. Not the rest: the action's environment holds its inputs
// (INPUT_GITHUB-TOKEN, INPUT_OPENAI-API-KEY), and git runs programs (helpers, editors) that would inherit them.
const GIT_ENV = [
  'PATH', 'HOME', 'USER', 'LOGNAME', 'LANG', 'LC_ALL', 'LC_CTYPE', 'TZ', 'TMPDIR', 'XDG_CONFIG_HOME', 'SYSTEMROOT',
  'HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'ALL_PROXY', 'http_proxy', 'https_proxy', 'no_proxy', 'all_proxy',
  'SSL_CERT_FILE', 'SSL_CERT_DIR', 'GIT_SSL_CAINFO', 'GIT_SSL_CAPATH', 'SSH_AUTH_SOCK', 'GIT_SSH', 'GIT_SSH_COMMAND',
];
// Config the workspace could carry (a test run or an agent with full access can write .git/config) that would make
// the action's own git calls run a program: the fsmonitor hook (status, add, diff) and hooks (checkout, reset).
// Git accepts `-c` before every subcommand; a later value wins over .git/config.
const SAFE_CONFIG = ['-c', 'core.fsmonitor=false', '-c', 'core.hooksPath=/dev/null'];

/** Git's pathspec for a path relative to the repository root, taken literally (no globs, whatever the cwd). */
function topPath(path: string): string {
  return `:(top,literal)${path}`;
}

/**
 * Git in one working directory. Paths going in and out are relative to the repository's root (as `git status`
 * prints them), whatever folder of the repository `cwd` is.
 */
export class Git {
  constructor(readonly cwd: string) {}

  /** Runs git with `args`; returns stdout without its final newline. */
  async run(args: string[], options: RunOptions = {}): Promise<{ stdout: string; exitCode: number }> {
    const env: Record<string, string> = {};
    for (const name of GIT_ENV) if (process.env[name] !== undefined) env[name] = process.env[name];
    const result = await execa('git', [...SAFE_CONFIG, ...args], {
      cwd: this.cwd,
      env: { ...env, GIT_TERMINAL_PROMPT: '0', ...options.env },
      extendEnv: false,
      reject: false,
      stdin: 'ignore',
      // Porcelain output may start with a space that matters.
      stripFinalNewline: true,
    });
    const exitCode = result.exitCode ?? -1;
    if (exitCode !== 0 && !(options.okExitCodes ?? []).includes(exitCode)) {
      throw new GitError(args, result.exitCode, String(result.stderr || result.originalMessage || ''));
    }
    return { stdout: String(result.stdout), exitCode };
  }

  /** The commit `ref` names. */
  async revParse(ref: string): Promise<string> {
    return (await this.run(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`])).stdout.trim();
  }

  /** True when the object exists in the repository (e.g. `HEAD:path`, a sha). */
  async exists(object: string): Promise<boolean> {
    return (await this.run(['cat-file', '-e', object], { okExitCodes: [1, 128] })).exitCode === 0;
  }

  /** The author of a commit, or undefined when the commit is not in this clone. */
  async commitAuthor(sha: string): Promise<GitIdentity | undefined> {
    if (!(await this.exists(`${sha}^{commit}`))) return undefined;
    const out = (await this.run(['show', '-s', '--format=%an%x00%ae', sha])).stdout;
    const [name = '', email = ''] = out.split('\0');
    return { name, email };
  }

  /** Changed, added, deleted and untracked paths (optionally limited to `paths`). */
  async status(paths: string[] = []): Promise<StatusEntry[]> {
    const args = ['status', '--porcelain=v1', '-z', '--untracked-files=all'];
    if (paths.length > 0) args.push('--', ...paths.map(topPath));
    const fields = (await this.run(args)).stdout.split('\0');
    const entries: StatusEntry[] = [];
    for (let i = 0; i < fields.length; i++) {
      const field = fields[i]!;
      if (field.length < 4) continue;
      const code = field.slice(0, 2);
      const entry: StatusEntry = { code, path: field.slice(3) };
      // With -z a rename's source follows as its own field.
      if (code.includes('R') || code.includes('C')) entry.from = fields[++i];
      entries.push(entry);
    }
    return entries;
  }

  /**
   * Puts `paths` back as they are in `commit`, in the index and the working tree: restores the files `commit` has,
   * deletes the ones it does not have.
   */
  async restoreFrom(commit: string, paths: string[]): Promise<void> {
    const top = paths.length > 0 ? (await this.run(['rev-parse', '--show-toplevel'])).stdout.trim() : '';
    for (const path of paths) {
      if (await this.exists(`${commit}:${path}`)) {
        await this.run(['checkout', commit, '--', topPath(path)]);
      } else {
        await this.run(['rm', '--cached', '--quiet', '--ignore-unmatch', '--', topPath(path)]);
        await rm(join(top, path), { force: true });
      }
    }
  }

  /** Paths whose staged content differs from `base`, optionally limited to `paths` (both sides of a rename). */
  async stagedPaths(base: string, paths: string[] = []): Promise<string[]> {
    const args = ['diff', '--cached', '--name-only', '--no-renames', '-z', base];
    if (paths.length > 0) args.push('--', ...paths.map(topPath));
    return (await this.run(args)).stdout.split('\0').filter((p) => p.length > 0);
  }

  /** Stages every change, untracked files included (ignored ones excepted). */
  async addAll(): Promise<void> {
    await this.run(['add', '--all']);
  }

  /** Untracked, not ignored paths; a wholly untracked folder is one entry ending in `/` unless `perFile`. */
  async untracked(options: { perFile?: boolean } = {}): Promise<string[]> {
    const args = ['ls-files', '--others', '--exclude-standard', '--full-name', '-z'];
    if (!options.perFile) args.push('--directory');
    // The whole repository, as `add --all` stages it, not just the folder git runs in.
    args.push('--', ':(top)');
    const out = (await this.run(args)).stdout;
    return out.split('\0').filter((p) => p.length > 0);
  }

  /** Takes `paths` out of the index again (they stay in the working tree). */
  async unstage(paths: string[]): Promise<void> {
    // Batches keep the argument list far below the OS limit.
    for (let i = 0; i < paths.length; i += 500) {
      await this.run(['reset', '--quiet', '--', ...paths.slice(i, i + 500).map(topPath)], { okExitCodes: [1] });
    }
  }

  /** Moves HEAD to `sha` keeping index and working tree (for an agent that committed on its own). */
  async softReset(sha: string): Promise<void> {
    await this.run(['reset', '--soft', sha]);
  }

  /** The staged diff against `base`, binary changes included (what a patch or a commit carries). */
  async stagedDiff(base: string): Promise<string> {
    return (await this.run(['diff', '--cached', '--binary', '--no-color', '--no-ext-diff', base])).stdout + '\n';
  }

  /**
   * The staged diff against `base` with every file treated as text: binary files' bytes appear as they are (the
   * `--binary` form deflates and base85-encodes them), so a search through it sees what a commit would carry.
   */
  async stagedTextDiff(base: string): Promise<string> {
    return (await this.run(['diff', '--cached', '--text', '--no-color', '--no-ext-diff', '--no-textconv', base])).stdout;
  }

  /** Per-file line counts of the staged diff against `base`. */
  async stagedNumstat(base: string): Promise<DiffStatEntry[]> {
    const out = (await this.run(['diff', '--cached', '--numstat', '-z', '--no-renames', base])).stdout;
    const entries: DiffStatEntry[] = [];
    for (const field of out.split('\0')) {
      const match = /^(-|\d+)\t(-|\d+)\t([\s\S]+)$/.exec(field);
      if (!match) continue;
      entries.push({
        additions: match[1] === '-' ? null : Number(match[1]),
        deletions: match[2] === '-' ? null : Number(match[2]),
        path: match[3]!,
      });
    }
    return entries;
  }

  /**
   * Writes the index as a commit whose one parent is `parent`, without moving HEAD or any branch.
   * Hooks do not run and signing is off: the commit is the action's, made as `identity`.
   */
  async commitIndex(parent: string, message: string, identity: GitIdentity): Promise<string> {
    const tree = (await this.run(['write-tree'])).stdout.trim();
    const env = {
      GIT_AUTHOR_NAME: identity.name,
      GIT_AUTHOR_EMAIL: identity.email,
      GIT_COMMITTER_NAME: identity.name,
      GIT_COMMITTER_EMAIL: identity.email,
    };
    return (await this.run(['commit-tree', '--no-gpg-sign', tree, '-p', parent, '-m', message], { env })).stdout.trim();
  }

  /** The URL of a remote. */
  async remoteUrl(remote: string): Promise<string> {
    return (await this.run(['remote', 'get-url', remote])).stdout.trim();
  }

  /** The sha a branch has on the remote, or undefined when the remote has no such branch. */
  async remoteBranchSha(remote: string, branch: string, auth?: Record<string, string>): Promise<string | undefined> {
    const out = (await this.run(['ls-remote', '--heads', remote, `refs/heads/${branch}`], { env: auth })).stdout;
    for (const line of out.split('\n')) {
      const [sha, ref] = line.split('\t');
      if (ref === `refs/heads/${branch}` && sha) return sha;
    }
    return undefined;
  }

  /**
   * Fetches the tip of `branch` on `remote` into the object store (no ref, no FETCH_HEAD is written), so that
   * `commitInfo` can read it. In a shallow clone only the tip itself is fetched.
   */
  async fetchBranchTip(remote: string, branch: string, auth?: Record<string, string>): Promise<void> {
    const shallow = (await this.run(['rev-parse', '--is-shallow-repository'])).stdout.trim() === 'true';
    // --refmap= keeps git from moving refs/remotes/origin/… as a side effect.
    const args = ['fetch', '--quiet', '--no-tags', '--no-write-fetch-head', '--no-recurse-submodules', '--refmap='];
    if (shallow) args.push('--depth=1');
    args.push(remote, `refs/heads/${branch}`);
    await this.run(args, { env: auth });
  }

  /** Parents, author and committer of `sha` from its raw object, or undefined when the object is not here. */
  async commitInfo(sha: string): Promise<CommitInfo | undefined> {
    if (!(await this.exists(`${sha}^{commit}`))) return undefined;
    const raw = (await this.run(['cat-file', 'commit', sha])).stdout;
    const header = raw.slice(0, raw.indexOf('\n\n') >= 0 ? raw.indexOf('\n\n') : raw.length).split('\n');
    const person = (field: string): GitIdentity => {
      const line = header.find((l) => l.startsWith(`${field} `)) ?? '';
      const match = /^\S+ (.*?) <([^>]*)>/.exec(line);
      return { name: match?.[1] ?? '', email: match?.[2] ?? '' };
    };
    return {
      parents: header.filter((l) => l.startsWith('parent ')).map((l) => l.slice('parent '.length).trim()),
      author: person('author'),
      committer: person('committer'),
    };
  }

  /**
   * Pushes `sha` to `branch` on `remote`. With `expect`, the push overwrites the branch only if it is still at
   * that sha (`null`: only if it does not exist yet): a lease that stops a push racing another one. It does not
   * say whose commits it replaces; the caller checks that before choosing to overwrite.
   */
  async push(
    remote: string,
    sha: string,
    branch: string,
    options: { expect?: string | null; auth?: Record<string, string> } = {},
  ): Promise<void> {
    const ref = `refs/heads/${branch}`;
    const args = ['push', '--quiet', '--no-verify'];
    if (options.expect !== undefined) args.push(`--force-with-lease=${ref}:${options.expect ?? ''}`);
    args.push(remote, `${sha}:${ref}`);
    await this.run(args, { env: options.auth });
  }
}

/**
 * Environment that makes one git process send the token as an HTTP basic-auth header to the remote's host.
 * Git reads GIT_CONFIG_COUNT/KEY_n/VALUE_n as config for that process only, so the token is never in argv
 * (visible in `ps`) nor in .git/config (readable by later steps and by the agent). Empty for non-HTTP remotes.
 */
export function gitAuthEnv(remoteUrl: string, token: string | undefined): Record<string, string> {
  if (!token) return {};
  let origin: string;
  try {
    const url = new URL(remoteUrl);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return {};
    origin = `${url.protocol}//${url.host}/`;
  } catch {
    return {};
  }
  const key = `http.${origin}.extraheader`;
  const basic = Buffer.from(`x-access-token:${token}`).toString('base64');
  return {
    GIT_CONFIG_COUNT: '2',
    // An empty value first clears any extraheader a checkout left behind, so exactly one Authorization is sent.
    GIT_CONFIG_KEY_0: key,
    GIT_CONFIG_VALUE_0: '',
    GIT_CONFIG_KEY_1: key,
    GIT_CONFIG_VALUE_1: `AUTHORIZATION: basic ${basic}`,
  };
}
