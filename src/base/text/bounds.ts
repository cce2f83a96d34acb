// The one place for how long a text that leaves the action may be, and how it is cut: visibly, never silently.

/** GitHub refuses a comment, review or pull request body longer than this (characters). */
export const GITHUB_BODY_MAX_CHARS = 65_536;
/**
 * What composed Markdown (a review body, an inline comment, the sticky comment) may take, leaving room for the
 * fingerprint marker that follows it and for the cut note.
 */
export const COMPOSED_BODY_MAX_CHARS = 60_000;
/** An annotation's message: GitHub shows annotations in a narrow list and caps their text; the review has the rest. */
export const ANNOTATION_MESSAGE_MAX_CHARS = 4_000;
/** An annotation's title (the Checks API allows 255 characters). */
export const ANNOTATION_TITLE_MAX_CHARS = 255;
/** One text field (body, suggestion) of a finding in the `findings` output. */
export const OUTPUT_FINDING_TEXT_MAX_CHARS = 10_000;
/** A finding's title in the `findings` output. */
export const OUTPUT_FINDING_TITLE_MAX_CHARS = 300;
/** The whole `findings` output: a job's outputs share 1 MB. */
export const FINDINGS_OUTPUT_MAX_CHARS = 512 * 1024;
/** The job summary: GitHub takes at most 1 MiB per step. */
export const JOB_SUMMARY_MAX_BYTES = 1024 * 1024 - 1024;

/**
 * `text` cut to at most `max` characters, the cut marked with `marker` (which counts towards `max`), so a reader
 * always sees that something is missing. A surrogate pair is never split.
 */
export function bound(text: string, max: number, marker = '…'): string {
  if (text.length <= max) return text;
  let end = Math.max(0, max - marker.length);
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end--;
  return `${text.slice(0, end)}${marker}`;
}

/** A Markdown body cut to `max` characters with a note that GitHub limits the length. */
export function boundBody(text: string, max = COMPOSED_BODY_MAX_CHARS): string {
  return bound(text, max, '\n\n… (cut short: GitHub limits the length of a comment)');
}

/** `text` cut to at most `maxBytes` bytes of UTF-8, the cut marked. */
export function boundBytes(text: string, maxBytes: number, marker: string): string {
  if (Buffer.byteLength(text) <= maxBytes) return text;
  // Characters take 1–4 bytes: cut by characters until the bytes fit (at most a few rounds).
  let max = Math.min(text.length, maxBytes);
  let out = bound(text, max, marker);
  while (Buffer.byteLength(out) > maxBytes && max > marker.length) {
    max = Math.floor(max * (maxBytes / Buffer.byteLength(out))) - 1;
    out = bound(text, max, marker);
  }
  return out;
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
