// The one place the action builds its GitHub client: REST + pagination + GraphQL, 5xx retries and rate-limit throttling.
import * as core from '@actions/core';
import { retry } from '@octokit/plugin-retry';
import { throttling, type ThrottlingOptions } from '@octokit/plugin-throttling';
import { Octokit } from '@octokit/rest';

const PluggedOctokit = Octokit.plugin(retry, throttling);

/** The GitHub client type every API call in the action goes through. */
export type GitHub = InstanceType<typeof PluggedOctokit>;

/** Options for createOctokit; everything has a production default. */
export interface CreateOctokitOptions {
  /** REST root; defaults to GITHUB_API_URL so GitHub Enterprise Server works, else https://api.github.com. */
  baseUrl?: string;
  /**
   * GraphQL endpoint; defaults to GITHUB_GRAPHQL_URL when baseUrl is not given either (the runner sets it, e.g.
   * https://HOST/api/graphql on GitHub Enterprise Server), else Octokit's own choice from baseUrl.
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
  const octokit = new PluggedOctokit({
    auth: token,
    baseUrl: stripTrailingSlash(opts.baseUrl ?? process.env.GITHUB_API_URL ?? 'https://api.github.com'),
    userAgent: opts.userAgent ?? 'codex-ci-action',
    retry: { retries: MAX_SERVER_ERROR_RETRIES, retryAfterBaseValue: unit, doNotRetry: DO_NOT_RETRY },
    throttle,
    // Per-request lines (including expected 404s) are debug noise, not annotations. Octokit's debug call with
    // extra arguments carries the request options, auth header included, and says nothing else: skipped.
    log: {
      debug: (message: string, ...rest: unknown[]) => {
        if (rest.length === 0) core.debug(message);
      },
      info: (message: string) => core.debug(message),
      warn: (message: string) => core.warning(message),
      error: (message: string) => core.debug(message),
    },
  });
  // An explicit baseUrl without a graphqlUrl means "that server": the environment's endpoint may be another one.
  const graphqlUrl = opts.graphqlUrl ?? (opts.baseUrl === undefined ? process.env.GITHUB_GRAPHQL_URL : undefined);
  if (graphqlUrl) {
    // Octokit derives the GraphQL URL from baseUrl (and rewrites it when baseUrl ends in /api/v3), so an explicit
    // endpoint needs both: an absolute url, and a baseUrl its GHES rewrite does not match. Hooks (auth, retry,
    // throttling) are kept by defaults().
    const url = stripTrailingSlash(graphqlUrl);
    octokit.graphql = octokit.graphql.defaults({ baseUrl: url, url });
  }
  return octokit;
}

function shouldRetryRateLimit(
  kind: string,
  retryAfter: number,
  options: { method: string; url: string },
  retryCount: number,
): boolean {
  const retrying = retryCount < MAX_RATE_LIMIT_RETRIES && retryAfter <= MAX_RATE_LIMIT_WAIT_SECONDS;
  core.warning(
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
