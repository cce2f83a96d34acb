// Parses and validates every action input (see action.yml) into one typed config, reporting all mistakes at once.
// One file: one zod schema sees every input together, so cross-input problems are reported with the rest.
import { isAbsolute, relative, resolve } from 'node:path';
import * as core from '@actions/core';
import { z } from 'zod';
import { CODEX_VERSION } from '../base/codex/install.js';
import { API_STYLES, gatewayFor } from '../base/codex/gateway.js';
import type { Prices } from '../base/codex/budget.js';
import { mcpEnvNames, mcpSecrets, mcpServersSpec, resolveMcpServers } from '../base/codex/mcp-servers.js';
import { APPROVAL_POLICY_VALUES, APPROVALS_REVIEWER_VALUES, EFFORTS, FIX_DELIVERIES, MODES, REVIEW_EVENTS, SANDBOX_MODES, SEVERITIES, VERIFY_MODES, VERIFY_SUGGESTIONS, type ApprovalPolicy, type RunOptions, type ShardSpec, DEFAULTS } from '../base/options.js';

// `on-failure` and `guardian_subagent` are older spellings the parser still accepts and maps (see below).
const APPROVAL_POLICIES = [...APPROVAL_POLICY_VALUES, 'on-failure'] as const;
const APPROVALS_REVIEWERS = [...APPROVALS_REVIEWER_VALUES, 'guardian_subagent'] as const;

/** Bad action inputs; the message is meant for the workflow author, one line per problem. */
export class InputError extends Error {
  override name = 'InputError';
}

// Their values must never reach a log line, not even inside an error message.
const SECRET_INPUTS = new Set(['openai-api-key', 'github-token', 'codex-auth-json', 'codex-access-token']);

// ---- field schemas: each takes the trimmed raw string (undefined when not given) ----

function oneOf<const T extends readonly [string, ...string[]]>(values: T, normalize: (v: string) => string = (v) => v.toLowerCase()) {
  return z
    .string()
    .transform(normalize)
    .pipe(z.enum(values, { error: `expected one of ${values.join(', ')}` }));
}

function integer(min: number, max: number) {
  return z
    .string()
    .refine((v) => /^\d+$/.test(v) && Number(v) >= min && Number(v) <= max, {
      error: `expected an integer from ${min} to ${max}`,
    })
    .transform(Number);
}

// Like core.getBooleanInput (YAML 1.2 core schema), but any letter case.
function boolean() {
  return z
    .string()
    .refine((v) => /^(true|false)$/i.test(v), { error: 'expected true or false' })
    .transform((v) => v.toLowerCase() === 'true');
}

/** Splits on newlines and commas, but not on commas inside `{a,b}` glob braces. */
function splitGlobs(value: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of value) {
    if (ch === '{') depth++;
    else if (ch === '}') depth = Math.max(0, depth - 1);
    if (ch === '\n' || ch === '\r' || (ch === ',' && depth === 0)) {
      out.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  out.push(current);
  return out.map((s) => s.trim()).filter((s) => s.length > 0);
}

function splitWords(value: string): string[] {
  return value.split(/[\s,]+/).filter((s) => s.length > 0);
}

const globList = () => z.string().transform(splitGlobs).default(() => []);

const loginList = () =>
  z
    .string()
    // A leading @ is how people write logins in prose; GitHub's login fields do not have it.
    .transform((v) => splitWords(v).map((login) => login.replace(/^@/, '')))
    .refine((logins) => logins.every((l) => /^[A-Za-z0-9][A-Za-z0-9-]*(\[bot\])?$/.test(l)), {
      error: 'expected GitHub logins (letters, digits and hyphens, bots may end in [bot]) separated by commas or newlines',
    })
    .default(() => []);

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

function isJsonObject(value: string): boolean {
  try {
    const parsed: unknown = JSON.parse(value);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed);
  } catch {
    // JSON.parse's own message quotes the text, which here is a secret.
    return false;
  }
}

