// A small in-memory GitHub REST API on loopback: the real Octokit talks to it through its baseUrl in tests.
import { createHash } from 'node:crypto';
import { execa } from 'execa';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, jest } from '@jest/globals';
import { createOctokit, type GitHub } from '../../src/base/github/octokit.js';
import { checkExchange, preloadDescription, type AnswerCheck } from './github-contract/check.js';
import type { Description } from './github-contract/rest.js';
import { githubSchema } from './github-contract/graphql.js';
import { executeSync, parse } from 'graphql';
import { recordViolation, takeViolations, type Violation } from './github-contract/violations.js';

/** One request as the server saw it. */
export interface RecordedRequest {
  method: string;
  /** Decoded path without the query string, e.g. `/repos/o/r/pulls/1`. */
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  /** Parsed JSON, raw text for other content types, undefined when empty. */
  body: unknown;
  /** The status answered; undefined while the handler is still running. */
  status?: number;
  /** When the request arrived and when its answer was sent (Date.now(); the scripted model's requests carry the same clock). */
  receivedAt: number;
  finishedAt?: number;
}

/** Options of FakeGitHub.start. */
export interface FakeGitHubOptions {
  /**
   * Milliseconds every request waits before it is answered, like a real API's round trip (benchmarks only;
   * default 0, so tests run as fast as loopback allows).
   */
  latencyMs?: number;
  /**
   * GitHub Enterprise Server's layout: the REST API under `/api/v3` and GraphQL at `/api/graphql`, held to that
   * release's description. Default: github.com's (REST at the root, GraphQL at /graphql).
   */
  enterprise?: 'ghes-3.19';
}

/** What a route handler receives. */
export interface FakeRequest {
  method: string;
  /** Decoded path without the query string. */
  path: string;
  /** Absolute URL of this path without the query string: what paginate() builds its Link header from. */
  url: string;
  /** `:name` segments of the route pattern, decoded. */
  params: Record<string, string>;
  query: Record<string, string>;
  // Tests read request bodies ad hoc; making them narrow every field first buys nothing.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
  headers: IncomingHttpHeaders;
}

/** What a route handler answers. A string body is sent raw (text/plain unless headers say otherwise); anything else as JSON. */
export interface FakeResponse {
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** A route handler. */
export type RouteHandler = (req: FakeRequest) => FakeResponse | Promise<FakeResponse>;

/** A pull request as GET /repos/:o/:r/pulls/:n serves it; tests may mutate it. */
export interface FakePullRequest {
  number: number;
  title: string;
  body: string | null;
  draft: boolean;
  state: 'open' | 'closed';
  url: string;
  html_url: string;
  user: FakeUser;
  head: { ref: string; sha: string; label: string; repo: { full_name: string; fork: boolean } };
  base: { ref: string; sha: string; label: string; repo: { full_name: string } };
  maintainer_can_modify: boolean;
}

/** A file of a pull request as GET /repos/:o/:r/pulls/:n/files serves it. */
export interface FakePullFile {
  sha: string;
  filename: string;
  status: string;
  additions: number;
  deletions: number;
  changes: number;
  patch?: string;
  previous_filename?: string;
}

/** A GitHub user reference. */
export interface FakeUser {
  login: string;
  type: string;
}

/** Input for addPullRequest. */
export interface AddPullRequestInput {
  owner: string;
  repo: string;
  number: number;
  title?: string;
  body?: string | null;
  draft?: boolean;
  /** repoFullName defaults to owner/repo; a different one makes the pull request a fork's. */
  head: { ref: string; sha: string; repoFullName?: string };
  base: { ref: string; sha: string };
  user?: { login: string; type?: string };
  files: Array<{
    filename: string;
    status: string;
    patch?: string;
    additions?: number;
    deletions?: number;
    changes?: number;
    previous_filename?: string;
  }>;
}

/** A comment inside a POST …/reviews body, as the client sent it. */
export interface ReviewCommentInput {
  path: string;
  body: string;
  line?: number;
  side?: string;
  start_line?: number;
  start_side?: string;
  position?: number;
  subject_type?: string;
  [key: string]: unknown;
}

/** A review created through POST /repos/:o/:r/pulls/:n/reviews. */
export interface FakeReview {
  id: number;
  owner: string;
  repo: string;
  pull_number: number;
  html_url: string;
  body: string;
  event: string | undefined;
  state: string;
  commit_id: string;
  user: FakeUser;
  comments: ReviewCommentInput[];
}

/** A review comment as GET /repos/:o/:r/pulls/:n/comments serves it. */
export interface FakeReviewComment {
  id: number;
  pull_request_review_id: number | null;
  path: string;
  line: number | null;
  side: string;
  start_line: number | null;
  start_side: string | null;
  body: string;
  user: FakeUser;
  commit_id: string;
  html_url: string;
  pull_request_url: string;
  subject_type: string;
  /** The hunk header through the commented line, as GitHub computes it from the pull request's diff. */
  diff_hunk?: string;
  original_line?: number | null;
  /** Set on replies: the thread's first comment. */
  in_reply_to_id?: number;
  author_association?: string;
  created_at?: string;
  updated_at?: string;
}

/** A reaction created through POST …/issues/comments/:id/reactions. */
export interface FakeReaction {
  id: number;
  comment_id: number;
  content: string;
  user: FakeUser;
}

// GitHub's reaction types (REST "Reactions"): anything else is a validation error.
const REACTION_CONTENTS = new Set(['+1', '-1', 'laugh', 'confused', 'heart', 'hooray', 'rocket', 'eyes']);

/** An issue (or pull request conversation) comment. */
export interface FakeIssueComment {
  id: number;
  body: string;
  user: FakeUser;
  html_url: string;
  issue_url: string;
  created_at: string;
  updated_at: string;
}

/** Input for addWorkflowRun. */
export interface AddWorkflowRunInput {
  owner: string;
  repo: string;
  id: number;
  name?: string;
  event?: string;
  headBranch: string;
  headSha: string;
  conclusion: string | null;
  actor?: { login: string; type: string };
  /** Defaults to owner/repo; a different one makes the run a fork's. */
  headRepoFullName?: string;
  jobs: Array<{
    id: number;
    name: string;
    conclusion: string | null;
    steps?: Array<{ name: string; number: number; conclusion: string | null }>;
    log: string;
  }>;
}

/** A collaborator permission level as GitHub reports it. */
export type Permission = 'admin' | 'write' | 'read' | 'none';

/** The GitHub Actions bot, author of everything the fake stores on behalf of the token. */
export const BOT_USER: FakeUser = { login: 'github-actions[bot]', type: 'Bot' };

const WEB = 'https://github.com';
const DOCS = 'https://docs.github.com/rest';

/**
 * Slices `items` by the `per_page` (default 30, max 100) and `page` query parameters and sets the Link header
 * Octokit's paginate() follows. `baseUrl` is the absolute URL of the list without its query (FakeRequest.url).
 */
export function paginate<T>(
  items: readonly T[],
  query: Record<string, string>,
  baseUrl: string,
): { body: T[]; headers: Record<string, string> } {
  const perPage = Math.min(100, Math.max(1, Number(query.per_page) || 30));
  const page = Math.max(1, Math.floor(Number(query.page)) || 1);
  const last = Math.max(1, Math.ceil(items.length / perPage));
  const pageUrl = (n: number) => {
    const url = new URL(baseUrl);
    for (const [k, v] of Object.entries(query)) if (k !== 'page' && k !== 'per_page') url.searchParams.set(k, v);
    url.searchParams.set('per_page', String(perPage));
    url.searchParams.set('page', String(n));
    return url.toString();
  };
  const links: string[] = [];
  if (page > 1) links.push(`<${pageUrl(page - 1)}>; rel="prev"`, `<${pageUrl(1)}>; rel="first"`);
  if (page < last) links.push(`<${pageUrl(page + 1)}>; rel="next"`, `<${pageUrl(last)}>; rel="last"`);
  return {
    body: items.slice((page - 1) * perPage, page * perPage),
    headers: links.length > 0 ? { link: links.join(', ') } : {},
  };
}

interface Route {
  method: string;
  pattern: string;
  segments: string[];
  handler: RouteHandler;
  seq: number;
}

interface Failure {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

interface StoredPull {
  owner: string;
  repo: string;
  pr: FakePullRequest;
  files: FakePullFile[];
}

/** An in-memory GitHub: generic routes, one-shot failures, and stores for pulls, reviews, comments and runs. */
export class FakeGitHub {
  /** Base URL, no trailing slash: use as baseUrl / GITHUB_API_URL. */
  readonly url: string;
  /** The GraphQL endpoint: GITHUB_GRAPHQL_URL. */
  readonly graphqlUrl: string;
  /** The published description every request and answer is checked against. */
  readonly description: Description;
  /** Every request, in arrival order. */
  readonly requests: RecordedRequest[] = [];
  /** Reviews created through POST …/reviews, in order. */
  readonly reviews: FakeReview[] = [];
  /** Review comments, from reviews and from POST …/pulls/:n/comments. */
  readonly reviewComments: FakeReviewComment[] = [];
  /** Issue comments, seeded or posted. */
  readonly issueComments: FakeIssueComment[] = [];
  /** Pull requests created through POST /repos/:o/:r/pulls. */
  readonly createdPulls: FakePullRequest[] = [];
  /** Reactions on issue comments, in order. */
  readonly reactions: FakeReaction[] = [];
  /** Top-level review comment ids whose thread is resolved (through resolveReviewThread or resolveThreadOf). */
  readonly resolvedThreads = new Set<number>();
  /**
   * Entries a recursive GET …/git/trees lists before it answers `truncated: true` (GitHub: 100,000 entries or 7 MB).
   * Tests lower it to see a repository too big for one listing.
   */
  treeEntryLimit = 100_000;

