// The CLI's flags (node:util parseArgs) → a typed command; a usage mistake is a UsageError (exit 2) with one line.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { API_STYLES, type ApiStyleInput } from '../base/codex/gateway.js';
import { EFFORTS, SEVERITIES, type Severity } from '../base/options.js';

export const FORMATS = ['text', 'markdown', 'json', 'sarif'] as const;
export type Format = (typeof FORMATS)[number];

/** A mistake in how the CLI was called: printed as one line plus a pointer to --help, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Flags every command takes: the model and how to reach it. */
export interface ModelFlags {
  model: string | undefined;
  effort: (typeof EFFORTS)[number] | undefined;
  codexPath: string | undefined;
  baseUrl: string | undefined;
  apiStyle: ApiStyleInput;
  apiVersion: string | undefined;
  timeoutMinutes: number | undefined;
}

export interface ReviewCommand extends ModelFlags {
  command: 'review';
  base: string | undefined;
  head: string | undefined;
  workingTree: boolean;
  pr: number | undefined;
  repo: string | undefined;
  post: boolean;
  format: Format;
  output: string | undefined;
  minSeverity: Severity | undefined;
  failOn: Severity | undefined;
  paths: string[];
  pathsIgnore: string[];
}

export interface FixCommand extends ModelFlags {
  command: 'fix';
  /** The test command, argv after `--`. */
  argv: string[];
  patch: string | undefined;
  maxAttempts: number | undefined;
}

export type Command = ReviewCommand | FixCommand | { command: 'help'; topic?: 'review' | 'fix' } | { command: 'version' };

const MODEL_OPTIONS = {
  model: { type: 'string' },
  effort: { type: 'string' },
  'codex-path': { type: 'string' },
  'base-url': { type: 'string' },
  'api-style': { type: 'string' },
  'api-version': { type: 'string' },
  'timeout-minutes': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

const REVIEW_OPTIONS = {
  ...MODEL_OPTIONS,
  base: { type: 'string' },
  head: { type: 'string' },
  'working-tree': { type: 'boolean' },
  pr: { type: 'string' },
  repo: { type: 'string' },
  post: { type: 'boolean' },
  format: { type: 'string', short: 'f' },
  output: { type: 'string', short: 'o' },
  'min-severity': { type: 'string' },
  'fail-on': { type: 'string' },
  paths: { type: 'string', multiple: true },
  'paths-ignore': { type: 'string', multiple: true },
} as const satisfies ParseArgsConfig['options'];

const FIX_OPTIONS = {
  ...MODEL_OPTIONS,
  patch: { type: 'string' },
  'max-attempts': { type: 'string' },
} as const satisfies ParseArgsConfig['options'];

/** Reads argv (without node and the script). */
export function parseCommand(argv: readonly string[]): Command {
  const [first, ...rest] = argv;
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    return { command: 'help', topic: rest[0] === 'review' || rest[0] === 'fix' ? rest[0] : undefined };
  }
  if (first === '--version' || first === '-V' || first === 'version') return { command: 'version' };
  if (first === 'review') return parseReview(rest);
  if (first === 'fix') return parseFix(rest);
  throw new UsageError(first.startsWith('-') ? `unknown option '${first}' (give a command first: review or fix)` : `unknown command '${first}' (commands: review, fix)`);
}

function parse<T extends NonNullable<ParseArgsConfig['options']>>(args: readonly string[], options: T, allowPositionals: boolean) {
  try {
    return parseArgs({ args: [...args], options, allowPositionals, strict: true });
  } catch (error) {
    // parseArgs's own words name the flag ("Unknown option '--foo'"); keep them, on one line.
    throw new UsageError((error as Error).message.split('\n')[0]!.replace(/\. To specify a positional argument.*$/, ''));
  }
}

