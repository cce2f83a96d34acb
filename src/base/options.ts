// The engine's options: one typed shape that both shells (the Action's inputs, the CLI's flags) produce, and the
// defaults they share. The engine reads these, never action inputs, flags or process.env.
import type { Gateway } from './codex/gateway.js';
import type { Prices } from './codex/budget.js';
import type { McpServer } from './codex/mcp-servers.js';

export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];
export type Mode = 'auto' | 'review' | 'fix' | 'login' | 'plan' | 'merge';
export type SandboxMode = 'read-only' | 'workspace-write' | 'danger-full-access';
export type ApprovalPolicy = 'never' | 'on-request' | 'untrusted';

// `login` is the one-time device-code login into `codex-home` on a self-hosted runner (base/codex/login.ts);
// `plan` and `merge` are the first and last jobs of a review sharded across a job matrix (modes/review/shard/).
export const MODES = ['auto', 'review', 'fix', 'login', 'plan', 'merge'] as const;
export const EFFORTS = ['none', 'minimal', 'low', 'medium', 'high', 'xhigh'] as const;
export const SANDBOX_MODES = ['read-only', 'workspace-write', 'danger-full-access'] as const;
export const APPROVAL_POLICY_VALUES = ['never', 'on-request', 'untrusted'] as const;
export const APPROVALS_REVIEWER_VALUES = ['user', 'auto_review'] as const;
export const REVIEW_EVENTS = ['COMMENT', 'REQUEST_CHANGES'] as const;
export const FIX_DELIVERIES = ['pull-request', 'push', 'patch'] as const;
export const VERIFY_MODES = ['findings', 'off'] as const;
export const VERIFY_SUGGESTIONS = ['apply', 'tests', 'off'] as const;

/** One job of a sharded review's matrix: shard `index` (1-based) of `count`, the `shard: K/N` input. */
export interface ShardSpec {
  index: number;
  count: number;
}

/** Everything a run is told: the Action's inputs and the CLI's flags both become one of these. */
export interface RunOptions {
  mode: Mode;
  /** From the input, else OPENAI_API_KEY, else CODEX_API_KEY in the environment. */
  openaiApiKey: string | undefined;
  /** An http(s) URL without a trailing slash. */
  openaiBaseUrl: string;
  /** How the model proxy authenticates upstream (`openai-api-style`, `openai-api-version`). */
  openaiGateway: Gateway;
  /** Tokens (input + output) the whole run may use (`max-tokens`); undefined: no limit. */
  maxTokens: number | undefined;
  /** Turns the whole run may start (`max-turns`); undefined: no limit. */
  maxTurns: number | undefined;
  /** USD per million tokens (`price-per-million`), for the estimated cost in the job summary. */
  pricePerMillion: Prices | undefined;
  /** MCP servers for the agent (`mcp-servers`), their secrets resolved from the step's environment. */
  mcpServers: McpServer[];
  /** The contents of a ChatGPT-login auth.json; a JSON object when given. */
  codexAuthJson: string | undefined;
  /** A Codex access token (ChatGPT Business/Enterprise), logged in to the run's private CODEX_HOME. */
  codexAccessToken: string | undefined;
  /** A persistent CODEX_HOME on a self-hosted runner (`codex-home`): absolute, outside the workspace. */
  codexHome: string | undefined;
  model: string | undefined;
  effort: (typeof EFFORTS)[number] | undefined;
  /** undefined = the version this action pins. */
  codexVersion: string | undefined;
  codexPath: string | undefined;
  /** `key=value` TOML overrides, one per element, for the app-server's `-c`. */
  codexConfig: string[];
  /** undefined = the default for the job (read-only for review, workspace-write for fix). */
  sandbox: SandboxMode | undefined;
  approvalPolicy: ApprovalPolicy;
  approvalsReviewer: 'user' | 'auto_review';
  githubToken: string | undefined;
  /** Absolute. */
  workingDirectory: string;
  prompt: string | undefined;
  /** Absolute (resolved against workingDirectory). */
  promptFile: string | undefined;
  /** Per turn. */
  timeoutMinutes: number;
  prNumbers: number[];
  maxParallel: number;
  minSeverity: Severity;
  /** undefined = never fail the job because of findings. */
  failOnSeverity: Severity | undefined;
  maxComments: number;
  /** `findings`: a second turn per chunk tries to refute each finding before it is posted; `off`: post them as found. */
  verify: (typeof VERIFY_MODES)[number];
  /** Kept findings below this verifier confidence (0–1) are not posted. */
  minConfidence: number;
  /** How suggestions are checked before they are posted as committable: `apply`, `tests` (also test-command), `off`. */
  verifySuggestions: (typeof VERIFY_SUGGESTIONS)[number];
  reviewEvent: (typeof REVIEW_EVENTS)[number];
  paths: string[];
  pathsIgnore: string[];
  testCommand: string | undefined;
  runId: number | undefined;
  fixBranchPrefix: string;
  fixDelivery: (typeof FIX_DELIVERIES)[number];
  baseBranch: string | undefined;
  draft: boolean;
  maxAttempts: number;
  openUnverified: boolean;
  allowForks: boolean;
  triggerPhrase: string;
  /** Review only what changed since the last fully reviewed commit (when GitHub can tell). */
  incremental: boolean;
  /** Resolve review threads of earlier findings the new commits address. */
  resolveThreads: boolean;
  allowUsers: string[];
  allowBots: string[];
  /** A thread id of an earlier run to continue (its stored rollout is restored from the runner's cache). */
  resumeThread: string | undefined;
  /** The matrix job of a sharded review this run is (`shard`); undefined: an unsharded review. */
  shard: ShardSpec | undefined;
  /** The plan job's `plan-id`, which a shard and the merge check they work on. */
  planId: string | undefined;
  /** Most matrix jobs a plan asks for (`max-shards`). */
  maxShards: number;
  /** Chunks one shard reviews before the plan asks for another shard (`chunks-per-shard`). */
  chunksPerShard: number;
}