// The fragment becomes the start of branch names, so it follows `git check-ref-format`.
function isRefFragment(value: string): boolean {
  return (
    // Control characters are checked by code point: a regex range of them trips the linter.
    ![...value].some((ch) => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f) &&
    !/[\s~^:?*[\\]/.test(value) &&
    !value.includes('..') &&
    !value.includes('@{') &&
    !value.includes('//') &&
    !value.includes('/.') &&
    !/^[/.-]/.test(value)
  );
}

const mcpServers = z
  .string()
  .transform((value, ctx) => {
    const shape = 'a JSON object: server name → {"command", "args", "env"} or {"url", "bearer-token-env"}';
    let json: unknown;
    try {
      json = JSON.parse(value);
    } catch {
      ctx.issues.push({ code: 'custom', input: value, message: `expected ${shape}` });
      return z.NEVER;
    }
    const parsed = mcpServersSpec.safeParse(json);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((i) => `${i.path.join('.') || 'top level'}: ${i.message}`);
      ctx.issues.push({ code: 'custom', input: value, message: `expected ${shape} (${problems.join('; ')})` });
      return z.NEVER;
    }
    return parsed.data;
  })
  .default(() => ({}));

const codexConfig = z
  .string()
  .transform((value, ctx) => {
    const overrides: string[] = [];
    const problems: string[] = [];
    value.split(/\r?\n/).forEach((raw, index) => {
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) return;
      const eq = line.indexOf('=');
      const key = eq < 0 ? '' : line.slice(0, eq).trim();
      if (eq < 0) problems.push(`line ${index + 1} has no '='`);
      else if (key === '') problems.push(`line ${index + 1} has an empty key`);
      else overrides.push(`${key}=${line.slice(eq + 1).trim()}`);
    });
    if (problems.length > 0) {
      ctx.issues.push({
        code: 'custom',
        input: value,
        message: `expected one key=value TOML override per line (${problems.join(', ')})`,
      });
      return z.NEVER;
    }
    return overrides;
  })
  .default(() => []);

