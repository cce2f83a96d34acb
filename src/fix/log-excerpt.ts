// Cuts a failed job's log down to what explains the failure: the failed step, `##[error]` lines, stack traces.

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

/**
 * The lines of one job's log that matter, at most `maxBytes` long: every `##[error]` line, the failed step's
 * command, its noteworthy lines and stack frames with a little context, and the end of its output.
 * Omitted stretches are marked so the reader knows the excerpt is partial.
 */
export function excerptJobLog(log: string, maxBytes: number): string {
  const lines = log
    .split(/\r?\n/)
    .map(cleanLogLine)
    .filter((l) => l !== '##[endgroup]')
    .map((l) => (l.length > MAX_LINE_CHARS ? `${l.slice(0, MAX_LINE_CHARS)} …(line cut)` : l));
  while (lines.length > 0 && lines.at(-1) === '') lines.pop();
  if (lines.length === 0) return '';

  const [start, end] = failedSection(lines);
  // Lower rank = kept first.
  const rank = new Map<number, number>();
  const want = (i: number, r: number) => {
    if (i < 0 || i >= lines.length) return;
    const current = rank.get(i);
    if (current === undefined || r < current) rank.set(i, r);
  };
  // Ranks: the runner's errors; the step's command; failure lines and stack frames; the step's last lines;
  // the lines around failures; more of the end.
  lines.forEach((line, i) => {
    if (ERROR_LINE.test(line)) want(i, 0);
  });
  for (let i = start; i < Math.min(end, start + HEAD_LINES); i++) want(i, 1);
  for (let i = start; i < end; i++) {
    const line = lines[i]!;
    if (STACK_FRAME.test(line) || NOTEWORTHY.test(line)) want(i, 2);
    if (NOTEWORTHY.test(line)) for (let j = Math.max(start, i - CONTEXT_LINES); j <= Math.min(end - 1, i + CONTEXT_LINES); j++) want(j, 4);
  }
  for (let i = Math.max(start, end - NEAR_TAIL_LINES); i < end; i++) want(i, 3);
  for (let i = Math.max(start, end - FAR_TAIL_LINES); i < end; i++) want(i, 5);

  const byRank = [...rank.entries()].sort((a, b) => a[1] - b[1] || a[0] - b[0]);
  const kept = new Set<number>();
  let used = 0;
  for (const [i] of byRank) {
    // The +40 leaves room for an omission marker before the line.
    const cost = Buffer.byteLength(lines[i]!) + 1 + 40;
    if (used + cost > maxBytes) continue;
    kept.add(i);
    used += cost;
  }
  return render(lines, kept);
}

/** The excerpt of every failed job, headed by the job's name and failed step, bounded by `maxBytes` in total. */
export function buildLogExcerpt(jobs: readonly JobLog[], maxBytes = DEFAULT_EXCERPT_BYTES): string {
  const shown = jobs.slice(0, MAX_JOBS_EXCERPTED);
  const parts: string[] = [];
  const perJob = Math.floor(maxBytes / Math.max(1, shown.length)) - 200;
  for (const job of shown) {
    const step = job.failedStep ? `, failed step "${job.failedStep}"` : '';
    const excerpt = excerptJobLog(job.log, Math.max(500, perJob));
    parts.push(`### Job "${job.name}"${step}\n${excerpt || '(the log is empty)'}`);
  }
  if (jobs.length > shown.length) {
    parts.push(`(${jobs.length - shown.length} more failed jobs not excerpted: ${jobs.slice(shown.length).map((j) => j.name).join(', ')})`);
  }
  return truncateBytes(parts.join('\n\n'), maxBytes);
}

/** The end of `text`, starting at a line boundary and marked when cut: at most `maxBytes` with the mark. */
export function tailText(text: string, maxBytes: number): string {
  const trimmed = text.replace(/\s+$/, '');
  if (Buffer.byteLength(trimmed) <= maxBytes) return trimmed;
  // Byte lengths throughout: `…` is three bytes in UTF-8.
  const marker = '… (earlier output omitted)\n';
  const buf = Buffer.from(trimmed);
  const room = Math.max(0, maxBytes - Buffer.byteLength(marker));
  // A character cut in two at the start decodes as U+FFFD (three bytes for at most three): drop it.
  let tail = buf.subarray(buf.length - room).toString('utf8').replace(/^\uFFFD+/, '');
  const newline = tail.indexOf('\n');
  if (newline >= 0 && newline < tail.length - 1) tail = tail.slice(newline + 1);
  return `${marker}${tail}`;
}

// The section [start, end) of the step that failed: the step containing the first `##[error]`, else the last
// step, else the whole log.
function failedSection(lines: readonly string[]): [number, number] {
  const starts = lines.flatMap((l, i) => (STEP_START.test(l) ? [i] : []));
  const firstError = lines.findIndex((l) => ERROR_LINE.test(l));
  if (starts.length === 0) return [0, lines.length];
  const anchor = firstError >= 0 ? firstError : lines.length - 1;
  let s = 0;
  for (const start of starts) if (start <= anchor) s = start;
  const next = starts.find((start) => start > s);
  return [s, next ?? lines.length];
}

function render(lines: readonly string[], kept: ReadonlySet<number>): string {
  const out: string[] = [];
  let last = -1;
  for (const i of [...kept].sort((a, b) => a - b)) {
    if (i > last + 1) out.push(omitted(i - last - 1));
    out.push(lines[i]!);
    last = i;
  }
  if (last < lines.length - 1 && kept.size > 0) out.push(omitted(lines.length - 1 - last));
  return out.join('\n');
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
