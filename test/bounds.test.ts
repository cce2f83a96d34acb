// Every text that leaves the action is bounded in one place, and a cut is always visible.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ANNOTATION_MESSAGE_MAX_CHARS, bound, boundBytes, FINDINGS_OUTPUT_MAX_CHARS, GITHUB_BODY_MAX_CHARS } from '../src/base/text/bounds.js';
import { report as writeReport } from '../src/action/report.js';
import { commentBody, reviewBody, stickyBody } from '../src/modes/review/deliver/compose.js';
import { fingerprint } from '../src/modes/review/agent/findings.js';
import { annotate, findingsOutput } from '../src/modes/review/report/report.js';
import { captureStdout, finding } from './support/review-fixtures.js';
import { fingerprintsIn } from '../src/base/text/markers.js';
import { type Keyed } from '../src/modes/review/keyed.js';
import { type PullReport } from '../src/modes/review/report/pull-report.js';

const keyed = (f: Parameters<typeof finding>[0]): Keyed => {
  const full = finding(f);
  return { ...full, fp: fingerprint(full) };
};

describe('bound', () => {
  it('keeps short texts and cuts long ones to the limit with the marker', () => {
    expect(bound('short', 10)).toBe('short');
    const cut = bound('x'.repeat(100), 20, '[cut]');
    expect(cut).toBe(`${'x'.repeat(15)}[cut]`);
  });

  it('never splits a surrogate pair', () => {
    const cut = bound('😀'.repeat(10), 6, '…');
    expect(cut.length).toBeLessThanOrEqual(6);
    expect(cut).toBe('😀😀…');
  });

  it('cuts by bytes when the limit is in bytes', () => {
    const cut = boundBytes('é'.repeat(1000), 101, '[cut]');
    expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(101);
    expect(cut.endsWith('[cut]')).toBe(true);
    expect(boundBytes('abc', 10, '[cut]')).toBe('abc');
  });
});

describe('texts that leave the action', () => {
  const huge = 'A long explanation. '.repeat(10_000);

  it('an inline comment, the review body and the sticky comment stay under GitHub\'s limit, their marker last', () => {
    const f = keyed({ path: 'a.ts', line: 1, title: 'Huge', body: huge, suggestion: huge });
    const body = commentBody(f, 'RIGHT');
    expect(body.length).toBeLessThanOrEqual(GITHUB_BODY_MAX_CHARS);
    expect(body).toContain('… (cut short: GitHub limits the length of a comment)');
    expect(fingerprintsIn(body)).toEqual([f.fp]);
    const review = reviewBody(
      { headSha: 'a'.repeat(40), summary: huge, alreadyPosted: 0, overCap: [], maxComments: 10, notReviewed: [], leftOut: [huge] },
      { inline: [], outside: [f] },
    );
    expect(review.length).toBeLessThanOrEqual(GITHUB_BODY_MAX_CHARS);
    expect(fingerprintsIn(review)).toEqual([f.fp]);
    const sticky = stickyBody({ headSha: 'a'.repeat(40), summary: huge, kept: [f], minSeverity: 'low', reviewUrl: undefined, newCount: 1, notReviewed: [] });
    expect(sticky.length).toBeLessThanOrEqual(GITHUB_BODY_MAX_CHARS);
  });

  const report = (kept: Keyed[]): PullReport => ({
    pr: { number: 1, title: 't', body: '', draft: false, state: 'open', htmlUrl: '', headSha: 'a'.repeat(40), headRef: 'h', baseSha: 'b'.repeat(40), baseRef: 'main', changedFiles: 1 },
    kept,
    newCount: kept.length,
    chunksTotal: 1,
    chunksOk: 1,
    chunksRetried: 0,
    failedChunks: [],
    notReviewed: [],
    leftOut: [],
    post: null,
  });

  it('annotations carry at most the capped message, the cut marked', () => {
    const stdout = captureStdout();
    try {
      annotate([report([keyed({ path: 'a.ts', line: 2, title: 'T'.repeat(400), body: huge, severity: 'high' })])], []);
    } finally {
      stdout.restore();
    }
    const line = stdout.text().split('\n').find((l) => l.startsWith('::error '))!;
    const message = line.slice(line.indexOf('::', 2) + 2);
    expect(message.length).toBeLessThanOrEqual(ANNOTATION_MESSAGE_MAX_CHARS);
    expect(message).toContain('… (cut short; the review and the job summary have the whole text)');
    const title = /title=([^,:]*)/.exec(line)![1]!;
    expect(title.length).toBeLessThanOrEqual(255);
  });

  it('the findings output cuts long texts and stays valid JSON under its bound, most severe kept', () => {
    const many = Array.from({ length: 200 }, (_, i) => keyed({ path: 'a.ts', line: i + 1, title: `F${i}`, body: huge, severity: i < 5 ? 'critical' : 'low' }));
    const stdout = captureStdout();
    let out: string;
    try {
      out = findingsOutput([report(many)], []);
    } finally {
      stdout.restore();
    }
    expect(out.length).toBeLessThanOrEqual(FINDINGS_OUTPUT_MAX_CHARS);
    const parsed = JSON.parse(out) as Array<{ title: string; body: string; severity: string }>;
    expect(parsed.length).toBeGreaterThan(5);
    expect(parsed.length).toBeLessThan(200);
    expect(parsed.slice(0, 5).every((f) => f.severity === 'critical')).toBe(true);
    expect(parsed[0]!.body).toContain('… (cut short; the review has the whole text)');
    expect(stdout.text()).toContain(`::warning::The findings output lists the ${parsed.length} most severe of 200 findings`);
  });
});

describe('the job summary', () => {
  it('stays under GitHub\'s 1 MiB per step, the cut marked, instead of being refused whole', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'summary-'));
    const saved = process.env.GITHUB_STEP_SUMMARY;
    process.env.GITHUB_STEP_SUMMARY = join(dir, 'summary.md');
    await writeFile(process.env.GITHUB_STEP_SUMMARY, '');
    const stdout = captureStdout();
    try {
      await writeReport({ conclusion: 'findings', outputs: {}, summary: `## Codex review\n\n${'ü'.repeat(1_500_000)}` }, []);
      const written = await readFile(process.env.GITHUB_STEP_SUMMARY, 'utf8');
      expect(Buffer.byteLength(written)).toBeLessThanOrEqual(1024 * 1024);
      expect(written.startsWith('## Codex review')).toBe(true);
      expect(written).toContain('… (cut short: GitHub limits the size of a job summary)');
    } finally {
      stdout.restore();
      if (saved === undefined) delete process.env.GITHUB_STEP_SUMMARY;
      else process.env.GITHUB_STEP_SUMMARY = saved;
      await rm(dir, { recursive: true, force: true });
    }
  });
});
