// Cuts a failed job's log down to what explains the failure: the failed step, `##[error]` lines, stack traces;
// a log of any size is indexed as it streams past and only the chosen lines are read back.

/** A failed job's log and what GitHub says about it. */
export interface JobLog {
  name: string;
  /** The step GitHub marked as failed, when known. */
  failedStep?: string;
  log: string;
}

/** Default bound of the whole excerpt given to the model. */
export const DEFAULT_EXCERPT_BYTES = 20_000;
// Beyond this many jobs, the rest are only named: their logs are still in the full-log file.
const MAX_JOBS_EXCERPTED = 5;
// A minified bundle or a base64 blob on one line says nothing a few hundred characters do not.
const MAX_LINE_CHARS = 400;
const MAX_HELD_LINE_CHARS = MAX_LINE_CHARS * 4;
const HEAD_LINES = 4;
const CONTEXT_LINES = 3;
const NEAR_TAIL_LINES = 15;
const FAR_TAIL_LINES = 150;

// Runner logs prefix each line with an ISO timestamp; colors come through as ANSI escapes.
const TIMESTAMP = /^\uFEFF?\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z ?/;
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;?]*[A-Za-z]/g;
const STEP_START = /^##\[group\]Run /;
const ERROR_LINE = /^##\[error\]/;
const STACK_FRAME = /^\s+at\s+\S|^\s*File ".*", line \d+|^Traceback \(most recent call last\)|^goroutine \d+|^panic:|^\s+\S+\.(?:go|rs|java|kt|py|rb|ts|js):\d+/;
const NOTEWORTHY = /error|fail|exception|traceback|panic|assert|expected|received|✕|✗|×|●/i;

/** A log line without its timestamp and color codes. */
export function cleanLogLine(line: string): string {
  return line.replace(TIMESTAMP, '').replace(ANSI, '');
}

// A passing test's line ("✓ returns an error for bad input") says nothing about the failure, whatever words it has.
const PASSING = /^\s*(?:✓|✔|√|PASS\b|ok\s)/;

// What one line is, as bits of LogIndex.kinds.
const KIND_ERROR = 1;
const KIND_NOTEWORTHY = 2;
const KIND_STACK = 4;
const KIND_EMPTY = 8;
const NOT_WANTED = 255;

/** A raw log line as the excerpt shows it (no timestamp, colors, cut when very long), or undefined when dropped. */
export function excerptLine(raw: string): string | undefined {
  // Past a few times the shown length, the rest of a line cannot matter (only colors and a timestamp come off).
  const long = raw.length > MAX_HELD_LINE_CHARS;
  const line = cleanLogLine(long ? raw.slice(0, MAX_HELD_LINE_CHARS) : raw);
  if (line === '##[endgroup]') return undefined;
  return long || line.length > MAX_LINE_CHARS ? `${line.slice(0, MAX_LINE_CHARS)} …(line cut)` : line;
}

/**
 * What choosing an excerpt needs to know of a log, gathered one line at a time: per line its size and kind (a few
 * bytes each), the step starts and the first error. The text itself is not kept, so a log of any size can be
 * indexed while it streams past, and the chosen lines read again afterwards (from the file it was written to).
 */
export class LogIndex {
  private lengths = new Uint32Array(4096);
  private kinds = new Uint8Array(4096);
  private count = 0;
  private lastNonEmpty = -1;
  private readonly stepStarts: number[] = [];
  private firstError = -1;

  /** Adds one raw line (without its newline); returns the line as the excerpt would show it, if it counts. */
  add(raw: string): string | undefined {
    const line = excerptLine(raw);
    if (line === undefined) return undefined;
    const i = this.count++;
    if (i === this.lengths.length) this.grow();
    this.lengths[i] = Buffer.byteLength(line);
    let kind = 0;
    if (line === '') kind |= KIND_EMPTY;
    else this.lastNonEmpty = i;
    if (ERROR_LINE.test(line)) {
      kind |= KIND_ERROR;
      if (this.firstError < 0) this.firstError = i;
    }
    if (STEP_START.test(line)) this.stepStarts.push(i);
    if (NOTEWORTHY.test(line) && !PASSING.test(line)) kind |= KIND_NOTEWORTHY;
    if (STACK_FRAME.test(line)) kind |= KIND_STACK;
    this.kinds[i] = kind;
    return line;
  }