function parseReview(args: readonly string[]): Command {
  const { values, positionals } = parse(args, REVIEW_OPTIONS, true);
  if (values.help) return { command: 'help', topic: 'review' };
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}' (review takes flags only)`);
  if (values['working-tree'] && values.head !== undefined) throw new UsageError('--head and --working-tree are exclusive: review a commit or the working tree, not both');
  const pr = values.pr === undefined ? undefined : positiveInteger('--pr', values.pr.replace(/^#/, ''));
  if (pr !== undefined && (values.head !== undefined || values['working-tree'] || values.base !== undefined)) {
    throw new UsageError('--pr reads the pull request from GitHub: it takes no --base, --head or --working-tree');
  }
  if (values.post && pr === undefined) throw new UsageError('--post needs --pr NUMBER: only a pull request can be posted to');
  if (values.repo !== undefined && !/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(values.repo)) throw new UsageError(`--repo expects OWNER/NAME, not '${values.repo}'`);
  return {
    command: 'review',
    ...modelFlags(values),
    base: values.base,
    head: values.head,
    workingTree: values['working-tree'] ?? false,
    pr,
    repo: values.repo,
    post: values.post ?? false,
    format: oneOf('--format', values.format ?? 'text', FORMATS),
    output: values.output,
    minSeverity: values['min-severity'] === undefined ? undefined : oneOf('--min-severity', values['min-severity'], SEVERITIES),
    failOn: values['fail-on'] === undefined ? undefined : oneOf('--fail-on', values['fail-on'], SEVERITIES),
    paths: values.paths ?? [],
    pathsIgnore: values['paths-ignore'] ?? [],
  };
}

function parseFix(args: readonly string[]): Command {
  const dash = args.indexOf('--');
  const flags = dash === -1 ? args : args.slice(0, dash);
  const { values, positionals } = parse(flags, FIX_OPTIONS, true);
  if (values.help) return { command: 'help', topic: 'fix' };
  const argv = dash === -1 ? positionals : [...positionals, ...args.slice(dash + 1)];
  if (argv.length === 0) throw new UsageError('fix needs the test command to run: codex-ci fix -- npm test');
  return {
    command: 'fix',
    ...modelFlags(values),
    argv,
    patch: values.patch,
    maxAttempts: values['max-attempts'] === undefined ? undefined : boundedInteger('--max-attempts', values['max-attempts'], 1, 5),
  };
}

function modelFlags(values: { [K in keyof typeof MODEL_OPTIONS]?: string | boolean }): ModelFlags {
  const text = (v: string | boolean | undefined) => (typeof v === 'string' ? v : undefined);
  const baseUrl = text(values['base-url']);
  if (baseUrl !== undefined && !/^https?:\/\/[^\s/]+/.test(baseUrl)) throw new UsageError(`--base-url expects an http(s) URL, not '${baseUrl}'`);
  const minutes = text(values['timeout-minutes']);
  const timeoutMinutes = minutes === undefined ? undefined : Number(minutes);
  if (timeoutMinutes !== undefined && !(timeoutMinutes > 0 && timeoutMinutes <= 360)) throw new UsageError(`--timeout-minutes expects minutes greater than 0 and at most 360, not '${minutes}'`);
  const effort = text(values.effort);
  return {
    model: text(values.model),
    effort: effort === undefined ? undefined : oneOf('--effort', effort, EFFORTS),
    codexPath: text(values['codex-path']),
    baseUrl: baseUrl?.replace(/\/+$/, ''),
    apiStyle: oneOf('--api-style', text(values['api-style']) ?? 'auto', API_STYLES),
    apiVersion: text(values['api-version']),
    timeoutMinutes,
  };
}

function oneOf<const T extends readonly string[]>(flag: string, value: string, allowed: T): T[number] {
  const v = value.toLowerCase();
  if (!(allowed as readonly string[]).includes(v)) throw new UsageError(`${flag} expects one of ${allowed.join(', ')}, not '${value}'`);
  return v as T[number];
}

function positiveInteger(flag: string, value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1 || !Number.isSafeInteger(Number(value))) throw new UsageError(`${flag} expects a positive integer, not '${value}'`);
  return Number(value);
}

function boundedInteger(flag: string, value: string, min: number, max: number): number {
  const n = positiveInteger(flag, value);
  if (n < min || n > max) throw new UsageError(`${flag} expects a number from ${min} to ${max}, not '${value}'`);
  return n;
}
