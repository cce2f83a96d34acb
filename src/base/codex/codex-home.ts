// The CODEX_HOME of a run: a private one per run (config.toml pointing Codex at the model proxy, and for ChatGPT-plan
// auth the user's auth.json), or the user's persistent `codex-home` on a self-hosted runner, which is only read.
import { chmod, mkdir, mkdtemp, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The provider id written to config.toml. */
export const PROVIDER_ID = 'codex-ci-action';

export interface CodexHomeOptions {
  /** Parent folder (RUNNER_TEMP): the home is a new folder inside it. */
  parent: string;
  /** Base URL of the model endpoint Codex calls (the loopback proxy); omitted for ChatGPT auth. */
  providerUrl?: string;
  model?: string;
  /** Contents of a ChatGPT-plan auth.json. */
  authJson?: string;
  /** Retries of model requests; tests set 0 so a scripted failure is seen at once. */
  requestRetries?: number;
  /** Lines of `key = value` TOML to append at top level (before any table). */
  extraToml?: string[];
}

/** Creates the folder and its files; returns its path. */
export async function createCodexHome(options: CodexHomeOptions): Promise<string> {
  await mkdir(options.parent, { recursive: true });
  const home = await mkdtemp(join(options.parent, 'codex-home-'));
  await chmod(home, 0o700);
  await writeFile(join(home, 'config.toml'), configToml(options), { mode: 0o600 });
  if (options.authJson !== undefined) {
    await writeFile(join(home, 'auth.json'), options.authJson, { mode: 0o600 });
  }
  return home;
}

/** The config.toml text. No secret is ever part of it. */
export function configToml(options: Omit<CodexHomeOptions, 'parent' | 'authJson'>): string {
  const lines = ['# Written by codex-ci-action for one run; holds no secrets.'];
  if (options.model) lines.push(`model = ${tomlString(options.model)}`);
  lines.push(...(options.extraToml ?? []));
  if (options.providerUrl) {
    lines.push(
      `model_provider = ${tomlString(PROVIDER_ID)}`,
      '',
      `[model_providers.${PROVIDER_ID}]`,
      ...providerEntries(options.providerUrl, options.requestRetries).map(([key, value]) => `${key} = ${value}`),
    );
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The same settings as `configToml`, as app-server `-c` overrides: with a persistent `codex-home` the config.toml there
 * is the user's, so the run's settings live on the command line and nothing of the run is written into the folder.
 */
export function configOverrides(options: Omit<CodexHomeOptions, 'parent' | 'authJson'>): string[] {
  const overrides: string[] = [];
  if (options.model) overrides.push(`model=${tomlString(options.model)}`);
  for (const line of options.extraToml ?? []) {
    const eq = line.indexOf('=');
    if (eq > 0) overrides.push(`${line.slice(0, eq).trim()}=${line.slice(eq + 1).trim()}`);
  }
  if (options.providerUrl) {
    overrides.push(`model_provider=${tomlString(PROVIDER_ID)}`);
    for (const [key, value] of providerEntries(options.providerUrl, options.requestRetries)) {
      overrides.push(`model_providers.${PROVIDER_ID}.${key}=${value}`);
    }
  }
  return overrides;
}

function providerEntries(url: string, retries: number | undefined): [string, string][] {
  const entries: [string, string][] = [
    ['name', tomlString('codex-ci-action (loopback proxy)')],
    ['base_url', tomlString(url)],
    ['wire_api', '"responses"'],
  ];
  if (retries !== undefined) entries.push(['request_max_retries', String(retries)], ['stream_max_retries', String(retries)]);
  return entries;
}

/** What the action found in a persistent `codex-home`. */
export interface PersistentHome {
  path: string;
  /** An auth.json is there (a ChatGPT login kept from an earlier run). */
  hasLogin: boolean;
  /** Problems the user should fix (file modes, owner); the run goes on. */
  warnings: string[];
}

/** The `codex-home` folder is not usable (not a folder, or cannot be created). */
export class CodexHomeError extends Error {
  override name = 'CodexHomeError';
}

/**
 * Opens a persistent `codex-home`: creates it (mode 0700) when missing, and checks what the agent's neighbours could
 * read — other users on a shared self-hosted runner must not read the login. Never changes the user's files.
 */
export async function openPersistentHome(path: string): Promise<PersistentHome> {
  const existing = await stat(path).catch(() => undefined);
  if (existing && !existing.isDirectory()) throw new CodexHomeError(`Input 'codex-home' is ${path}, which is not a folder.`);
  if (!existing) {
    try {
      await mkdir(path, { recursive: true, mode: 0o700 });
    } catch (error) {
      throw new CodexHomeError(`Input 'codex-home' is ${path}, which could not be created: ${(error as Error).message}.`, { cause: error });
    }
  }
  const dir = await stat(path);
  const warnings: string[] = [];
  const uid = process.getuid?.();
  if (uid !== undefined && dir.uid !== uid) {
    warnings.push(`codex-home ${path} belongs to user id ${dir.uid}, not to the runner's user (${uid}); its owner can read and replace the login.`);
  }
  if ((dir.mode & 0o077) !== 0) {
    warnings.push(`codex-home ${path} can be read by other users (mode ${octal(dir.mode)}): run \`chmod 700 ${path}\`.`);
  }
  const auth = await stat(join(path, 'auth.json')).catch(() => undefined);
  if (auth && (auth.mode & 0o077) !== 0) {
    warnings.push(`${join(path, 'auth.json')} can be read by other users (mode ${octal(auth.mode)}): run \`chmod 600 ${join(path, 'auth.json')}\`.`);
  }
  return { path, hasLogin: auth?.isFile() ?? false, warnings };
}

function octal(mode: number): string {
  return (mode & 0o777).toString(8).padStart(4, '0');
}

// JSON string escapes are valid TOML basic-string escapes.
function tomlString(value: string): string {
  return JSON.stringify(value);
}