  private readonly server: Server;
  private readonly routes: Route[] = [];
  private readonly failures = new Map<string, Failure[]>();
  private readonly pulls = new Map<string, StoredPull>();
  private readonly runs = new Map<string, AddWorkflowRunInput>();
  private readonly permissions = new Map<string, Permission>();
  private readonly reviewRejections: Array<(comment: ReviewCommentInput) => boolean> = [];
  private readonly gitDirs = new Map<string, string>();
  private seq = 0;
  private nextId = 1000;
  private readonly latencyMs: number;

  // The path prefix of the REST API (GHES: /api/v3) and the GraphQL endpoint's path.
  private readonly restRoot: string;
  private readonly graphqlPath: string;

  private constructor(server: Server, origin: string, options: FakeGitHubOptions) {
    this.server = server;
    this.restRoot = options.enterprise ? '/api/v3' : '';
    this.graphqlPath = options.enterprise ? '/api/graphql' : '/graphql';
    this.url = `${origin}${this.restRoot}`;
    this.graphqlUrl = `${origin}${this.graphqlPath}`;
    this.description = options.enterprise ?? 'api.github.com';
    this.latencyMs = options.latencyMs ?? 0;
    this.installStateRoutes();
  }

  /** Starts a server on 127.0.0.1 with an ephemeral port. */
  static async start(options: FakeGitHubOptions = {}): Promise<FakeGitHub> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const fake = new FakeGitHub(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`, options);
    preloadDescription(fake.description);
    // Nobody knows the port before start() returns, so no request can arrive before this listener.
    server.on('request', (req: IncomingMessage, res: ServerResponse) => void fake.handle(req, res));
    return fake;
  }

  /** Serves `method pattern` (`:name` segments are params); a later route for the same method and pattern wins. */
  route(method: string, pattern: string, handler: RouteHandler): void {
    const upper = method.toUpperCase();
    const existing = this.routes.findIndex((r) => r.method === upper && r.pattern === pattern);
    if (existing >= 0) this.routes.splice(existing, 1);
    this.routes.push({ method: upper, pattern, segments: splitPath(pattern), handler, seq: this.seq++ });
  }

  /** Answers the next request matching `method pattern` with this failure instead of its route (one-shot; queue several by calling again). */
  failNext(method: string, pattern: string, status: number, body?: unknown, headers?: Record<string, string>): void {
    const key = `${method.toUpperCase()} ${pattern}`;
    const queue = this.failures.get(key) ?? [];
    // GitHub's error answers always carry documentation_url; a test that writes only the message gets it too.
    const answer = body ?? { message: defaultMessage(status) };
    const withDocs = typeof answer === 'object' && answer !== null && !Array.isArray(answer) ? { documentation_url: DOCS, ...answer } : answer;
    queue.push({ status, body: withDocs, headers });
    this.failures.set(key, queue);
  }

  /** The recorded requests matching `method pattern`, in order. */
  requestsTo(method: string, pattern: string): RecordedRequest[] {
    const segments = splitPath(pattern);
    return this.requests.filter(
      (r) => r.method === method.toUpperCase() && matchSegments(segments, splitPath(r.path)) !== undefined,
    );
  }

  /**
   * Takes the contract violations this fake recorded (see github-contract/), so that a test which makes a wrong
   * request on purpose can assert it; whatever is not taken fails the test when it ends.
   */
  takeViolations(): Violation[] {
    return takeViolations((v) => v.api === this.url);
  }

  /** Stops the server, dropping keep-alive connections so close() does not wait for them to idle out. */
  async close(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.close((err) => (err ? reject(err) : resolve()));
      this.server.closeAllConnections();
    });
  }

  // ---- state helpers -------------------------------------------------------------------------------------

  /** Stores a pull request served by GET …/pulls/:n (JSON or, with a diff Accept header, a diff) and …/files. */
  addPullRequest(input: AddPullRequestInput): FakePullRequest {
    const baseFull = `${input.owner}/${input.repo}`;
    const headFull = input.head.repoFullName ?? baseFull;
    const pr: FakePullRequest = {
      number: input.number,
      title: input.title ?? `Pull request #${input.number}`,
      body: input.body ?? null,
      draft: input.draft ?? false,
      state: 'open',
      url: `${this.url}/repos/${baseFull}/pulls/${input.number}`,
      html_url: `${WEB}/${baseFull}/pull/${input.number}`,
      user: { login: input.user?.login ?? 'octocat', type: input.user?.type ?? 'User' },
      head: {
        ref: input.head.ref,
        sha: input.head.sha,
        label: `${ownerOf(headFull)}:${input.head.ref}`,
        repo: { full_name: headFull, fork: headFull.toLowerCase() !== baseFull.toLowerCase() },
      },
      base: {
        ref: input.base.ref,
        sha: input.base.sha,
        label: `${input.owner}:${input.base.ref}`,
        repo: { full_name: baseFull },
      },
      maintainer_can_modify: false,
    };
    const files = input.files.map((f): FakePullFile => {
      const counted = countPatch(f.patch);
      const additions = f.additions ?? counted.additions;
      const deletions = f.deletions ?? counted.deletions;
      return {
        sha: fakeSha(`${f.filename}\n${f.patch ?? ''}`),
        filename: f.filename,
        status: f.status,
        additions,
        deletions,
        changes: f.changes ?? additions + deletions,
        ...(f.patch !== undefined ? { patch: f.patch } : {}),
        ...(f.previous_filename !== undefined ? { previous_filename: f.previous_filename } : {}),
      };
    });
    this.pulls.set(pullKey(input.owner, input.repo, input.number), { owner: input.owner, repo: input.repo, pr, files });
    return pr;
  }