const prNumbers = z
  .string()
  .transform((value, ctx) => {
    const tokens = splitWords(value);
    // "#142" is how people write pull requests; accept it.
    const bad = tokens.filter((t) => !/^#?\d+$/.test(t) || !Number.isSafeInteger(Number(t.replace('#', ''))) || Number(t.replace('#', '')) < 1);
    if (bad.length > 0) {
      ctx.issues.push({
        code: 'custom',
        input: value,
        message: `expected pull request numbers (positive integers) separated by commas, spaces or newlines, not ${bad.map((b) => JSON.stringify(b)).join(', ')}`,
      });
      return z.NEVER;
    }
    return [...new Set(tokens.map((t) => Number(t.replace('#', ''))))];
  })
  .default(() => []);

const severity = () => oneOf(SEVERITIES);

// Keys are the input names from action.yml, so every issue's path names the input the user wrote.
const inputFields = {
  mode: oneOf(MODES).default(DEFAULTS.mode),
  'openai-api-key': z.string().optional(),
  'openai-base-url': z
    .string()
    .refine(isHttpUrl, { error: 'expected an http:// or https:// URL' })
    .transform((v) => v.replace(/\/+$/, ''))
    .default(DEFAULTS.openaiBaseUrl),
  'openai-api-style': oneOf(API_STYLES).default('auto'),
  'openai-api-version': z
    .string()
    .regex(/^[0-9A-Za-z.-]+$/, { error: 'expected an API version like 2025-04-01-preview' })
    .optional(),
  'codex-auth-json': z
    .string()
    .refine(isJsonObject, { error: 'expected a JSON object (the contents of ~/.codex/auth.json)' })
    .optional(),
  'codex-access-token': z.string().optional(),
  'codex-home': z
    .string()
    .refine(isAbsolute, { error: 'expected an absolute path to a folder on the runner (outside the workspace)' })
    .transform((v) => resolve(v))
    .optional(),
  model: z.string().optional(),
  effort: oneOf(EFFORTS).optional(),
  'codex-version': z
    .string()
    .regex(/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/, { error: `expected a version like ${CODEX_VERSION}, or empty for the pinned version` })
    .optional(),
  'codex-path': z.string().optional(),
  'codex-config': codexConfig,
  'mcp-servers': mcpServers,
  'max-tokens': integer(1, 1_000_000_000).optional(),
  'max-turns': integer(1, 1000).optional(),
  'price-per-million': z
    .string()
    .regex(/^\d+(\.\d+)?\/\d+(\.\d+)?\/\d+(\.\d+)?$/, { error: 'expected input/cached/output prices in USD per million tokens, like 1.25/0.125/10' })
    .transform((v): Prices => {
      const [input, cached, output] = v.split('/').map(Number) as [number, number, number];
      return { input, cached, output };
    })
    .optional(),
  sandbox: oneOf(SANDBOX_MODES).optional(),
  'approval-policy': oneOf(APPROVAL_POLICIES)
    .transform((v): ApprovalPolicy => {
      if (v !== 'on-failure') return v;
      core.warning(
        "approval-policy 'on-failure' is no longer supported by the codex app-server; using 'on-request' instead.",
      );
      return 'on-request';
    })
    .default(DEFAULTS.approvalPolicy),
  'approvals-reviewer': oneOf(APPROVALS_REVIEWERS)
    .transform((v) => (v === 'guardian_subagent' ? 'auto_review' : v))
    .default(DEFAULTS.approvalsReviewer),
  'github-token': z.string().optional(),
  'working-directory': z.string().default('.'),
  prompt: z.string().optional(),
  'prompt-file': z.string().optional(),
  'timeout-minutes': z
    .string()
    .refine((v) => /^(\d+(\.\d*)?|\.\d+)$/.test(v) && Number(v) > 0 && Number(v) <= 360, {
      error: 'expected a number of minutes greater than 0 and at most 360',
    })
    .transform(Number)
    .default(DEFAULTS.timeoutMinutes),
  'pr-number': prNumbers,
  'max-parallel': integer(1, 16).default(DEFAULTS.maxParallel),
  'min-severity': severity().default(DEFAULTS.minSeverity),
  'fail-on-severity': severity().optional(),
  'max-comments': integer(0, 100).default(DEFAULTS.maxComments),
  verify: oneOf(VERIFY_MODES).default(DEFAULTS.verify),
  'min-confidence': z
    .string()
    .refine((v) => /^(0(\.\d+)?|1(\.0*)?|\.\d+)$/.test(v), { error: 'expected a number from 0 to 1' })
    .transform(Number)
    .default(DEFAULTS.minConfidence),
  'verify-suggestions': oneOf(VERIFY_SUGGESTIONS).default(DEFAULTS.verifySuggestions),
  'review-event': z
    .string()
    .transform((v) => v.toUpperCase().replace(/[-\s]/g, '_'))
    .refine((v) => v !== 'APPROVE', {
      error: 'expected COMMENT or REQUEST_CHANGES; this action never approves pull requests',
    })
    .pipe(z.enum(REVIEW_EVENTS, { error: 'expected one of COMMENT, REQUEST_CHANGES' }))
    .default(DEFAULTS.reviewEvent),
  paths: globList(),
  'paths-ignore': globList(),
  'test-command': z.string().optional(),
  'run-id': z
    .string()
    .refine((v) => /^\d+$/.test(v) && Number.isSafeInteger(Number(v)) && Number(v) > 0, {
      error: 'expected a workflow run id (a positive integer)',
    })
    .transform(Number)
    .optional(),
  'fix-branch-prefix': z
    .string()
    .refine(isRefFragment, {
      error:
        "expected the start of a git branch name (no spaces or control characters, none of ~ ^ : ? * [ \\, no '..', '@{', '//' or '/.', and not starting with '/', '-' or '.')",
    })
    .default(DEFAULTS.fixBranchPrefix),
  'fix-delivery': oneOf(FIX_DELIVERIES).default(DEFAULTS.fixDelivery),
  'base-branch': z.string().optional(),
  draft: boolean().default(DEFAULTS.draft),
  'max-attempts': integer(1, 5).default(DEFAULTS.maxAttempts),
  'open-unverified': boolean().default(DEFAULTS.openUnverified),
  'allow-forks': boolean().default(DEFAULTS.allowForks),
  'trigger-phrase': z.string().default(DEFAULTS.triggerPhrase),
  incremental: boolean().default(DEFAULTS.incremental),
  'resolve-threads': boolean().default(DEFAULTS.resolveThreads),
  'allow-users': loginList(),
  'allow-bots': loginList(),
  'resume-thread': z
    .string()
    .refine((v) => /^[0-9a-zA-Z][0-9a-zA-Z_-]{0,127}$/.test(v), { error: 'expected a Codex thread id (the thread-id output of an earlier run)' })
    .optional(),
  shard: z
    .string()
    .refine((v) => /^\d{1,3}\/\d{1,3}$/.test(v) && Number(v.split('/')[0]) >= 1 && Number(v.split('/')[0]) <= Number(v.split('/')[1]), {
      error: 'expected K/N, this job\'s shard K of N (from the plan job\'s matrix output, e.g. ${{ matrix.shard }})',
    })
    .transform((v): ShardSpec => ({ index: Number(v.split('/')[0]), count: Number(v.split('/')[1]) }))
    .optional(),
  'plan-id': z
    .string()
    .regex(/^[0-9a-f]{64}$/, { error: "expected the plan job's plan-id output (64 hex digits)" })
    .optional(),
  'max-shards': integer(1, 64).default(DEFAULTS.maxShards),
  'chunks-per-shard': integer(1, 1000).default(DEFAULTS.chunksPerShard),
};

export const INPUT_NAMES = Object.keys(inputFields) as (keyof typeof inputFields)[];

const NO_CREDENTIALS =
  "No credentials: set the 'openai-api-key' input (or OPENAI_API_KEY / CODEX_API_KEY in the environment), 'codex-access-token', 'codex-auth-json', or 'codex-home' (a folder where 'mode: login' stored a ChatGPT login).";

const inputsSchema = z
  .object({
    ...inputFields,
    // Not inputs: the parts of the environment the config depends on, so the one schema sees everything.
    env: z.object({
      OPENAI_API_KEY: z.string().optional(),
      CODEX_API_KEY: z.string().optional(),
      GITHUB_WORKSPACE: z.string().optional(),
      RUNNER_ENVIRONMENT: z.string().optional(),
      // The step's whole environment, where mcp-servers finds the variables it names.
      all: z.custom<NodeJS.ProcessEnv>(),
    }),
  })
  .superRefine(
    (raw, ctx) => {
      // Runs even when fields failed (`when`), so these problems are reported together with the others;
      // it only reads fields that have no validation of their own.
      if (raw.prompt !== undefined && raw['prompt-file'] !== undefined) {
        ctx.addIssue({ code: 'custom', message: "Inputs 'prompt' and 'prompt-file' are both set: use only one." });
      }
      const apiKey = raw['openai-api-key'] ?? raw.env.OPENAI_API_KEY ?? raw.env.CODEX_API_KEY;
      const home = raw['codex-home'];
      // The plan and the merge of a sharded review call no model: only its shards need credentials.
      const noModel = raw.mode === 'login' || raw.mode === 'plan' || raw.mode === 'merge';
      const accessToken = raw['codex-access-token'];
      if (apiKey === undefined && raw['codex-auth-json'] === undefined && home === undefined && accessToken === undefined && !noModel) {
        ctx.addIssue({ code: 'custom', message: NO_CREDENTIALS });
      }
      for (const problem of codexHomeProblems(raw)) ctx.addIssue({ code: 'custom', message: problem });
      if (accessToken !== undefined) {
        const others = [
          apiKey !== undefined && "an API key ('openai-api-key', or OPENAI_API_KEY / CODEX_API_KEY in the step's env)",
          raw['codex-auth-json'] !== undefined && "'codex-auth-json'",
          home !== undefined && "'codex-home' (its stored login would be overwritten)",
        ].filter(Boolean);
        if (others.length > 0) {
          ctx.addIssue({ code: 'custom', message: `Input 'codex-access-token' is set together with ${others.join(' and ')}: give one credential.` });
        }
      }
      for (const problem of shardProblems(raw)) ctx.addIssue({ code: 'custom', message: problem });
      const mcp = raw['mcp-servers'];
      const mcpNames = typeof mcp === 'object' && mcp !== null ? mcpEnvNames(mcp) : [];
      const exposed = unsandboxedCommands(raw);
      if (mcpNames.length > 0 && exposed) {
        ctx.addIssue({
          code: 'custom',
          message:
            `Input 'mcp-servers' gives MCP servers secrets (${mcpNames.join(', ')}), and ${exposed}. The secrets travel on the ` +
            "app-server's command line, which an unsandboxed command can read (/proc/<pid>/cmdline): keep the default sandbox " +
            'and approval settings for runs with MCP secrets, or give the servers no secrets.',
        });
      }
      for (const name of mcpNames) {
        if (!raw.env.all[name]) {
          ctx.addIssue({
            code: 'custom',
            message: `Input 'mcp-servers' names the environment variable ${name}, which is empty or not set: set it in the step's env.`,
          });
        }
      }
    },
    { when: () => true },
  )
  .transform((raw): RunOptions => {
    const workingDirectory = resolve(raw.env.GITHUB_WORKSPACE ?? process.cwd(), raw['working-directory']);
    const promptFile = raw['prompt-file'];
    return {
      mode: raw.mode,
      openaiApiKey: raw['openai-api-key'] ?? raw.env.OPENAI_API_KEY ?? raw.env.CODEX_API_KEY,
      openaiBaseUrl: raw['openai-base-url'],
      openaiGateway: gatewayFor(raw['openai-base-url'], raw['openai-api-style'], raw['openai-api-version']),
      mcpServers: resolveMcpServers(raw['mcp-servers'], raw.env.all),
      maxTokens: raw['max-tokens'],
      maxTurns: raw['max-turns'],
      pricePerMillion: raw['price-per-million'],
      codexAuthJson: raw['codex-auth-json'],
      codexAccessToken: raw['codex-access-token'],
      codexHome: raw['codex-home'],
      model: raw.model,
      effort: raw.effort,
      codexVersion: raw['codex-version'],
      codexPath: raw['codex-path'],
      codexConfig: raw['codex-config'],
      sandbox: raw.sandbox,
      approvalPolicy: raw['approval-policy'],
      approvalsReviewer: raw['approvals-reviewer'],
      githubToken: raw['github-token'],
      workingDirectory,
      prompt: raw.prompt,
      promptFile: promptFile === undefined ? undefined : resolve(workingDirectory, promptFile),
      timeoutMinutes: raw['timeout-minutes'],
      prNumbers: raw['pr-number'],
      maxParallel: raw['max-parallel'],
      minSeverity: raw['min-severity'],
      failOnSeverity: raw['fail-on-severity'],
      maxComments: raw['max-comments'],
      verify: raw.verify,
      minConfidence: raw['min-confidence'],
      verifySuggestions: raw['verify-suggestions'],
      reviewEvent: raw['review-event'],
      paths: raw.paths,
      pathsIgnore: raw['paths-ignore'],
      testCommand: raw['test-command'],
      runId: raw['run-id'],
      fixBranchPrefix: raw['fix-branch-prefix'],
      fixDelivery: raw['fix-delivery'],
      baseBranch: raw['base-branch'],
      draft: raw.draft,
      maxAttempts: raw['max-attempts'],
      openUnverified: raw['open-unverified'],
      allowForks: raw['allow-forks'],
      triggerPhrase: raw['trigger-phrase'],
      incremental: raw.incremental,
      resolveThreads: raw['resolve-threads'],
      allowUsers: raw['allow-users'],
      allowBots: raw['allow-bots'],
      resumeThread: raw['resume-thread'],
      shard: raw.shard,
      planId: raw['plan-id'],
      maxShards: raw['max-shards'],
      chunksPerShard: raw['chunks-per-shard'],
    };
  });

interface RawForChecks {
  mode?: unknown;
  shard?: unknown;
  'plan-id'?: unknown;
  sandbox?: unknown;
  'approval-policy'?: unknown;
  'approvals-reviewer'?: unknown;
  'codex-home'?: unknown;
  'codex-auth-json'?: unknown;
  'working-directory'?: unknown;
  env: { GITHUB_WORKSPACE?: string; RUNNER_ENVIRONMENT?: string };
}

/**
 * Why the agent could run commands outside the sandbox with these inputs, or undefined: `danger-full-access`, or
 * `on-request` with the automatic reviewer, whose approved commands run unsandboxed (the action declines all others).
 */
function unsandboxedCommands(raw: RawForChecks): string | undefined {
  if (raw.sandbox === 'danger-full-access') return "'sandbox' is danger-full-access (the agent's commands run unsandboxed)";
  if (raw['approval-policy'] === 'on-request' && raw['approvals-reviewer'] === 'auto_review') {
    return "'approval-policy: on-request' with 'approvals-reviewer: auto_review' lets approved commands run unsandboxed";
  }
  return undefined;
}

/** The jobs of a sharded review need the plan job's plan-id; a shard is a review job (see modes/review/shard/). */
function shardProblems(raw: RawForChecks): string[] {
  const problems: string[] = [];
  if (raw.shard !== undefined && raw.mode !== 'review') {
    problems.push("Input 'shard' is set, so 'mode' must be review: a shard is one job of the review matrix (mode plan makes the matrix, mode merge posts the review).");
  }
  const needsPlan = raw.shard !== undefined ? "'shard'" : raw.mode === 'merge' ? "'mode: merge'" : undefined;
  if (needsPlan && raw['plan-id'] === undefined) {
    problems.push(`${needsPlan} needs 'plan-id': pass the plan job's output, e.g. plan-id: \${{ needs.plan.outputs.plan-id }}.`);
  }
  return problems;
}

/** What makes `codex-home` (or `mode: login`) unusable, reported with the other input problems. */
function codexHomeProblems(raw: RawForChecks): string[] {
  const home = typeof raw['codex-home'] === 'string' ? raw['codex-home'] : undefined;
  const problems: string[] = [];
  if (raw.mode === 'login' && raw['codex-home'] === undefined) {
    problems.push("'mode: login' stores a ChatGPT login for later runs: set 'codex-home' to a folder on this self-hosted runner.");
  }
  if (raw.mode === 'login' && raw.env.RUNNER_ENVIRONMENT === 'github-hosted') {
    problems.push(
      "'mode: login' runs on a GitHub-hosted runner (RUNNER_ENVIRONMENT=github-hosted), whose disk is discarded when the job " +
        "ends, so the login would be lost: run it on the self-hosted runner that runs the later jobs ('runs-on: self-hosted').",
    );
  }
  if (home !== undefined && raw['codex-auth-json'] !== undefined) {
    problems.push(
      "Inputs 'codex-home' and 'codex-auth-json' are both set: the action does not write an auth.json over the login kept in " +
        "'codex-home'. Use one of them.",
    );
  }
  const workspace = raw.env.GITHUB_WORKSPACE;
  const inside = (dir: string) => {
    const rel = relative(dir, home!);
    return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
  };
  const workdir = typeof raw['working-directory'] === 'string' ? resolve(workspace ?? process.cwd(), raw['working-directory']) : undefined;
  if (home !== undefined && [workspace, workdir].some((dir) => dir !== undefined && inside(dir))) {
    problems.push(`'codex-home' (${home}) is inside the workspace, where the agent can write: use a folder outside it, e.g. /home/runner/.codex-ci.`);
  }
  return problems;
}

/** Trimmed; an empty value counts as not given, as with core.getInput. */
function readValue(env: NodeJS.ProcessEnv, key: string): string | undefined {
  const value = env[key]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

// Tokens inside auth.json are secrets in their own right: a log line may show one without the rest of the file.
function stringsIn(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(stringsIn);
  if (typeof value === 'object' && value !== null) return Object.values(value).flatMap(stringsIn);
  return [];
}

function authJsonSecrets(authJson: string | undefined): string[] {
  if (authJson === undefined) return [];
  try {
    return stringsIn(JSON.parse(authJson)).filter((s) => s.length > 8);
  } catch {
    // Invalid JSON is reported by the schema; the whole value is masked on its own.
    return [];
  }
}

function maskSecrets(raw: Record<string, string | undefined>, envKeys: (string | undefined)[]): void {
  const secrets = [raw['openai-api-key'], raw['github-token'], raw['codex-auth-json'], raw['codex-access-token'], ...envKeys, ...authJsonSecrets(raw['codex-auth-json'])];
  for (const secret of secrets) if (secret !== undefined) core.setSecret(secret);
}

/**
 * Every secret of the run, for redacting what the action posts and keeping it out of the agent's environment:
 * the API key, the token, the auth.json text and each token inside it (a reply may quote one alone).
 */
export function secretsOf(inputs: RunOptions): string[] {
  const all = [inputs.openaiApiKey, inputs.githubToken, inputs.codexAuthJson, inputs.codexAccessToken, ...authJsonSecrets(inputs.codexAuthJson), ...mcpSecrets(inputs.mcpServers)];
  return [...new Set(all.filter((s): s is string => !!s))];
}

function quote(value: string): string {
  const shown = value.length > 200 ? `${value.slice(0, 200)}…` : value;
  return JSON.stringify(shown);
}

/** One line per bad input (its problems joined), then the problems that belong to no single input. */
function describeIssues(issues: readonly z.core.$ZodIssue[], raw: Record<string, string | undefined>): string {
  const byInput = new Map<string, string[]>();
  const general: string[] = [];
  for (const issue of issues) {
    const name = issue.path[0];
    if (typeof name === 'string' && name in raw) {
      byInput.set(name, [...(byInput.get(name) ?? []), issue.message]);
    } else {
      general.push(issue.message);
    }
  }
  const lines = [...byInput].map(([name, messages]) => {
    const value = raw[name];
    const shown = value === undefined ? '(empty)' : SECRET_INPUTS.has(name) ? '(hidden)' : quote(value);
    return `Input '${name}' has value ${shown}: ${messages.join('; ')}.`;
  });
  return [...lines, ...general].join('\n');
}

/**
 * Reads the action's inputs from `env` (INPUT_<NAME> with hyphens kept, as the runner sets them).
 * Masks every secret first, then validates; throws one InputError listing every problem.
 */
export function readInputs(env: NodeJS.ProcessEnv = process.env): RunOptions {
  const raw: Record<string, string | undefined> = {};
  for (const name of INPUT_NAMES) raw[name] = readValue(env, `INPUT_${name.replace(/ /g, '_').toUpperCase()}`);
  const envPart = {
    OPENAI_API_KEY: readValue(env, 'OPENAI_API_KEY'),
    CODEX_API_KEY: readValue(env, 'CODEX_API_KEY'),
    GITHUB_WORKSPACE: readValue(env, 'GITHUB_WORKSPACE'),
    RUNNER_ENVIRONMENT: readValue(env, 'RUNNER_ENVIRONMENT'),
    all: env,
  };
  maskSecrets(raw, [envPart.OPENAI_API_KEY, envPart.CODEX_API_KEY]);

  const result = inputsSchema.safeParse({ ...raw, env: envPart });
  if (!result.success) throw new InputError(describeIssues(result.error.issues, raw));
  for (const secret of mcpSecrets(result.data.mcpServers)) core.setSecret(secret);
  return result.data;
}