  /** The number of lines the excerpt counts (trailing empty lines left out). */
  get lineCount(): number {
    return this.lastNonEmpty + 1;
  }

  /**
   * The indices of the lines to keep, ascending, at most `maxBytes` in all. Ranks, kept first to last: the
   * runner's errors; the failed step's command; its failure lines and stack frames; its last lines; the lines
   * around failures; more of its end.
   */
  select(maxBytes: number): number[] {
    const n = this.lineCount;
    if (n === 0) return [];
    const [start, end] = this.failedSection(n);
    const rank = new Uint8Array(n).fill(NOT_WANTED);
    const want = (i: number, r: number) => {
      if (i >= 0 && i < n && r < rank[i]!) rank[i] = r;
    };
    for (let i = 0; i < n; i++) if (this.kinds[i]! & KIND_ERROR) want(i, 0);
    for (let i = start; i < Math.min(end, start + HEAD_LINES); i++) want(i, 1);
    for (let i = start; i < end; i++) {
      const kind = this.kinds[i]!;
      if (kind & (KIND_STACK | KIND_NOTEWORTHY)) want(i, 2);
      if (kind & KIND_NOTEWORTHY) {
        for (let j = Math.max(start, i - CONTEXT_LINES); j <= Math.min(end - 1, i + CONTEXT_LINES); j++) want(j, 4);
      }
    }
    for (let i = Math.max(start, end - NEAR_TAIL_LINES); i < end; i++) want(i, 3);
    for (let i = Math.max(start, end - FAR_TAIL_LINES); i < end; i++) want(i, 5);

    const kept: number[] = [];
    let used = 0;
    for (let r = 0; r <= 5; r++) {
      for (let i = 0; i < n; i++) {
        if (rank[i] !== r) continue;
        // The +40 leaves room for an omission marker before the line.
        const cost = this.lengths[i]! + 1 + 40;
        if (used + cost > maxBytes) continue;
        kept.push(i);
        used += cost;
      }
    }
    return kept.sort((a, b) => a - b);
  }

  // The section [start, end) of the step that failed: the step containing the first `##[error]`, else the last
  // step, else the whole log.
  private failedSection(n: number): [number, number] {
    const starts = this.stepStarts.filter((i) => i < n);
    if (starts.length === 0) return [0, n];
    const anchor = this.firstError >= 0 && this.firstError < n ? this.firstError : n - 1;
    let s = 0;
    for (const start of starts) if (start <= anchor) s = start;
    const next = starts.find((start) => start > s);
    return [s, next ?? n];
  }

  private grow(): void {
    const lengths = new Uint32Array(this.lengths.length * 2);
    lengths.set(this.lengths);
    this.lengths = lengths;
    const kinds = new Uint8Array(this.kinds.length * 2);
    kinds.set(this.kinds);
    this.kinds = kinds;
  }
}

/** Builds the excerpt text from every counted line in order, keeping the `kept` ones and marking each gap. */
export class ExcerptRenderer {
  private readonly out: string[] = [];
  private next = 0;
  private last = -1;
  private i = 0;

  constructor(
    private readonly kept: readonly number[],
    private readonly lineCount: number,
  ) {}

  /** Offers the next counted line; false once every kept line is in (the caller may stop reading). */
  offer(line: string): boolean {
    if (this.next >= this.kept.length) return false;
    if (this.i === this.kept[this.next]) {
      if (this.i > this.last + 1) this.out.push(omitted(this.i - this.last - 1));
      this.out.push(line);
      this.last = this.i;
      this.next++;
    }
    this.i++;
    return this.next < this.kept.length;
  }

  text(): string {
    const out = [...this.out];
    if (this.last < this.lineCount - 1 && this.kept.length > 0) out.push(omitted(this.lineCount - 1 - this.last));
    return out.join('\n');
  }
}

/**
 * Splits text that arrives in pieces into lines (`\n`, with a `\r` before it dropped), holding at most one line's
 * first few thousand characters: the rest of a giant line is not needed by the excerpt.
 */