  /** Makes POST …/reviews (and POST …/pulls/:n/comments) answer 422 "could not be resolved" when a comment matches. */
  rejectReviewCommentsWhere(predicate: (comment: ReviewCommentInput) => boolean): void {
    this.reviewRejections.push(predicate);
  }

  /** Stores an issue comment, as if someone had posted it. */
  addIssueComment(input: { owner: string; repo: string; number: number; body: string; user?: FakeUser }): FakeIssueComment {
    return this.storeIssueComment(input.owner, input.repo, input.number, input.body, input.user ?? BOT_USER);
  }

  /** Stores a completed workflow run served by …/actions/runs/:id, …/runs/:id/jobs and …/actions/jobs/:id/logs. */
  addWorkflowRun(input: AddWorkflowRunInput): void {
    this.runs.set(`${repoKey(input.owner, input.repo)}#${input.id}`, input);
  }

  /**
   * Backs GET /repos/:o/:r/compare/:base...:head with a real git repository: its status (ahead, behind, diverged,
   * identical) and its files' patches come from git, as GitHub computes them. The Git database routes (GET
   * …/git/trees/:sha, …/git/blobs/:sha) are served from the same repository.
   */
  useGitRepo(owner: string, repo: string, dir: string): void {
    this.gitDirs.set(repoKey(owner, repo), dir);
  }

  /**
   * Stores a reply in the thread of review comment `commentId`, as if `user` had written it; `association` is the
   * author_association GitHub reports for them (default NONE).
   */
  addReviewReply(commentId: number, body: string, user: FakeUser, association = 'NONE'): FakeReviewComment {
    const parent = this.reviewComments.find((c) => c.id === commentId);
    if (!parent) throw new Error(`No review comment ${commentId}`);
    const stored = [...this.pulls.values()].find((p) => p.pr.url === parent.pull_request_url)!;
    const reply = this.storeReply(stored, parent, body, user);
    reply.author_association = association;
    return reply;
  }

  /** The GraphQL node id of the thread a top-level review comment starts. */
  threadIdOf(commentId: number): string {
    return `PRRT_kwDO${Buffer.from(String(commentId)).toString('base64url')}`;
  }

  /** Sets what GET …/collaborators/:login/permission reports (for any repository); unknown logins answer 404. */
  setPermission(login: string, permission: Permission): void {
    this.permissions.set(login.toLowerCase(), permission);
  }

  // ---- request handling ----------------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const parsed = new URL(req.url ?? '/', this.url);
    const method = (req.method ?? 'GET').toUpperCase();
    const graphql = parsed.pathname === this.graphqlPath;
    // Routes are written from the API root: /repos/…, and /graphql for GraphQL wherever the server keeps it.
    const rawPath = graphql ? '/graphql' : parsed.pathname.startsWith(`${this.restRoot}/`) ? parsed.pathname.slice(this.restRoot.length) : parsed.pathname;
    const rawSegments = splitPath(rawPath);
    const path = safeDecode(rawPath);
    const query = Object.fromEntries(parsed.searchParams);
    const record: RecordedRequest = { method, path, query, headers: req.headers, body: undefined, receivedAt: Date.now() };
    this.requests.push(record);

