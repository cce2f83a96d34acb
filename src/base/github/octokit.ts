// The one place the action builds its GitHub client: REST + pagination + GraphQL, 5xx retries and rate-limit throttling.
import { retry } from '@octokit/plugin-retry';
import { throttling, type ThrottlingOptions } from '@octokit/plugin-throttling';
import { Octokit } from '@octokit/rest';
import { bound, GITHUB_BODY_MAX_CHARS } from '../text/bounds.js';
import { GitHubRequestError, type GitHubRequestInfo } from './errors.js';
import { log } from '../log.js';

const PluggedOctokit = Octokit.plugin(retry, throttling);

/** The GitHub client type every API call in the action goes through. */
export type GitHub = InstanceType<typeof PluggedOctokit>;

/** Options for createOctokit; everything has a production default. */
export interface CreateOctokitOptions {
  /** REST root (the shells pass GITHUB_API_URL, so GitHub Enterprise Server works); default https://api.github.com. */
  baseUrl?: string;
  /**
   * GraphQL endpoint (GITHUB_GRAPHQL_URL, e.g. https://HOST/api/graphql on GitHub Enterprise Server); default:
   * Octokit's own choice from baseUrl.
   */
  graphqlUrl?: string;
  /** Prefix of the User-Agent header (Octokit appends its own). */
  userAgent?: string;
  /**
   * Milliseconds that one second of GitHub-prescribed waiting (retry-after, backoff, write pacing) takes.
   * 1000 for real; tests pass 0 or 1. Defaults to CODEX_CI_GITHUB_TIME_UNIT_MS, else 1000.
   */
  timeUnitMs?: number;
}

/** Environment override for timeUnitMs, for tests that reach createOctokit through other code or a child process. */
export const TIME_UNIT_ENV = 'CODEX_CI_GITHUB_TIME_UNIT_MS';

// Rate-limit answers are retried this often; after that the caller sees the 403/429.
const MAX_RATE_LIMIT_RETRIES = 2;
// A primary rate limit can reset up to an hour away; sitting idle that long burns runner minutes for nothing.
const MAX_RATE_LIMIT_WAIT_SECONDS = 600;
// 5xx and network errors: GitHub's are usually transient, but a real outage should fail the step soon.
const MAX_SERVER_ERROR_RETRIES = 2;
// The retry plugin's default list, plus 429: rate limits belong to the throttling plugin, not to both.
const DO_NOT_RETRY = [400, 401, 403, 404, 410, 422, 429, 451];

/** Builds an authenticated Octokit with retry and throttling; the token goes only into the auth header. */
export function createOctokit(token: string, opts: CreateOctokitOptions = {}): GitHub {
  const unit = timeUnit(opts.timeUnitMs);
  const throttle: ThrottlingOptions = {
    retryAfterBaseValue: unit,
    onRateLimit: (retryAfter, options, _octokit, retryCount) =>
      shouldRetryRateLimit('Rate limit', retryAfter, options, retryCount),
    onSecondaryRateLimit: (retryAfter, options, _octokit, retryCount) =>
      shouldRetryRateLimit('Secondary rate limit', retryAfter, options, retryCount),
  };
  // The plugin spaces writes 1 s apart and notifying writes 3 s apart through process-wide limiters;
  // those only scale with the time unit if we hand it our own.
  if (unit !== 1000) {
    throttle.write = pacedGroup(1 * unit) as unknown as NonNullable<ThrottlingOptions['write']>;
    throttle.notifications = pacedGroup(3 * unit) as unknown as NonNullable<ThrottlingOptions['notifications']>;
  }
  const baseUrl = stripTrailingSlash(opts.baseUrl ?? 'https://api.github.com');
  const octokit = new PluggedOctokit({
    auth: token,
    baseUrl,
    userAgent: opts.userAgent ?? 'codex-ci-action',
    retry: { retries: MAX_SERVER_ERROR_RETRIES, retryAfterBaseValue: unit, doNotRetry: DO_NOT_RETRY },
    throttle,
    // Per-request lines (including expected 404s) are debug noise, not annotations. Octokit's debug call with
    // extra arguments carries the request options, auth header included, and says nothing else: skipped.
    log: {
      debug: (message: string, ...rest: unknown[]) => {
        if (rest.length === 0) log.debug(message);
      },
      info: (message: string) => log.debug(message),
      warn: (message: string) => log.warning(message),
      error: (message: string) => log.debug(message),
    },
  });
  const graphqlUrl = opts.graphqlUrl;
  if (graphqlUrl) {
    // Octokit derives the GraphQL URL from baseUrl (and rewrites it when baseUrl ends in /api/v3), so an explicit
    // endpoint needs both: an absolute url, and a baseUrl its GHES rewrite does not match. Hooks (auth, retry,
    // throttling) are kept by defaults().
    const url = stripTrailingSlash(graphqlUrl);
    octokit.graphql = octokit.graphql.defaults({ baseUrl: url, url });
  }
  // Registered after the plugins, so it wraps them: it sees each request's final failure, after the retries, and
  // turns it into one message that says where (method, path, API URL), what GitHub said and what to do.
  octokit.hook.wrap('request', async (request, options) => {
    try {
      boundBodies(options);
      return await request(options);
    } catch (error) {
      if (error instanceof GitHubRequestError) throw error;
      throw new GitHubRequestError(error, requestOf(error, options, baseUrl), baseUrl);
    }
  });
  return octokit;
}

