// The minimal environment for the app-server and for test commands: the agent inherits it, so no secrets.
import { containsSecret } from '../text/redact.js';

// Variables a build or test usually needs. Everything else is dropped.
const ALLOWED = new Set([
  'PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'LANG', 'LANGUAGE', 'LC_ALL', 'LC_CTYPE', 'TZ', 'TMPDIR', 'TERM',
  'CI', 'RUNNER_OS', 'RUNNER_ARCH', 'RUNNER_TEMP', 'RUNNER_TOOL_CACHE', 'GITHUB_ACTIONS', 'GITHUB_WORKSPACE',
  'GITHUB_REPOSITORY', 'GITHUB_SHA', 'GITHUB_REF', 'GITHUB_REF_NAME', 'GITHUB_HEAD_REF', 'GITHUB_BASE_REF',
  'GITHUB_RUN_ID', 'GITHUB_SERVER_URL', 'PKG_CONFIG_PATH', 'LD_LIBRARY_PATH', 'pythonLocation', 'NODE_OPTIONS',
]);
// Toolchain locations set by setup-* actions (JAVA_HOME_17_X64, GOROOT, Python3_ROOT_DIR, …).
const ALLOWED_PATTERNS = [/_HOME(_|$)/, /^GOROOT/, /^GOPATH$/, /_ROOT_DIR$/, /^CARGO_/, /^RUSTUP_/];
// Names that smell of credentials are dropped even when a pattern above would keep them.
const SECRET_NAME = /TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|COOKIE|API_?KEY|PRIVATE|AUTH/i;

/**
 * Picks the variables of `base` that are safe to hand to the agent, plus `extra`.
 * A variable whose value contains one of `secrets` (raw or base64) is dropped whatever its name.
 */
export function agentEnvironment(
  base: NodeJS.ProcessEnv,
  secrets: readonly string[],
  extra: Record<string, string> = {},
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(base)) {
    if (value === undefined) continue;
    if (!ALLOWED.has(name) && !ALLOWED_PATTERNS.some((p) => p.test(name))) continue;
    if (SECRET_NAME.test(name)) continue;
    if (containsSecret(value, secrets)) continue;
    env[name] = value;
  }
  return { ...env, ...extra };
}