    let answer: FakeResponse;
    let checkAnswer: AnswerCheck | undefined;
    try {
      const text = await readBody(req);
      const isJson = /json/i.test(req.headers['content-type'] ?? '');
      if (text.length > 0) {
        try {
          record.body = isJson ? JSON.parse(text) : text;
        } catch {
          this.send(res, record, { status: 400, body: { message: 'Problems parsing JSON', documentation_url: DOCS } });
          return;
        }
      }
      // On GHES the API lives under /api/v3 only: a client that drops the prefix reaches nothing there.
      if (this.restRoot && !graphql && !parsed.pathname.startsWith(`${this.restRoot}/`)) {
        recordViolation({ api: this.url, operation: `${method} ${parsed.pathname}`, problem: `the request is outside the API root ${this.restRoot}`, request: `${method} ${parsed.pathname}`, side: 'request' });
        this.send(res, record, notFound());
        return;
      }
      checkAnswer = checkExchange(this.url, this.description, { method, rawPath, query, body: record.body, graphql });
      const failure = this.takeFailure(method, rawSegments);
      if (failure) {
        answer = failure;
      } else {
        const match = this.findRoute(method, rawSegments);
        answer = match
          ? await match.route.handler({
              method,
              path,
              url: `${this.url}${rawPath}`,
              params: match.params,
              query,
              body: record.body,
              headers: req.headers,
            })
          : notFound();
      }
    } catch (err) {
      answer = { status: 500, body: { message: `fake-github handler failed: ${String(err)}` } };
    }
    if (this.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.latencyMs));
    this.send(res, record, answer, checkAnswer);
  }

  private send(
    res: ServerResponse,
    record: RecordedRequest,
    answer: FakeResponse,
    checkAnswer?: AnswerCheck,
  ): void {
    const status = answer.status ?? 200;
    record.status = status;
    const headers: Record<string, string> = { 'x-github-request-id': `FAKE:${this.requests.indexOf(record)}` };
    let payload = '';
    const sent = answer.body !== undefined && status !== 204 && status !== 304;
    const json = sent && typeof answer.body !== 'string';
    const body = checkAnswer ? checkAnswer(status, sent ? answer.body : undefined, json) : answer.body;
    if (sent) {
      if (typeof body === 'string') {
        headers['content-type'] = 'text/plain; charset=utf-8';
        payload = body;
      } else {
        headers['content-type'] = 'application/json; charset=utf-8';
        payload = JSON.stringify(body);
      }
    }
    for (const [k, v] of Object.entries(answer.headers ?? {})) headers[k.toLowerCase()] = v;
    headers['content-length'] = String(Buffer.byteLength(payload));
    res.writeHead(status, headers).end(payload);
    record.finishedAt = Date.now();
  }

  private takeFailure(method: string, segments: string[]): FakeResponse | undefined {
    for (const [key, queue] of this.failures) {
      const space = key.indexOf(' ');
      if (key.slice(0, space) !== method || queue.length === 0) continue;
      if (matchSegments(splitPath(key.slice(space + 1)), segments) === undefined) continue;
      return queue.shift();
    }
    return undefined;
  }

  // The most literal pattern wins (…/pulls/comments over …/pulls/:n); among equals, the latest registered.
  private findRoute(method: string, segments: string[]): { route: Route; params: Record<string, string> } | undefined {
    let best: { route: Route; params: Record<string, string>; literals: number } | undefined;
    for (const route of this.routes) {
      if (route.method !== method) continue;
      const params = matchSegments(route.segments, segments);
      if (!params) continue;
      const literals = route.segments.filter((s) => !s.startsWith(':')).length;
      if (!best || literals > best.literals || (literals === best.literals && route.seq > best.route.seq)) {
        best = { route, params, literals };
      }
    }
    return best;
  }

  // ---- built-in state routes -----------------------------------------------------------------------------

  private installStateRoutes(): void {
    const repoPath = '/repos/:owner/:repo';

    this.route('GET', `${repoPath}/pulls/:pull_number`, ({ params, headers }) => {
      const stored = this.pulls.get(pullKey(params.owner!, params.repo!, Number(params.pull_number)));
      if (!stored) return notFound();
      const accept = String(headers.accept ?? '');
      if (/\bdiff\b/.test(accept)) {
        return { body: buildDiff(stored.files), headers: { 'content-type': 'application/vnd.github.diff; charset=utf-8' } };
      }
      // GitHub counts the changed files in the pull request itself (pulls.get only, not in lists).
      return { body: { ...stored.pr, changed_files: stored.files.length } };
    });

    this.route('GET', `${repoPath}/pulls/:pull_number/files`, ({ params, query, url }) => {
      const stored = this.pulls.get(pullKey(params.owner!, params.repo!, Number(params.pull_number)));
      return stored ? paginate(stored.files, query, url) : notFound();
    });

    this.route('GET', `${repoPath}/pulls`, ({ params, query, url }) => {
      const state = query.state ?? 'open';
      const list = [...this.pulls.values()]
        .filter((p) => repoKey(p.owner, p.repo) === repoKey(params.owner!, params.repo!))
        .map((p) => p.pr)
        .filter((pr) => state === 'all' || pr.state === state)
        .filter((pr) => !query.head || pr.head.label.toLowerCase() === query.head.toLowerCase())
        .filter((pr) => !query.base || pr.base.ref === query.base)
        .sort((a, b) => b.number - a.number);
      return paginate(list, query, url);
    });

    this.route('POST', `${repoPath}/pulls`, ({ params, body }) => {
      const { owner, repo } = params as { owner: string; repo: string };
      const b = (body ?? {}) as Record<string, unknown>;
      if (typeof b.head !== 'string' || typeof b.base !== 'string' || (typeof b.title !== 'string' && b.issue === undefined)) {
        return unprocessable('Validation Failed', [{ resource: 'PullRequest', code: 'missing_field', field: 'head' }]);
      }
      const long = tooLong('PullRequest', b.body);
      if (long) return long;
      const [headOwner, headRef] = b.head.includes(':') ? (b.head.split(':', 2) as [string, string]) : [owner, b.head];
      const label = `${headOwner}:${headRef}`;
      const duplicate = [...this.pulls.values()].some(
        (p) =>
          repoKey(p.owner, p.repo) === repoKey(owner, repo) &&
          p.pr.state === 'open' &&
          p.pr.head.label.toLowerCase() === label.toLowerCase() &&
          p.pr.base.ref === b.base,
      );
      if (duplicate) {
        return unprocessable('Validation Failed', [
          { resource: 'PullRequest', code: 'custom', message: `A pull request already exists for ${label}.` },
        ]);
      }
      const number = this.nextPullNumber(owner, repo);
      const pr = this.addPullRequest({
        owner,
        repo,
        number,
        title: typeof b.title === 'string' ? b.title : `Pull request #${number}`,
        body: typeof b.body === 'string' ? b.body : null,
        draft: b.draft === true,
        head: { ref: headRef, sha: fakeSha(label), repoFullName: `${headOwner}/${repo}` },
        base: { ref: b.base, sha: fakeSha(`${owner}:${b.base}`) },
        user: BOT_USER,
        files: [],
      });
      pr.maintainer_can_modify = b.maintainer_can_modify === true;
      this.createdPulls.push(pr);
      return { status: 201, body: pr };
    });

    this.route('PATCH', `${repoPath}/pulls/:pull_number`, ({ params, body }) => {
      const stored = this.pulls.get(pullKey(params.owner!, params.repo!, Number(params.pull_number)));
      if (!stored) return notFound();
      const b = (body ?? {}) as Record<string, unknown>;
      if (typeof b.title === 'string') stored.pr.title = b.title;
      if (typeof b.body === 'string' || b.body === null) stored.pr.body = b.body;
      if (b.state === 'open' || b.state === 'closed') stored.pr.state = b.state;
      if (typeof b.base === 'string') stored.pr.base.ref = b.base;
      return { body: stored.pr };
    });

    this.route('POST', `${repoPath}/pulls/:pull_number/reviews`, ({ params, body }) => {
      const { owner, repo } = params as { owner: string; repo: string };
      const number = Number(params.pull_number);
      const stored = this.pulls.get(pullKey(owner, repo, number));
      if (!stored) return notFound();
      const b = (body ?? {}) as { body?: string; event?: string; commit_id?: string; comments?: ReviewCommentInput[] };
      const comments = Array.isArray(b.comments) ? b.comments : [];
      const long = tooLong('PullRequestReview', b.body) ?? comments.map((c) => tooLong('PullRequestReviewComment', c.body)).find(Boolean);
      if (long) return long;
      if (comments.some((c) => this.rejected(c))) return unresolvableReviewLine();
      const id = this.nextId++;
      const review: FakeReview = {
        id,
        owner,
        repo,
        pull_number: number,
        html_url: `${stored.pr.html_url}#pullrequestreview-${id}`,
        body: b.body ?? '',
        event: b.event,
        state: reviewState(b.event),
        commit_id: b.commit_id ?? stored.pr.head.sha,
        user: BOT_USER,
        comments,
      };
      this.reviews.push(review);
      for (const c of comments) this.storeReviewComment(stored, c, review.commit_id, id);
      return { body: { id, html_url: review.html_url, state: review.state, body: review.body, commit_id: review.commit_id, user: BOT_USER } };
    });

    // Only a pending (unsubmitted) review can be deleted, as on GitHub; its comments go with it.
    this.route('DELETE', `${repoPath}/pulls/:pull_number/reviews/:review_id`, ({ params }) => {
      const at = this.reviews.findIndex((r) => r.id === Number(params.review_id) && r.pull_number === Number(params.pull_number));
      if (at < 0) return notFound();
      const review = this.reviews[at]!;
      if (review.state !== 'PENDING') {
        return { status: 422, body: { message: 'Unprocessable Entity', errors: ['Can not delete a non-pending pull request review'] } };
      }
      this.reviews.splice(at, 1);
      for (let i = this.reviewComments.length - 1; i >= 0; i--) {
        if (this.reviewComments[i]!.pull_request_review_id === review.id) this.reviewComments.splice(i, 1);
      }
      return { body: { id: review.id, state: 'PENDING', body: review.body } };
    });

    this.route('GET', `${repoPath}/pulls/:pull_number/reviews`, ({ params, query, url }) => {
      const { owner, repo } = params as { owner: string; repo: string };
      const number = Number(params.pull_number);
      if (!this.pulls.has(pullKey(owner, repo, number))) return notFound();
      const list = this.reviews
        .filter((r) => repoKey(r.owner, r.repo) === repoKey(owner, repo) && r.pull_number === number)
        .map((r) => ({ id: r.id, html_url: r.html_url, body: r.body, state: r.state, commit_id: r.commit_id, user: r.user }));
      return paginate(list, query, url);
    });

    this.route('GET', `${repoPath}/pulls/:pull_number/comments`, ({ params, query, url }) => {
      const stored = this.pulls.get(pullKey(params.owner!, params.repo!, Number(params.pull_number)));
      if (!stored) return notFound();
      return paginate(this.reviewComments.filter((c) => c.pull_request_url === stored.pr.url), query, url);
    });

    this.route('POST', `${repoPath}/pulls/:pull_number/comments`, ({ params, body }) => {
      const stored = this.pulls.get(pullKey(params.owner!, params.repo!, Number(params.pull_number)));
      if (!stored) return notFound();
      const c = (body ?? {}) as ReviewCommentInput & { commit_id?: string };
      if (this.rejected(c)) return unresolvableLine();
      return { status: 201, body: this.storeReviewComment(stored, c, c.commit_id ?? stored.pr.head.sha, null) };
    });

    this.route('GET', `${repoPath}/pulls/comments/:comment_id`, ({ params }) => {
      const comment = this.reviewComments.find((c) => c.id === Number(params.comment_id));
      return comment ? { body: comment } : notFound();
    });

    this.route('GET', `${repoPath}/issues/:issue_number/comments`, ({ params, query, url }) => {
      const issueUrl = `${this.url}/repos/${params.owner}/${params.repo}/issues/${params.issue_number}`;
      return paginate(
        this.issueComments.filter((c) => c.issue_url.toLowerCase() === issueUrl.toLowerCase()),
        query,
        url,
      );
    });

    this.route('POST', `${repoPath}/issues/:issue_number/comments`, ({ params, body }) => {
      const b = (body ?? {}) as { body?: unknown };
      if (typeof b.body !== 'string') return unprocessable('Invalid request.', [{ resource: 'IssueComment', code: 'missing_field', field: 'body' }]);
      const long = tooLong('IssueComment', b.body);
      if (long) return long;
      return { status: 201, body: this.storeIssueComment(params.owner!, params.repo!, Number(params.issue_number), b.body, BOT_USER) };
    });

    this.route('PATCH', `${repoPath}/issues/comments/:comment_id`, ({ params, body }) => {
      const comment = this.issueComments.find((c) => c.id === Number(params.comment_id));
      if (!comment) return notFound();
      const b = (body ?? {}) as { body?: unknown };
      const long = tooLong('IssueComment', b.body);
      if (long) return long;
      if (typeof b.body === 'string') comment.body = b.body;
      comment.updated_at = new Date().toISOString();
      return { body: comment };
    });

    this.route('GET', `${repoPath}/actions/runs/:run_id`, ({ params }) => {
      const run = this.runs.get(`${repoKey(params.owner!, params.repo!)}#${params.run_id}`);
      return run ? { body: this.runJson(run) } : notFound();
    });

    this.route('GET', `${repoPath}/actions/runs/:run_id/jobs`, ({ params, query, url }) => {
      const run = this.runs.get(`${repoKey(params.owner!, params.repo!)}#${params.run_id}`);
      if (!run) return notFound();
      const jobs = run.jobs.map((job) => ({
        id: job.id,
        run_id: run.id,
        name: job.name,
        status: 'completed',
        conclusion: job.conclusion,
        head_sha: run.headSha,
        html_url: `${WEB}/${run.owner}/${run.repo}/actions/runs/${run.id}/job/${job.id}`,
        steps: (job.steps ?? []).map((s) => ({ ...s, status: 'completed' })),
      }));
      const page = paginate(jobs, query, url);
      return { body: { total_count: jobs.length, jobs: page.body }, headers: page.headers };
    });

    // GitHub answers with a redirect to short-lived blob storage; the fake's storage is another path on itself.
    this.route('GET', `${repoPath}/actions/jobs/:job_id/logs`, ({ params }) => {
      if (!this.findJob(params.owner!, params.repo!, Number(params.job_id))) return notFound();
      const location = `${this.url}/_storage/${params.owner}/${params.repo}/jobs/${params.job_id}/log.txt?sig=fake`;
      return { status: 302, headers: { location } };
    });

    this.route('GET', '/_storage/:owner/:repo/jobs/:job_id/log.txt', ({ params }) => {
      const job = this.findJob(params.owner!, params.repo!, Number(params.job_id));
      return job ? { body: job.log } : { status: 404, body: 'BlobNotFound' };
    });

    this.route('GET', `${repoPath}/collaborators/:username/permission`, ({ params }) => {
      const permission = this.permissions.get(params.username!.toLowerCase());
      if (!permission) return notFound();
      return { body: { permission, role_name: permission, user: { login: params.username, type: 'User' } } };
    });

    // Replies go to a top-level comment: the docs say replies to replies are not supported.
    this.route('POST', `${repoPath}/pulls/:pull_number/comments/:comment_id/replies`, ({ params, body }) => {
      const stored = this.pulls.get(pullKey(params.owner!, params.repo!, Number(params.pull_number)));
      const parent = this.reviewComments.find((c) => c.id === Number(params.comment_id));
      if (!stored || !parent || parent.pull_request_url !== stored.pr.url) return notFound();
      const b = (body ?? {}) as { body?: unknown };
      if (typeof b.body !== 'string') return unprocessable('Invalid request.', [{ resource: 'PullRequestReviewComment', code: 'missing_field', field: 'body' }]);
      if (parent.in_reply_to_id !== undefined) return unprocessable('Validation Failed', ['Replies to replies are not supported']);
      return { status: 201, body: this.storeReply(stored, parent, b.body, BOT_USER) };
    });

    this.route('POST', `${repoPath}/issues/comments/:comment_id/reactions`, ({ params, body }) => {
      const id = Number(params.comment_id);
      const comment = this.issueComments.find((c) => c.id === id && c.html_url.toLowerCase().startsWith(`${WEB}/${params.owner}/${params.repo}/`.toLowerCase()));
      if (!comment) return notFound();
      const content = (body ?? {}).content;
      if (typeof content !== 'string' || !REACTION_CONTENTS.has(content)) {
        return unprocessable('Validation Failed', [{ resource: 'Reaction', code: 'custom', field: 'content', message: 'content is not included in the list' }]);
      }
      // The same person's same reaction again is not a new one: 200 with the existing reaction.
      const existing = this.reactions.find((r) => r.comment_id === id && r.content === content && r.user.login === BOT_USER.login);
      if (existing) return { status: 200, body: reactionJson(existing) };
      const reaction: FakeReaction = { id: this.nextId++, comment_id: id, content, user: BOT_USER };
      this.reactions.push(reaction);
      return { status: 201, body: reactionJson(reaction) };
    });

    this.route('GET', `${repoPath}/compare/:basehead`, async ({ params }) => {
      const dir = this.gitDirs.get(repoKey(params.owner!, params.repo!));
      const [base, head, ...rest] = params.basehead!.split('...');
      if (!dir || !base || !head || rest.length > 0) return notFound();
      return compareWithGit(dir, base, head);
    });

    this.route('GET', `${repoPath}/git/trees/:tree_sha`, async ({ params, query }) => {
      const dir = this.gitDirs.get(repoKey(params.owner!, params.repo!));
      if (!dir) return notFound();
      // GitHub takes any value of `recursive` as "yes" (its description: "Setting this parameter to any value").
      return treeWithGit(dir, `${this.url}/repos/${params.owner}/${params.repo}`, params.tree_sha!, query.recursive !== undefined, this.treeEntryLimit);
    });

    this.route('GET', `${repoPath}/git/blobs/:file_sha`, async ({ params }) => {
      const dir = this.gitDirs.get(repoKey(params.owner!, params.repo!));
      if (!dir) return notFound();
      return blobWithGit(dir, `${this.url}/repos/${params.owner}/${params.repo}`, params.file_sha!);
    });

    this.route('POST', '/graphql', ({ body }) => this.graphql(body));
  }

  // GraphQL as GitHub answers it: HTTP 200 with `data`, and `errors` for what could not be done. The document is
  // executed against GitHub's own schema (graphql-js), so the answer has exactly the fields, aliases and types the
  // query selected; the fake only resolves the few fields the action reads.
  private graphql(body: unknown): FakeResponse {
    const b = (body ?? {}) as { query?: unknown; variables?: Record<string, unknown> };
    let document;
    try {
      document = parse(typeof b.query === 'string' ? b.query : '');
    } catch (error) {
      return { body: { errors: [{ message: (error as Error).message }] } };
    }
    const result = executeSync({ schema: githubSchema(), document, rootValue: this.graphqlRoot(), variableValues: b.variables ?? {} });
    // GitHub puts its error type beside the message (NOT_FOUND, MISSING_PAGINATION_BOUNDARIES), not in extensions.
    const errors = result.errors?.map((e) => ({ ...(e.originalError instanceof GitHubGraphqlError ? { type: e.originalError.type } : {}), message: e.message, ...(e.path ? { path: e.path } : {}), ...(e.locations ? { locations: e.locations } : {}) }));
    return { body: { ...(result.data !== undefined ? { data: result.data } : {}), ...(errors ? { errors } : {}) } };
  }

  // The root fields the action uses, resolved from the fake's state; graphql-js's default resolver calls a function
  // with the field's arguments, so each level can read them.
  private graphqlRoot(): Record<string, unknown> {
    return {
      repository: ({ owner, name }: { owner: string; name: string }) => {
        if (![...this.pulls.values()].some((p) => repoKey(p.owner, p.repo) === repoKey(owner, name))) {
          throw new GitHubGraphqlError('NOT_FOUND', `Could not resolve to a Repository with the name '${owner}/${name}'.`);
        }
        return {
          pullRequest: ({ number }: { number: number }) => {
            const stored = this.pulls.get(pullKey(owner, name, number));
            if (!stored) throw new GitHubGraphqlError('NOT_FOUND', `Could not resolve to a PullRequest with the number of ${number}.`);
            return { reviewThreads: (page: { first?: number; last?: number; after?: string }) => this.threadPage(stored, page) };
          },
        };
      },
      resolveReviewThread: ({ input }: { input: { threadId: string } }) => {
        const root = this.reviewComments.find((c) => c.in_reply_to_id === undefined && this.threadIdOf(c.id) === input.threadId);
        if (!root) throw new GitHubGraphqlError('NOT_FOUND', `Could not resolve to a node with the global id of '${input.threadId}'`);
        this.resolvedThreads.add(root.id);
        return { thread: { id: input.threadId, isResolved: true } };
      },
    };
  }

  private threadPage(stored: StoredPull, page: { first?: number; last?: number; after?: string }) {
    const first = page.first ?? page.last;
    if (first === undefined || first < 1 || first > 100) {
      throw new GitHubGraphqlError('MISSING_PAGINATION_BOUNDARIES', 'You must provide a `first` or `last` value between 1 and 100 to properly paginate the `reviewThreads` connection.');
    }
    const roots = this.reviewComments.filter((c) => c.pull_request_url === stored.pr.url && c.in_reply_to_id === undefined);
    const offset = typeof page.after === 'string' ? Number(Buffer.from(page.after, 'base64').toString('utf8').replace('cursor:', '')) : 0;
    const slice = roots.slice(offset, offset + first);
    const end = offset + slice.length;
    return {
      pageInfo: { hasNextPage: end < roots.length, endCursor: slice.length > 0 ? Buffer.from(`cursor:${end}`).toString('base64') : null },
      nodes: slice.map((root) => ({
        id: this.threadIdOf(root.id),
        isResolved: this.resolvedThreads.has(root.id),
        isOutdated: root.line === null,
        path: root.path,
        line: root.line,
        comments: (p: { first?: number }) => ({
          nodes: [root, ...this.reviewComments.filter((c) => c.in_reply_to_id === root.id)].slice(0, p.first ?? 100).map((c) => ({
            databaseId: c.id,
            body: c.body,
            // GraphQL names an app's bot account without the "[bot]" suffix REST shows.
            author: { login: c.user.type === 'Bot' ? c.user.login.replace(/\[bot\]$/, '') : c.user.login, __typename: c.user.type === 'Bot' ? 'Bot' : 'User' },
          })),
        }),
      })),
    };
  }

  private storeReply(stored: StoredPull, parent: FakeReviewComment, body: string, user: FakeUser): FakeReviewComment {
    const reply = this.storeReviewComment(
      stored,
      { path: parent.path, body, ...(parent.line !== null ? { line: parent.line } : {}), side: parent.side },
      stored.pr.head.sha,
      null,
    );
    reply.in_reply_to_id = parent.id;
    reply.user = user;
    return reply;
  }

  private rejected(comment: ReviewCommentInput): boolean {
    return this.reviewRejections.some((p) => p(comment));
  }

  private storeReviewComment(
    stored: StoredPull,
    c: ReviewCommentInput,
    commitId: string,
    reviewId: number | null,
  ): FakeReviewComment {
    const id = this.nextId++;
    const comment: FakeReviewComment = {
      id,
      pull_request_review_id: reviewId,
      path: c.path,
      line: c.line ?? null,
      side: c.side ?? 'RIGHT',
      start_line: c.start_line ?? null,
      start_side: c.start_line !== undefined ? (c.start_side ?? c.side ?? 'RIGHT') : null,
      body: c.body,
      user: BOT_USER,
      commit_id: commitId,
      html_url: `${stored.pr.html_url}#discussion_r${id}`,
      pull_request_url: stored.pr.url,
      subject_type: c.subject_type ?? 'line',
      diff_hunk: diffHunkAt(stored.files.find((f) => f.filename === c.path)?.patch, c.side ?? 'RIGHT', c.line),
      original_line: c.line ?? null,
      author_association: 'NONE',
      created_at: new Date().toISOString(),
      updated_at: new Date().toISOString(),
    };
    this.reviewComments.push(comment);
    return comment;
  }

  private storeIssueComment(owner: string, repo: string, number: number, body: string, user: FakeUser): FakeIssueComment {
    const id = this.nextId++;
    const now = new Date().toISOString();
    const comment: FakeIssueComment = {
      id,
      body,
      user,
      html_url: `${WEB}/${owner}/${repo}/issues/${number}#issuecomment-${id}`,
      issue_url: `${this.url}/repos/${owner}/${repo}/issues/${number}`,
      created_at: now,
      updated_at: now,
    };
    this.issueComments.push(comment);
    return comment;
  }

  private runJson(run: AddWorkflowRunInput) {
    const full = `${run.owner}/${run.repo}`;
    const actor = run.actor ?? { login: 'octocat', type: 'User' };
    return {
      id: run.id,
      name: run.name ?? 'CI',
      event: run.event ?? 'push',
      status: 'completed',
      conclusion: run.conclusion,
      head_branch: run.headBranch,
      head_sha: run.headSha,
      html_url: `${WEB}/${full}/actions/runs/${run.id}`,
      actor,
      triggering_actor: actor,
      repository: { full_name: full },
      head_repository: { full_name: run.headRepoFullName ?? full },
      pull_requests: [],
    };
  }

  private findJob(owner: string, repo: string, jobId: number) {
    for (const run of this.runs.values()) {
      if (repoKey(run.owner, run.repo) !== repoKey(owner, repo)) continue;
      const job = run.jobs.find((j) => j.id === jobId);
      if (job) return job;
    }
    return undefined;
  }

  private nextPullNumber(owner: string, repo: string): number {
    let max = 0;
    for (const p of this.pulls.values()) if (repoKey(p.owner, p.repo) === repoKey(owner, repo)) max = Math.max(max, p.pr.number);
    return max + 1;
  }
}

