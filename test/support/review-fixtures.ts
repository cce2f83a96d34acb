// Helpers for review-mode tests: repository contents on the fake GitHub, scripted model replies, findings, patches.
import { jest } from '@jest/globals';
import type { Finding } from '../../src/modes/review/agent/findings.js';
import { CHUNK_HEADING, RETRY_HEADING, SETUP_HEADING } from '../../src/modes/review/agent/prompts.js';
import { VERIFY_HEADING, VERIFY_RETRY_HEADING } from '../../src/modes/review/check/verify.js';
import { BOT_USER, FakeGitHub, type FakeRequest, type ReviewCommentInput } from './fake-github.js';
import { createRepo, type TestRepo } from './git-repo.js';
import { lastUserText, ModelServer, type ModelReply, type ModelRequest } from './model-server.js';

/**
 * Serves GET /repos/:owner/:repo/contents/… for files at commit `sha` (or each of several; other refs answer 404, as a missing file
 * would): directory listings and base64 file bodies, like the real API.
 */
export function serveContents(
  fake: FakeGitHub,
  opts: { owner: string; repo: string; sha: string | readonly string[]; files: Record<string, string>; delayMs?: number },
): { peakInFlight(): number } {
  let inFlight = 0;
  let peak = 0;
  const handler = async (req: FakeRequest) => {
    inFlight++;
    peak = Math.max(peak, inFlight);
    try {
      if (opts.delayMs) await new Promise((resolve) => setTimeout(resolve, opts.delayMs));
      return answer(req);
    } finally {
      inFlight--;
    }
  };
  const answer = ({ params, query }: FakeRequest) => {
    if (params.owner !== opts.owner || params.repo !== opts.repo || ![opts.sha].flat().includes(query.ref ?? '')) return notFound();
    const path = [params.p0, params.p1, params.p2, params.p3].filter((p) => p !== undefined).join('/');
    const file = opts.files[path];
    if (file !== undefined) {
      const name = path.split('/').at(-1)!;
      return { body: { type: 'file', name, path, size: Buffer.byteLength(file), encoding: 'base64', content: Buffer.from(file).toString('base64') } };
    }
    const prefix = path === '' ? '' : `${path}/`;
    const entries = new Map<string, { type: string; name: string; path: string; size: number }>();
    for (const [p, text] of Object.entries(opts.files)) {
      if (!p.startsWith(prefix)) continue;
      const [name, ...rest] = p.slice(prefix.length).split('/');
      entries.set(name!, { type: rest.length > 0 ? 'dir' : 'file', name: name!, path: `${prefix}${name}`, size: rest.length > 0 ? 0 : Buffer.byteLength(text) });
    }
    return entries.size > 0 ? { body: [...entries.values()] } : notFound();
  };
  const base = '/repos/:owner/:repo/contents';
  fake.route('GET', base, handler);
  fake.route('GET', `${base}/:p0`, handler);
  fake.route('GET', `${base}/:p0/:p1`, handler);
  fake.route('GET', `${base}/:p0/:p1/:p2`, handler);
  fake.route('GET', `${base}/:p0/:p1/:p2/:p3`, handler);
  return { peakInFlight: () => peak };
}

