// The private CODEX_HOME of one run: a config.toml that points Codex at the model proxy, and
// (ChatGPT-plan auth only) the user's auth.json.
import { chmod, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
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
export function configToml(options: CodexHomeOptions): string {
  const lines = ['# Written by codex-ci-action for one run; holds no secrets.'];
  if (options.model) lines.push(`model = ${tomlString(options.model)}`);
  lines.push(...(options.extraToml ?? []));
  if (options.providerUrl) {
    lines.push(
      `model_provider = ${tomlString(PROVIDER_ID)}`,
      '',
      `[model_providers.${PROVIDER_ID}]`,
      `name = ${tomlString('codex-ci-action (loopback proxy)')}`,
      `base_url = ${tomlString(options.providerUrl)}`,
      'wire_api = "responses"',
    );
    if (options.requestRetries !== undefined) {
      lines.push(`request_max_retries = ${options.requestRetries}`, `stream_max_retries = ${options.requestRetries}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

// JSON string escapes are valid TOML basic-string escapes.
function tomlString(value: string): string {
  return JSON.stringify(value);
}