// The last guard for what is posted: a body over GitHub's limit would be refused whole (422), so it is cut with a
// visible note instead. Composed texts are bounded before this (keeping their hidden markers); this catches the rest.
// In place: the hooks of one request share its options object (each hook is bound to it, not handed a new one).
function boundBodies(options: Record<string, unknown>): void {
  const cut = (text: string) => bound(text, GITHUB_BODY_MAX_CHARS, '\n\n… (cut short: GitHub limits the length of a body)');
  if (typeof options.body === 'string' && options.body.length > GITHUB_BODY_MAX_CHARS) options.body = cut(options.body);
  if (Array.isArray(options.comments) && options.comments.some(isLongComment)) {
    options.comments = options.comments.map((c: unknown) => (isLongComment(c) ? { ...c, body: cut(c.body) } : c));
  }
}

function isLongComment(c: unknown): c is { body: string } {
  return typeof c === 'object' && c !== null && typeof (c as { body?: unknown }).body === 'string' && (c as { body: string }).body.length > GITHUB_BODY_MAX_CHARS;
}

// The failed request as the user should see it: method and path under the API root, without the query (a log
// download's redirect carries a signature there).
function requestOf(error: unknown, options: { method?: string; url?: string }, baseUrl: string): GitHubRequestInfo {
  const sent = (error as { request?: { method?: unknown; url?: unknown } } | null)?.request;
  const method = typeof sent?.method === 'string' ? sent.method : (options.method ?? 'GET');
  const url = typeof sent?.url === 'string' ? sent.url : (options.url ?? '');
  const path = (url.startsWith(baseUrl) ? url.slice(baseUrl.length) : url).split('?')[0] || '/';
  return { method: method.toUpperCase(), path };
}

function shouldRetryRateLimit(
  kind: string,
  retryAfter: number,
  options: { method: string; url: string },
  retryCount: number,
): boolean {
  const retrying = retryCount < MAX_RATE_LIMIT_RETRIES && retryAfter <= MAX_RATE_LIMIT_WAIT_SECONDS;
  log.warning(
    `${kind} hit on ${options.method} ${options.url}; ` +
      (retrying ? `retrying after ${retryAfter}s (retry ${retryCount + 1} of ${MAX_RATE_LIMIT_RETRIES})` : `giving up (retry-after ${retryAfter}s)`),
  );
  return retrying;
}

function timeUnit(explicit: number | undefined): number {
  if (explicit !== undefined && Number.isFinite(explicit) && explicit >= 0) return explicit;
  const fromEnv = process.env[TIME_UNIT_ENV];
  if (fromEnv !== undefined && fromEnv.trim() !== '') {
    const parsed = Number(fromEnv);
    if (Number.isFinite(parsed) && parsed >= 0) return parsed;
  }
  return 1000;
}

function stripTrailingSlash(url: string): string {
  // Octokit joins baseUrl and '/repos/…' verbatim; a trailing slash would give '//repos'.
  return url.replace(/\/+$/, '');
}

// The slice of Bottleneck.Group the throttling plugin uses for write pacing: key(id).schedule(options, fn, ...args),
// starting jobs at least minTimeMs apart.
function pacedGroup(minTimeMs: number) {
  const limiters = new Map<string, { schedule: (...args: unknown[]) => Promise<unknown> }>();
  return {
    key(id = '') {
      let limiter = limiters.get(id);
      if (!limiter) {
        let nextStart = 0;
        limiter = {
          async schedule(...args: unknown[]) {
            const at = args.findIndex((a) => typeof a === 'function');
            const fn = args[at] as (...fnArgs: unknown[]) => unknown;
            const now = Date.now();
            const start = Math.max(now, nextStart);
            nextStart = start + minTimeMs;
            if (start > now) await new Promise((resolve) => setTimeout(resolve, start - now));
            return fn(...args.slice(at + 1));
          },
        };
        limiters.set(id, limiter);
      }
      return limiter;
    },
  };
}
