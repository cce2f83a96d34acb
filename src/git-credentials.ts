// Takes the job token that actions/checkout persists in .git/config out of the agent's reach for
// the run, and puts it back afterwards so later steps of the job still work.
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as core from '@actions/core';
import { execa } from 'execa';
import { containsSecret } from './redact.js';

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
 * Removes persisted credentials from `dir`'s local git config and empties credential files that
 * actions/checkout left in `tempDir`; returns a function that puts everything back.
 */
export async function removePersistedCredentials(
  dir: string,
  secrets: readonly string[],
  tempDir?: string,
): Promise<() => Promise<void>> {
  const git = (...args: string[]) => execa('git', args, { cwd: dir, reject: false });
  const files = await hideCredentialFiles(tempDir, secrets);
  const restoreFiles = () => Promise.all(files.map((f) => writeFile(f.path, f.text))).then(() => {});
  const inside = await git('rev-parse', '--is-inside-work-tree');
  if (inside.exitCode !== 0) return restoreFiles;
  const listed = await git('config', '--local', '--null', '--list');
  const entries: Entry[] = listed.stdout
    .split('\0')
    .filter(Boolean)
    .map((line) => {
      const at = line.indexOf('\n');
      return { key: line.slice(0, at), value: line.slice(at + 1) };
    });
  const removed: Entry[] = [];
  for (const entry of entries) {
    if (!CREDENTIAL_KEYS.test(entry.key)) continue;
    if (/^includeif\./i.test(entry.key) && !(await holdsCredentials(entry.value))) continue;
    removed.push(entry);
  }
  for (const key of new Set(removed.map((e) => e.key))) await git('config', '--local', '--unset-all', key);
  if (removed.length > 0) core.info(`Removed ${removed.length} persisted git credential setting(s) for the run; they are restored at the end.`);
  const config = await git('config', '--local', '--list');
  if (containsSecret(config.stdout, secrets)) {
    await restore(dir, removed);
    await restoreFiles();
    throw new PersistedCredentialsError(dir);
  }
  return async () => {
    await restoreFiles();
    await restore(dir, removed);
  };
}

/** Empties checkout's credential files in `tempDir` (those holding a secret); returns what they held. */
async function hideCredentialFiles(tempDir: string | undefined, secrets: readonly string[]): Promise<Array<{ path: string; text: string }>> {
  if (!tempDir) return [];
  const names = await readdir(tempDir).catch(() => [] as string[]);
  const hidden: Array<{ path: string; text: string }> = [];
  for (const name of names.filter((n) => CHECKOUT_CREDENTIALS_FILE.test(n))) {
    const path = join(tempDir, name);
    const text = await readFile(path, 'utf8').catch(() => '');
    if (!containsSecret(text, secrets)) continue;
    await writeFile(path, '# emptied by codex-ci-action while the agent runs; restored afterwards\n');
    hidden.push({ path, text });
  }
  if (hidden.length > 0) core.info(`Emptied ${hidden.length} persisted credentials file(s) in RUNNER_TEMP for the run.`);
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
