// Takes the job token that actions/checkout persists in .git/config out of the agent's reach for
// the run, and puts it back afterwards so later steps of the job still work.
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as core from '@actions/core';
import { execa } from 'execa';
import { containsSecret } from '../base/text/redact.js';

/** A persisted credential was left in .git/config that the action could not remove. */
export class PersistedCredentialsError extends Error {
  constructor(dir: string) {
    super(
      `The git configuration of ${dir} still contains the GitHub token after removing the known ` +
        `credential settings. Use 'persist-credentials: false' on actions/checkout; the action will not ` +
        `start the agent while the token is readable from the workspace.`,
    );
    this.name = 'PersistedCredentialsError';
  }
}

interface Entry {
  key: string;
  value: string;
}

// actions/checkout writes `http.<url>.extraheader` (v4/v5) or, since v6, `includeIf.gitdir:….path`
// entries naming a `git-credentials-<id>.config` file under RUNNER_TEMP. The entries are removed for the
// run, and because the sandbox can read the whole disk, the credentials files are emptied too.
const CREDENTIAL_KEYS = /^(http\..*\.extraheader|includeif\..*\.path)$/i;
const CHECKOUT_CREDENTIALS_FILE = /^git-credentials-.*\.config$/;

/**
 * Removes persisted credentials from `dir`'s local git config and empties the credential files they name (and
 * checkout's credential files in `tempDir` that hold a secret); returns a function that puts everything back.
 */
export async function removePersistedCredentials(
  dir: string,
  secrets: readonly string[],
  tempDir?: string,
): Promise<() => Promise<void>> {
  const git = (...args: string[]) => execa('git', args, { cwd: dir, reject: false });
  const inside = (await git('rev-parse', '--is-inside-work-tree')).exitCode === 0;
  const removed: Entry[] = [];
  const files = new Set<string>();
  if (inside) {
    const listed = await git('config', '--local', '--null', '--list');
    for (const line of listed.stdout.split('\0').filter(Boolean)) {
      const at = line.indexOf('\n');
      const entry = { key: line.slice(0, at), value: line.slice(at + 1) };
      if (!CREDENTIAL_KEYS.test(entry.key)) continue;
      if (/^includeif\./i.test(entry.key)) {
        if (!(await holdsCredentials(entry.value))) continue;
        files.add(entry.value);
      }
      removed.push(entry);
    }
    // Value by value: other values of the same key (an unrelated includeIf path) stay untouched.
    for (const { key, value } of removed) await git('config', '--local', '--fixed-value', '--unset', key, value);
    if (removed.length > 0) core.info(`Removed ${removed.length} persisted git credential setting(s) for the run; they are restored at the end.`);
  }
  for (const path of await checkoutCredentialFiles(tempDir, secrets)) files.add(path);
  const hidden = await emptyFiles([...files]);
  const restoreAll = async () => {
    await Promise.all(hidden.map((f) => writeFile(f.path, f.text)));
    await restore(dir, removed);
  };
  if (inside && containsSecret((await git('config', '--local', '--list')).stdout, secrets)) {
    await restoreAll();
    throw new PersistedCredentialsError(dir);
  }
  return restoreAll;
}

/** Checkout's credential files in `tempDir` that hold one of the run's secrets (a checkout of another repo, say). */
async function checkoutCredentialFiles(tempDir: string | undefined, secrets: readonly string[]): Promise<string[]> {
  if (!tempDir) return [];
  const names = (await readdir(tempDir).catch(() => [] as string[])).filter((n) => CHECKOUT_CREDENTIALS_FILE.test(n));
  const paths: string[] = [];
  for (const name of names) {
    const path = join(tempDir, name);
    if (containsSecret(await readFile(path, 'utf8').catch(() => ''), secrets)) paths.push(path);
  }
  return paths;
}

/** Empties each file (the sandbox can read the whole disk); returns what they held. */
async function emptyFiles(paths: string[]): Promise<Array<{ path: string; text: string }>> {
  const hidden: Array<{ path: string; text: string }> = [];
  for (const path of paths) {
    const text = await readFile(path, 'utf8').catch(() => undefined);
    if (text === undefined) continue;
    await writeFile(path, '# emptied by codex-ci-action while the agent runs; restored afterwards\n');
    hidden.push({ path, text });
  }
  if (hidden.length > 0) core.info(`Emptied ${hidden.length} persisted credentials file(s) for the run.`);
  return hidden;
}

async function holdsCredentials(path: string): Promise<boolean> {
  const text = await readFile(path, 'utf8').catch(() => '');
  return /extraheader|credential/i.test(text);
}

async function restore(dir: string, entries: Entry[]): Promise<void> {
  for (const { key, value } of entries) {
    await execa('git', ['config', '--local', '--add', key, value], { cwd: dir, reject: false });
  }
}
