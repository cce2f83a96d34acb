// The one place a failed GitHub API request becomes a user message: the request, the API URL, GitHub's words, what to do.
import { z } from 'zod';

/** GitHub's documentation of the token's permissions (what a 403 usually comes down to). */
export const TOKEN_PERMISSIONS_DOCS = 'https://docs.github.com/actions/security-for-github-actions/security-guides/automatic-token-authentication';

/** The request an error belongs to, as the Octokit request hook sees it. */
export interface GitHubRequestInfo {
  method: string;
  /** The request's path without the query, e.g. /repos/octo/demo/pulls/5/reviews. */
  path: string;
}

/**
 * A GitHub API request that failed, with a message that says where (method, path, API URL), what GitHub said or why
 * no answer came, and what to do. Keeps `status` and `response` of the Octokit error, so code that branches on them
 * works unchanged; the original error is the `cause`.
 */
export class GitHubRequestError extends Error {
  override name = 'GitHubRequestError';
  /** The HTTP status; Octokit's 500 for a request that got no answer (see `answered`). */
  readonly status: number;
  /** False when the request got no HTTP answer (network failure, refused connection, bad URL). */
  readonly answered: boolean;
  readonly response: unknown;
  readonly request: GitHubRequestInfo;
  readonly apiUrl: string;
  /** GitHub's own message and the texts of its `errors` list (or the network cause), as it said them. */
  readonly remote: string;

  constructor(cause: unknown, request: GitHubRequestInfo, apiUrl: string) {
    const info = readRequestError(cause);
    super(describe(info, request, apiUrl), { cause });
    this.status = info.status ?? 500;
    this.answered = info.status !== undefined;
    this.response = (cause as { response?: unknown } | null)?.response;
    this.request = request;
    this.apiUrl = apiUrl;
    this.remote = info.said;
  }
}

/** What GitHub said about a failed request: status (undefined without an answer), message and its `errors` texts. */
export interface GitHubErrorInfo {
  status: number | undefined;
  /** GitHub's message (or, without an answer, the network cause). */
  message: string;
  details: string[];
  /** message and details in one line, as GitHub said them. */
  said: string;
  /** `METHOD /path` of the request, when the error came through the action's Octokit. */
  request: string | undefined;
  /** The `x-accepted-github-permissions` header: the permissions GitHub says the endpoint needs. */
  acceptedPermissions: string | undefined;
  /** The whole user message: request, API URL, status, GitHub's words and what to do (the error's message). */
  summary: string;
}

/** Reads any error of a GitHub call: what GitHub said, and the one user message for it. */
export function githubErrorInfo(error: unknown): GitHubErrorInfo {
  const target = error instanceof GitHubRequestError ? error.cause : error;
  const info = readRequestError(target);
  const summary = error instanceof Error ? error.message : String(error);
  const request = error instanceof GitHubRequestError ? `${error.request.method} ${error.request.path}` : undefined;
  const headers = (target as { response?: { headers?: Record<string, unknown> } } | null)?.response?.headers;
  const accepted = headers?.['x-accepted-github-permissions'];
  return {
    status: info.status,
    message: info.message,
    details: info.details,
    said: info.said,
    request,
    acceptedPermissions: typeof accepted === 'string' && accepted.trim() !== '' ? accepted.trim() : undefined,
    summary,
  };
}

const errorResponseSchema = z.object({
  response: z.object({
    status: z.number().optional(),
    data: z
      .union([
        z
          .object({
            message: z.string().optional(),
            errors: z
              .array(z.union([z.string(), z.object({ message: z.string().optional(), field: z.string().optional(), code: z.string().optional() }).loose()]))
              .optional(),
            documentation_url: z.string().optional(),
          })
          .loose(),
        z.string(),
      ])
      .optional(),
  }),
});

interface ReadError {
  /** Undefined when no HTTP answer came. */
  status: number | undefined;
  message: string;
  details: string[];
  documentationUrl: string | undefined;
  /** message and details in one line, as GitHub said them. */
  said: string;
}

// Octokit's RequestError for a fetch that failed carries status 500 but no response; the cause is the network error.
function readRequestError(error: unknown): ReadError {
  const parsed = errorResponseSchema.safeParse(error);
  const status =
    parsed.success && typeof error === 'object' && error !== null && 'status' in error && typeof error.status === 'number'
      ? error.status
      : parsed.success
        ? parsed.data.response.status
        : undefined;
  const data = parsed.success ? parsed.data.response.data : undefined;
  if (parsed.success && typeof data === 'object') {
    const details = (data.errors ?? []).map((e) =>
      typeof e === 'string' ? e : [e.field, e.message ?? e.code].filter((s) => s !== undefined).join(' '),
    );
    const message = data.message ?? (error instanceof Error ? error.message : String(error));
    return { status, message, details, documentationUrl: data.documentation_url, said: [message, ...details].join('; ') };
  }
  if (parsed.success) {
    const message = typeof data === 'string' && data.trim() !== '' ? oneLine(data) : error instanceof Error ? error.message : String(error);
    return { status, message, details: [], documentationUrl: undefined, said: message };
  }
  const message = networkCause(error);
  return { status: undefined, message, details: [], documentationUrl: undefined, said: message };
}

