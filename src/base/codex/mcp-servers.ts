// The `mcp-servers` input: a JSON map of MCP servers turned into app-server `-c` overrides, their secrets kept
// out of the agent's environment and off the disk.
import { z } from 'zod';

/** How Codex asks before the agent calls a server's tools (its `default_tools_approval_mode`). */
export const MCP_TOOL_APPROVALS = ['approve', 'auto', 'writes', 'prompt'] as const;

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'expected an environment variable name' });
const approval = z.enum(MCP_TOOL_APPROVALS).default('approve');

const stdioSpec = z.strictObject({
  command: z.string().min(1),
  args: z.array(z.string()).default([]),
  /** Names of variables of the step's environment handed to this server only. */
  env: z.array(envName).default([]),
  'tools-approval': approval,
});
const remoteSpec = z.strictObject({
  url: z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' }),
  /** Name of the step's environment variable holding the bearer token. */
  'bearer-token-env': envName.optional(),
  'tools-approval': approval,
});

/** What the user wrote: server name → a stdio command or a remote URL; secrets only by variable name. */
export const mcpServersSpec = z.record(
  z.string().regex(/^[A-Za-z0-9_-]+$/, { error: 'server names use letters, digits, _ and - only' }),
  z.union([stdioSpec, remoteSpec], { error: 'expected {command, args?, env?} or {url, bearer-token-env?}' }),
  { error: (issue) => (issue.code === 'invalid_key' ? 'server names use letters, digits, _ and - only' : undefined) },
);
export type McpServersSpec = z.infer<typeof mcpServersSpec>;

/** One server with its secrets resolved from the step's environment. */
export type McpServer =
  | { name: string; command: string; args: string[]; env: Record<string, string>; toolsApproval: string }
  | { name: string; url: string; bearerToken: string | undefined; toolsApproval: string };

/** The variable names a spec needs from the step's environment. */
export function mcpEnvNames(spec: McpServersSpec): string[] {
  // Also called on what a failed parse left behind (the schema reports all problems at once), so it checks shapes.
  const specs = Object.values(spec).filter((s) => typeof s === 'object' && s !== null);
  return specs.flatMap((s) => ('command' in s ? (Array.isArray(s.env) ? s.env : []) : s['bearer-token-env'] ? [s['bearer-token-env']] : []));
}

/** Resolves the named variables; the caller has checked they are all set. */
export function resolveMcpServers(spec: McpServersSpec, env: NodeJS.ProcessEnv): McpServer[] {
  return Object.entries(spec).map(([name, s]) =>
    'command' in s
      ? { name, command: s.command, args: s.args, env: Object.fromEntries(s.env.map((k) => [k, env[k] ?? ''])), toolsApproval: s['tools-approval'] }
      : { name, url: s.url, bearerToken: s['bearer-token-env'] ? env[s['bearer-token-env']] : undefined, toolsApproval: s['tools-approval'] },
  );
}

/** Every secret value the servers carry: masked, redacted, and kept out of the agent's environment. */
export function mcpSecrets(servers: readonly McpServer[]): string[] {
  return servers.flatMap((s) => ('command' in s ? Object.values(s.env) : s.bearerToken ? [s.bearerToken] : [])).filter((v) => v !== '');
}

/**
 * `-c` overrides for the app-server. Secrets travel on its command line only: not in its environment (which
 * the agent's commands inherit), not in CODEX_HOME (which the agent can read). The sandboxed agent runs in its
 * own PID namespace and cannot read the app-server's command line.
 */
export function mcpConfigOverrides(servers: readonly McpServer[]): string[] {
  return servers.flatMap((s) => {
    const key = `mcp_servers.${s.name}`;
    const approvalMode = `${key}.default_tools_approval_mode=${toml(s.toolsApproval)}`;
    if ('command' in s) {
      const env = Object.entries(s.env);
      return [
        `${key}.command=${toml(s.command)}`,
        `${key}.args=[${s.args.map(toml).join(', ')}]`,
        ...(env.length > 0 ? [`${key}.env={ ${env.map(([k, v]) => `${toml(k)} = ${toml(v)}`).join(', ')} }`] : []),
        approvalMode,
      ];
    }
    return [
      `${key}.url=${toml(s.url)}`,
      ...(s.bearerToken ? [`${key}.http_headers={ "Authorization" = ${toml(`Bearer ${s.bearerToken}`)} }`] : []),
      approvalMode,
    ];
  });
}

// JSON string escapes are valid TOML basic-string escapes.
function toml(value: string): string {
  return JSON.stringify(value);
}
