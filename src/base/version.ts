// This tool's own version (package.json's; test/cli-review.test.ts holds them equal): what the app-server's clientInfo,
// SARIF's tool.driver and `codex-ci --version` say. The pinned Codex version is base/codex/install.ts's.
export const TOOL_VERSION = '0.1.0';
export const TOOL_NAME = 'codex-ci-action';