// fetch's own TypeError says only "fetch failed"; the reason (ECONNREFUSED, ENOTFOUND, "bad port", a TLS error) is
// in its cause, which Octokit keeps as the RequestError's cause.
// Texts that say nothing: fetch's own "fetch failed" and Octokit's stand-in when the cause is not an Error of its realm.
const PLACEHOLDERS = new Set(['fetch failed', 'Unknown Error']);

function networkCause(error: unknown): string {
  const said: string[] = [];
  let code: string | undefined;
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current !== undefined && current !== null; depth++) {
    // Duck-typed: fetch's errors may come from another realm than this module's Error.
    const message = (current as { message?: unknown }).message;
    const text = typeof message === 'string' ? message : typeof current === 'string' ? current : '';
    if (text !== '' && !PLACEHOLDERS.has(text) && !said.includes(text)) said.push(text);
    const c = (current as { code?: unknown }).code;
    if (typeof c === 'string') code ??= c;
    current = (current as { cause?: unknown }).cause;
  }
  const text = said.join(': ') || String(error);
  return code && !text.includes(code) ? `${text} (${code})` : text;
}

function oneLine(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}

/** The user message of a failed request. */
function describe(info: ReadError, request: GitHubRequestInfo, apiUrl: string): string {
  const where = `${request.method} ${request.path}`;
  if (info.status === undefined) {
    return (
      `Could not reach the GitHub API at ${apiUrl} (GITHUB_API_URL) for ${where}: ${info.said}. ` +
      'Check that GITHUB_API_URL is the API root of your GitHub (https://api.github.com, or https://HOST/api/v3 on ' +
      'GitHub Enterprise Server; the runner sets it) and that the runner can reach it (proxy, firewall, DNS).'
    );
  }
  const doc = info.documentationUrl ? ` (${info.documentationUrl})` : '';
  const head = `GitHub answered ${info.status} to ${where} at ${apiUrl} (GITHUB_API_URL): ${info.said}${doc}.`;
  const todo = whatToDo(info, request);
  return todo ? `${head} ${todo}` : head;
}

// Only what the status and GitHub's own words support; a 422's words are the whole story.
function whatToDo(info: ReadError, request: GitHubRequestInfo): string | undefined {
  const said = info.said.toLowerCase();
  if (said.includes('rate limit')) return 'GitHub limits how fast a token may call it: re-run the job later.';
  switch (info.status) {
    case 401:
      return "GitHub did not accept the token: check the 'github-token' input (a token that expired or was revoked, or one for another GitHub host).";
    case 403: {
      // A 403 is also GitHub refusing for other reasons (a repository setting, a blocked user): the hint only
      // follows GitHub's words about access.
      if (!/not accessible|permission|must have|forbidden|read-only|write access/.test(said)) return undefined;
      const permission = permissionFor(request);
      const fork = request.method !== 'GET' ? ' A pull request from a fork gets a read-only token on pull_request events.' : '';
      return (
        `The token may not do this${permission ? `: it needs ${permission}` : ''}. Grant it in the workflow's or job's ` +
        `'permissions:' (or use a token that has it).${fork} See ${TOKEN_PERMISSIONS_DOCS}.`
      );
    }
    case 404:
      return 'GitHub says it does not exist, or the token cannot see it: check the repository and number, and the token\'s access to private repositories.';
    default:
      return info.status !== undefined && info.status >= 500
        ? 'GitHub failed to answer (retried already); re-run the job later. On GitHub Enterprise Server, ask its administrators.'
        : undefined;
  }
}

// The permission GitHub's REST docs list for the requests this action makes, by method and path.
const PERMISSIONS: Array<[method: RegExp, path: RegExp, permission: string]> = [
  [/^(POST|PUT|PATCH|DELETE)$/, /\/pulls\/\d+\/(reviews|comments)/, "'pull-requests: write'"],
  [/^(POST|PATCH|DELETE)$/, /\/issues\/(\d+\/)?comments/, "'pull-requests: write' (or 'issues: write')"],
  [/^(POST|PATCH)$/, /\/pulls(\/\d+)?$/, "'pull-requests: write'"],
  [/^GET$/, /\/actions\//, "'actions: read'"],
  [/^GET$/, /\/(contents|pulls)(\/|$)/, "'contents: read' and 'pull-requests: read'"],
  [/^(POST|PUT|PATCH|DELETE)$/, /\/git\/|\/contents\//, "'contents: write'"],
];

function permissionFor(request: GitHubRequestInfo): string | undefined {
  return PERMISSIONS.find(([method, path]) => method.test(request.method) && path.test(request.path))?.[2];
}
