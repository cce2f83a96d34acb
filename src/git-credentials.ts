// Takes the job token that actions/checkout persists in .git/config out of the agent's reach for
// the run, and puts it back afterwards so later steps of the job still work.
import { readFile } from 'node:fs/promises';
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

// actions/checkout writes `http.<url>.extraheader` (v4) or an `includeIf.gitdir:….path` to a
// credentials file under RUNNER_TEMP (v5+). Both are removed for the run.
const CREDENTIAL_KEYS = /^(http\..*\.extraheader|includeif\..*\.path)$/i;

/** Removes persisted credentials from `dir`'s local git config; returns a function that restores them. */
export async function removePersistedCredentials(dir: string, secrets: readonly string[]): Promise<() => Promise<void>> {
  const git = (...args: string[]) => execa('git', args, { cwd: dir, reject: false });
  const inside = await git('rev-parse', '--is-inside-work-tree');
  if (inside.exitCode !== 0) return async () => {};
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
    throw new PersistedCredentialsError(dir);
  }
  return () => restore(dir, removed);
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