function notFound() {
  return { status: 404, body: { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' } };
}

/** A finding with defaults for what a test does not care about. */
export function finding(f: Partial<Finding> & Pick<Finding, 'path' | 'line' | 'title'>): Finding {
  return { start_line: null, side: 'RIGHT', severity: 'medium', body: `Explanation of ${f.title}.`, suggestion: null, rule: null, ...f };
}

/** A chunk reply as the model's message text. */
export function findingsReply(findings: Finding[], summary = 'This part of the change looks focused.', delayMs?: number): ModelReply {
  return { message: JSON.stringify({ summary, findings }), ...(delayMs ? { delayMs } : {}) };
}

/** Which of review mode's turns a model request belongs to, by the heading of its prompt. */
export function turnKind(req: ModelRequest): 'setup' | 'chunk' | 'retry' | 'verify' | 'verify-retry' | 'other' {
  const text = lastUserText(req);
  if (text.startsWith(VERIFY_HEADING)) return 'verify';
  if (text.startsWith(VERIFY_RETRY_HEADING)) return 'verify-retry';
  if (text.startsWith(SETUP_HEADING)) return 'setup';
  if (text.startsWith(CHUNK_HEADING)) return 'chunk';
  if (text.startsWith(RETRY_HEADING)) return 'retry';
  return 'other';
}

/** The acknowledgement the scripted base turn answers; fork requests carry it in their history. */
export const SETUP_ACK = 'ACK-7f3c: I will follow the base branch conventions.';

/** The findings a verification turn lists (id, path, line, title, …), read from its prompt. */
export function findingsToVerify(req: ModelRequest): Array<Finding & { id: number }> {
  const json = /```json\n([\s\S]*)\n```\s*$/.exec(lastUserText(req))?.[1];
  return json ? (JSON.parse(json) as Array<Finding & { id: number }>) : [];
}

/** A verification reply: `decide` gives each listed finding its verdict (default: keep, confidence 0.9). */
export function verdictsReply(
  req: ModelRequest,
  decide: (f: Finding & { id: number }) => { verdict: 'keep' | 'drop'; confidence: number; reason: string } = () => ({
    verdict: 'keep',
    confidence: 0.9,
    reason: 'The code shows the problem.',
  }),
): ModelReply {
  return { message: JSON.stringify({ verdicts: findingsToVerify(req).map((f) => ({ id: f.id, ...decide(f) })) }) };
}

/**
 * Scripts the model for review mode: the setup turn answers SETUP_ACK, chunk turns answer `chunk(req)`,
 * retries answer `retry(req)` (default: no findings), verification turns answer `verify(req)` (default: keep all).
 */
export function scriptReviewModel(
  model: ModelServer,
  handlers: {
    chunk: (req: ModelRequest) => ModelReply | Promise<ModelReply>;
    retry?: (req: ModelRequest) => ModelReply;
    verify?: (req: ModelRequest) => ModelReply | Promise<ModelReply>;
  },
): void {
  model.respond((req) => {
    switch (turnKind(req)) {
      case 'setup':
        return { message: SETUP_ACK };
      case 'chunk':
        return handlers.chunk(req);
      case 'retry':
        return handlers.retry ? handlers.retry(req) : findingsReply([]);
      case 'verify':
      case 'verify-retry':
        return handlers.verify ? handlers.verify(req) : verdictsReply(req);
      default:
        return { message: 'Unexpected request.' };
    }
  });
}

/** A patch of a modified file: `context` lines kept, with line `at` (1-based) replaced by `replacement`. */
export function modifyPatch(lines: readonly string[], at: number, replacement: string): string {
  const out = [`@@ -1,${lines.length} +1,${lines.length} @@`];
  lines.forEach((l, i) => out.push(i + 1 === at ? `-${l}\n+${replacement}` : ` ${l}`));
  return out.join('\n');
}

/** A patch of an added file. */
export function addedPatch(lines: readonly string[]): string {
  return [`@@ -0,0 +1,${lines.length} @@`, ...lines.map((l) => `+${l}`)].join('\n');
}

/** Captures what @actions/core writes (workflow commands included) and keeps it off the test output. */
export function captureStdout(): { text(): string; restore(): void } {
  const chunks: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  });
  return { text: () => chunks.join(''), restore: () => spy.mockRestore() };
}

/** What a review or conversation test runs against: captured stdout, the fake GitHub, the scripted model, a checkout. */
export interface ReviewRig {
  stdout: ReturnType<typeof captureStdout>;
  fake: FakeGitHub;
  model: ModelServer;
  /** The pull request's head, checked out. */
  workspace: TestRepo;
}

/** Starts a ReviewRig whose workspace holds `files` (createRepo's `options`); close it with closeReviewRig. */
export async function startReviewRig(files: Record<string, string>, options?: Parameters<typeof createRepo>[1]): Promise<ReviewRig> {
  const stdout = captureStdout();
  return { stdout, fake: await FakeGitHub.start(), model: await ModelServer.start(), workspace: await createRepo(files, options) };
}

export async function closeReviewRig(rig: ReviewRig): Promise<void> {
  rig.stdout.restore();
  await rig.fake.close();
  await rig.model.close();
  await rig.workspace.cleanup();
}

/**
 * Makes the next POST …/pulls/:n/reviews do what a flaky GitHub sometimes does: store the review, then answer 502.
 * Later calls store the review and answer 201 normally. The fake's own reviews route is replaced for the test.
 */
export function createReviewThen502Once(fake: FakeGitHub): void {
  let failed = false;
  fake.route('POST', '/repos/:owner/:repo/pulls/:pull_number/reviews', ({ params, body }) => {
    const b = (body ?? {}) as { body?: string; event?: string; commit_id?: string; comments?: ReviewCommentInput[] };
    const id = 90_000 + fake.reviews.length;
    const html_url = `https://github.com/${params.owner}/${params.repo}/pull/${params.pull_number}#pullrequestreview-${id}`;
    fake.reviews.push({
      id,
      owner: params.owner!,
      repo: params.repo!,
      pull_number: Number(params.pull_number),
      html_url,
      body: b.body ?? '',
      event: b.event,
      state: b.event ? 'COMMENTED' : 'PENDING',
      commit_id: b.commit_id ?? '',
      user: BOT_USER,
      comments: b.comments ?? [],
    });
    if (!failed) {
      failed = true;
      return { status: 502, body: { message: 'Server Error' } };
    }
    return { status: 200, body: { id, html_url, state: 'COMMENTED', body: b.body ?? '', commit_id: b.commit_id, user: BOT_USER } };
  });
}