/** An error a GraphQL resolver of the fake raises, with GitHub's error type. */
class GitHubGraphqlError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

function splitPath(path: string): string[] {
  return path.split('?')[0]!.split('/').filter((s) => s.length > 0);
}

function matchSegments(pattern: string[], actual: string[]): Record<string, string> | undefined {
  if (pattern.length !== actual.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    const a = actual[i]!;
    if (p.startsWith(':')) params[p.slice(1)] = safeDecode(a);
    else if (p !== safeDecode(a)) return undefined;
  }
  return params;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function reactionJson(r: FakeReaction) {
  return { id: r.id, node_id: `REA_${r.id}`, user: r.user, content: r.content, created_at: new Date().toISOString() };
}

/**
 * GET …/compare/base...head from a real repository: the status of head relative to base, and the files changed from
 * their merge base to head, with `patch` holding the hunks only (as GitHub serves it). A commit git does not know
 * answers 404, as GitHub does.
 */
async function compareWithGit(dir: string, base: string, head: string): Promise<FakeResponse> {
  const git = async (...args: string[]) => (await execa('git', args, { cwd: dir })).stdout;
  const known = async (sha: string) => (await execa('git', ['cat-file', '-e', `${sha}^{commit}`], { cwd: dir, reject: false })).exitCode === 0;
  if (!(await known(base)) || !(await known(head))) return notFound();
  const mergeBase = await git('merge-base', base, head);
  const [baseSha, headSha] = [await git('rev-parse', base), await git('rev-parse', head)];
  const ahead = Number(await git('rev-list', '--count', `${base}..${head}`));
  const behind = Number(await git('rev-list', '--count', `${head}..${base}`));
  const status = baseSha === headSha ? 'identical' : behind === 0 ? 'ahead' : ahead === 0 ? 'behind' : 'diverged';
  const files = await diffFiles(dir, mergeBase, headSha);
  return {
    body: {
      status,
      ahead_by: ahead,
      behind_by: behind,
      total_commits: ahead,
      base_commit: { sha: baseSha },
      merge_base_commit: { sha: mergeBase },
      commits: [],
      files,
    },
  };
}

/**
 * GET …/git/trees/{tree_sha} from a real repository, as GitHub's REST description has it: `tree_sha` is a tree's sha,
 * or anything naming one (a commit's sha, a branch); entries carry path, mode, type, sha, url and (blobs only) size;
 * with `recursive` every entry below, folders included; past `limit` entries the list stops and `truncated` is true.
 */
async function treeWithGit(dir: string, repoUrl: string, treeSha: string, recursive: boolean, limit: number): Promise<FakeResponse> {
  const resolved = await execa('git', ['rev-parse', '--verify', '--quiet', `${treeSha}^{tree}`], { cwd: dir, reject: false });
  if (resolved.exitCode !== 0) return notFound();
  const sha = resolved.stdout.trim();
  const listed = await execa('git', ['ls-tree', '-z', '--long', ...(recursive ? ['-r', '-t'] : []), sha], { cwd: dir });
  const entries = listed.stdout
    .split('\0')
    .filter(Boolean)
    .map((line) => {
      const tab = line.indexOf('\t');
      const [mode, type, object, size] = line.slice(0, tab).split(/\s+/) as [string, string, string, string];
      const kind = type === 'blob' ? 'blobs' : 'trees';
      return {
        path: line.slice(tab + 1),
        mode,
        type,
        sha: object,
        ...(type === 'blob' ? { size: Number(size) } : {}),
        ...(type === 'commit' ? {} : { url: `${repoUrl}/git/${kind}/${object}` }),
      };
    });
  const truncated = recursive && entries.length > limit;
  return { body: { sha, url: `${repoUrl}/git/trees/${sha}`, tree: truncated ? entries.slice(0, limit) : entries, truncated } };
}

/** GET …/git/blobs/{file_sha} from a real repository: the bytes as base64, whatever their size. */
async function blobWithGit(dir: string, repoUrl: string, sha: string): Promise<FakeResponse> {
  const type = await execa('git', ['cat-file', '-t', sha], { cwd: dir, reject: false });
  if (type.exitCode !== 0 || type.stdout.trim() !== 'blob') return notFound();
  const bytes = Buffer.from((await execa('git', ['cat-file', 'blob', sha], { cwd: dir, encoding: 'buffer', stripFinalNewline: false })).stdout);
  return {
    body: { sha, node_id: `B_${sha.slice(0, 12)}`, size: bytes.length, url: `${repoUrl}/git/blobs/${sha}`, content: bytes.toString('base64'), encoding: 'base64' },
  };
}

/** The changed files between two commits as GitHub lists them (status, counts, hunks-only patch). */
export async function diffFiles(dir: string, from: string, to: string): Promise<FakePullFile[]> {
  const git = async (...args: string[]) => (await execa('git', args, { cwd: dir })).stdout;
  const names = (await git('diff', '--name-status', '--no-renames', from, to)).split('\n').filter((l) => l.trim() !== '');
  const out: FakePullFile[] = [];
  for (const line of names) {
    const [code, filename] = line.split('\t') as [string, string];
    const raw = await git('diff', '--no-color', '--no-renames', '--unified=3', from, to, '--', filename);
    const at = raw.indexOf('\n@@');
    const patch = at >= 0 ? raw.slice(at + 1) : undefined;
    const counted = countPatch(patch);
    const status = code.startsWith('A') ? 'added' : code.startsWith('D') ? 'removed' : 'modified';
    out.push({
      sha: fakeSha(`${filename}\n${patch ?? ''}`),
      filename,
      status,
      additions: counted.additions,
      deletions: counted.deletions,
      changes: counted.additions + counted.deletions,
      ...(patch !== undefined ? { patch } : {}),
    });
  }
  return out;
}

function notFound(): FakeResponse {
  return { status: 404, body: { message: 'Not Found', documentation_url: DOCS } };
}

function unprocessable(message: string, errors: unknown[]): FakeResponse {
  return { status: 422, body: { message, errors, documentation_url: DOCS } };
}

/** GitHub's limit on a comment, review or pull request body (characters). */
export const BODY_LIMIT = 65_536;

// GitHub refuses a body over its limit as a whole, with this 422.
function tooLong(resource: string, body: unknown): FakeResponse | undefined {
  if (typeof body !== 'string' || body.length <= BODY_LIMIT) return undefined;
  return unprocessable('Validation Failed', [
    { resource, code: 'custom', field: 'body', message: `body is too long (maximum is ${BODY_LIMIT} characters)` },
  ]);
}

// The answer GitHub gives when a comment of a new review points at a line outside the diff: its description of
// POST …/reviews declares the errors of a 422 as plain strings.
function unresolvableReviewLine(): FakeResponse {
  return unprocessable('Unprocessable Entity', ['Line could not be resolved']);
}

// The answer GitHub gives when a single review comment points at a line outside the diff.
function unresolvableLine(): FakeResponse {
  return unprocessable('Unprocessable Entity', [
    {
      resource: 'PullRequestReviewComment',
      code: 'custom',
      field: 'pull_request_review_thread.line',
      message: 'could not be resolved',
    },
  ]);
}

function defaultMessage(status: number): string {
  // GitHub's own words for these statuses.
  if (status === 401) return 'Bad credentials';
  if (status === 403) return 'Resource not accessible by integration';
  if (status === 404) return 'Not Found';
  if (status === 422) return 'Unprocessable Entity';
  if (status >= 500) return 'Server Error';
  return `Fake failure ${status}`;
}

function reviewState(event: string | undefined): string {
  switch (event) {
    case 'APPROVE':
      return 'APPROVED';
    case 'REQUEST_CHANGES':
      return 'CHANGES_REQUESTED';
    case 'COMMENT':
      return 'COMMENTED';
    default:
      return 'PENDING';
  }
}

function repoKey(owner: string, repo: string): string {
  // GitHub treats owner and repository names case-insensitively.
  return `${owner}/${repo}`.toLowerCase();
}

function pullKey(owner: string, repo: string, number: number): string {
  return `${repoKey(owner, repo)}#${number}`;
}

function ownerOf(fullName: string): string {
  return fullName.split('/')[0] ?? fullName;
}

function fakeSha(seed: string): string {
  return createHash('sha1').update(seed).digest('hex');
}

/** GitHub's diff_hunk of a comment: the hunk's header through the commented line (the whole hunk without a line). */
function diffHunkAt(patch: string | undefined, side: string, line: number | undefined): string {
  if (!patch) return '';
  const lines = patch.replace(/\n$/, '').split('\n');
  let start = -1;
  let oldNo = 0;
  let newNo = 0;
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i]!;
    const header = /^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(text);
    if (header) {
      start = i;
      oldNo = Number(header[1]);
      newNo = Number(header[2]);
      continue;
    }
    const mine = text.startsWith('-') ? side === 'LEFT' && oldNo === line : text.startsWith('+') ? side === 'RIGHT' && newNo === line : (side === 'LEFT' ? oldNo : newNo) === line;
    if (mine && start >= 0) return lines.slice(start, i + 1).join('\n');
    if (!text.startsWith('+')) oldNo++;
    if (!text.startsWith('-')) newNo++;
  }
  return lines.join('\n');
}