/**
 * The defaults both shells use: the Action's input parser and the CLI's flags fall back to these. action.yml repeats
 * them in its `default:` lines for the Actions UI; test/inputs.test.ts holds the two equal.
 */
export const DEFAULTS = {
  mode: 'auto',
  openaiBaseUrl: 'https://api.openai.com/v1',
  approvalPolicy: 'never',
  approvalsReviewer: 'user',
  timeoutMinutes: 30,
  maxParallel: 4,
  minSeverity: 'low',
  maxComments: 25,
  verify: 'findings',
  minConfidence: 0.6,
  verifySuggestions: 'apply',
  reviewEvent: 'COMMENT',
  fixBranchPrefix: 'codex/fix/',
  fixDelivery: 'pull-request',
  draft: true,
  maxAttempts: 2,
  openUnverified: false,
  allowForks: false,
  triggerPhrase: '@codex',
  incremental: true,
  resolveThreads: true,
  maxShards: 4,
  chunksPerShard: 8,
} as const satisfies Partial<RunOptions>;

type Defaulted = keyof typeof DEFAULTS;
/** What a shell must give itself; every other option has a default or may be absent. */
type Required = Pick<RunOptions, 'workingDirectory' | 'openaiGateway'>;

/** A complete RunOptions from what a shell was told: DEFAULTS for the rest, nothing set that was not asked for. */
export function runOptions(given: Required & Partial<Omit<RunOptions, keyof Required>>): RunOptions {
  const base: Omit<RunOptions, Defaulted | keyof Required> = {
    openaiApiKey: undefined,
    maxTokens: undefined,
    maxTurns: undefined,
    pricePerMillion: undefined,
    mcpServers: [],
    codexAuthJson: undefined,
    codexAccessToken: undefined,
    codexHome: undefined,
    model: undefined,
    effort: undefined,
    codexVersion: undefined,
    codexPath: undefined,
    codexConfig: [],
    sandbox: undefined,
    githubToken: undefined,
    prompt: undefined,
    promptFile: undefined,
    prNumbers: [],
    failOnSeverity: undefined,
    paths: [],
    pathsIgnore: [],
    testCommand: undefined,
    runId: undefined,
    baseBranch: undefined,
    allowUsers: [],
    allowBots: [],
    resumeThread: undefined,
    shard: undefined,
    planId: undefined,
  };
  return { ...DEFAULTS, ...base, ...given };
}