export class LineSplitter {
  private pending = '';
  private overflow = false;

  constructor(private readonly onLine: (line: string) => void) {}

  push(text: string): void {
    let from = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', from)) {
      this.take(text.slice(from, nl));
      const line = this.pending.endsWith('\r') ? this.pending.slice(0, -1) : this.pending;
      this.pending = '';
      this.overflow = false;
      this.onLine(line);
      from = nl + 1;
    }
    this.take(text.slice(from));
  }

  end(): void {
    this.onLine(this.pending);
    this.pending = '';
  }

  private take(part: string): void {
    if (this.overflow) return;
    this.pending += part;
    if (this.pending.length > MAX_HELD_LINE_CHARS) {
      this.pending = this.pending.slice(0, MAX_HELD_LINE_CHARS);
      this.overflow = true;
    }
  }
}

/**
 * The lines of one job's log that matter, at most `maxBytes` long: every `##[error]` line, the failed step's
 * command, its noteworthy lines and stack frames with a little context, and the end of its output.
 * Omitted stretches are marked so the reader knows the excerpt is partial.
 */
export function excerptJobLog(log: string, maxBytes: number): string {
  const index = new LogIndex();
  const lines: string[] = [];
  for (const raw of log.split(/\r?\n/)) {
    const line = index.add(raw);
    if (line !== undefined) lines.push(line);
  }
  const renderer = new ExcerptRenderer(index.select(maxBytes), index.lineCount);
  for (const line of lines) if (!renderer.offer(line)) break;
  return renderer.text();
}

/** One failed job's excerpt, made on demand for the bound its share of the whole allows. */
export interface JobExcerptSource {
  name: string;
  failedStep?: string;
  excerpt(maxBytes: number): Promise<string>;
}

/** The excerpt of every failed job, headed by the job's name and failed step, bounded by `maxBytes` in total. */
export function buildLogExcerpt(jobs: readonly JobLog[], maxBytes = DEFAULT_EXCERPT_BYTES): string {
  const shown = jobs.slice(0, MAX_JOBS_EXCERPTED);
  const budget = perJobBytes(shown.length, maxBytes);
  return joinExcerpts(jobs, shown.map((job) => excerptJobLog(job.log, budget)), maxBytes);
}

/** buildLogExcerpt for jobs whose logs are read from disk (streamed, never held whole). */
export async function buildLogExcerptFrom(jobs: readonly JobExcerptSource[], maxBytes = DEFAULT_EXCERPT_BYTES): Promise<string> {
  const shown = jobs.slice(0, MAX_JOBS_EXCERPTED);
  const budget = perJobBytes(shown.length, maxBytes);
  const excerpts: string[] = [];
  for (const job of shown) excerpts.push(await job.excerpt(budget));
  return joinExcerpts(jobs, excerpts, maxBytes);
}

function perJobBytes(shown: number, maxBytes: number): number {
  return Math.max(500, Math.floor(maxBytes / Math.max(1, shown)) - 200);
}

function joinExcerpts(jobs: ReadonlyArray<{ name: string; failedStep?: string }>, excerpts: readonly string[], maxBytes: number): string {
  const parts = excerpts.map((excerpt, i) => {
    const job = jobs[i]!;
    const step = job.failedStep ? `, failed step "${job.failedStep}"` : '';
    return `### Job "${job.name}"${step}\n${excerpt || '(the log is empty)'}`;
  });
  if (jobs.length > excerpts.length) {
    const rest = jobs.slice(excerpts.length);
    parts.push(`(${rest.length} more failed jobs not excerpted: ${rest.map((j) => j.name).join(', ')})`);
  }
  return truncateBytes(parts.join('\n\n'), maxBytes);
}

function omitted(count: number): string {
  return `… (${count} line${count === 1 ? '' : 's'} omitted)`;
}

function truncateBytes(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text) <= maxBytes) return text;
  const marker = '\n… (excerpt cut to its size limit)';
  // The marker's length in bytes, not characters: `…` is three bytes in UTF-8.
  const room = Math.max(0, maxBytes - Buffer.byteLength(marker));
  return Buffer.from(text).subarray(0, room).toString('utf8').replace(/\uFFFD+$/, '') + marker;
}