function countPatch(patch: string | undefined): { additions: number; deletions: number } {
  let additions = 0;
  let deletions = 0;
  for (const line of (patch ?? '').split('\n')) {
    if (line.startsWith('+')) additions++;
    else if (line.startsWith('-')) deletions++;
  }
  return { additions, deletions };
}

// A unified diff like GET …/pulls/:n with Accept: application/vnd.github.diff, built from the stored patches.
function buildDiff(files: readonly FakePullFile[]): string {
  const out: string[] = [];
  for (const f of files) {
    const oldName = f.previous_filename ?? f.filename;
    out.push(`diff --git a/${oldName} b/${f.filename}`);
    if (f.status === 'added') out.push('new file mode 100644');
    if (f.status === 'removed') out.push('deleted file mode 100644');
    if (f.status === 'renamed') out.push(`rename from ${oldName}`, `rename to ${f.filename}`);
    if (f.patch === undefined) {
      if (f.status !== 'renamed') out.push(`Binary files a/${oldName} and b/${f.filename} differ`);
      continue;
    }
    out.push(f.status === 'added' ? '--- /dev/null' : `--- a/${oldName}`);
    out.push(f.status === 'removed' ? '+++ /dev/null' : `+++ b/${f.filename}`);
    out.push(f.patch.endsWith('\n') ? f.patch.slice(0, -1) : f.patch);
  }
  return out.length > 0 ? `${out.join('\n')}\n` : '';
}

/**
 * Starts a FakeGitHub and an Octokit pointed at it before each test of the calling suite (with the
 * workflow commands @actions/core prints kept off the test output), and stops it after.
 */
export function useFakeGitHub(): { readonly fake: FakeGitHub; readonly gh: GitHub } {
  const state = {} as { fake: FakeGitHub; gh: GitHub };
  beforeEach(async () => {
    jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    state.fake = await FakeGitHub.start();
    state.gh = createOctokit('t0ken', { baseUrl: state.fake.url, timeUnitMs: 0 });
  });
  afterEach(async () => {
    jest.restoreAllMocks();
    await state.fake.close();
  });
  return state;
}
