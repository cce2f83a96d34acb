// The findings schema: one shape from the model's outputSchema, through zod, to the `findings` output.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { readJsonReply } from '../../../base/codex/json-reply.js';
import { SEVERITIES, type Severity } from '../../../base/options.js';

/** A finding's severity, most severe first (the order of SEVERITIES). */
export const severity = z.enum(SEVERITIES);

const SUGGESTION_HELP =
  'Replacement text for lines start_line..line (or line) on the RIGHT side, exactly as it should read, without diff markers; else null. An empty suggestion counts as null: to suggest deleting lines, say so in body.';

/**
 * One finding as the model reports it and as the `findings` output lists it. This one definition is both the JSON
 * Schema the model is asked for (CHUNK_REVIEW_JSON_SCHEMA, derived below) and what reads its reply, so the two
 * cannot drift. Only types live here: values (a line that exists, a path of the pull request) are checked finding
 * by finding in `checkFinding`, so one bad finding does not sink its siblings.
 */
export const findingSchema = z.object({
  path: z.string().meta({ description: 'File path exactly as in the diff header.' }),
  line: z.int().meta({ description: 'The (last) line the finding is about: an R number for side RIGHT, an L number for side LEFT.' }),
  start_line: z.int().nullable().meta({ description: 'First line of a multi-line range on the same side, else null.' }),
  side: z.enum(['RIGHT', 'LEFT']).meta({ description: 'RIGHT = new version (R numbers), LEFT = old version (L numbers, removed lines).' }),
  severity,
  title: z.string().meta({ description: 'One line, under 80 characters.' }),
  body: z.string().meta({ description: 'What is wrong, why it matters, and how to fix it (Markdown).' }),
  suggestion: z.string().nullable().meta({ description: SUGGESTION_HELP }),
  // Last, and defaulting to null: replies written before it existed (and tests' scripted ones) still read.
  rule: z
    .string()
    .nullable()
    .default(null)
    .meta({ description: 'Path of the rules file (a nested AGENTS.md or a conventions file shown to you) this finding rests on, exactly as its heading names it; else null.' }),
});

/** The model's whole reply for one chunk, as the schema asks for it. */
export const chunkReviewSchema = z.object({
  summary: z.string().meta({ description: 'Two or three sentences on what this part of the change does and its main risks.' }),
  findings: z.array(findingSchema),
});

// The reply is read in two steps: its envelope (a summary and a list), then each finding on its own.
const envelopeOf = (schema: typeof chunkReviewSchema | typeof incrementalReviewSchema) => schema.extend({ findings: z.array(z.unknown()) });

/** An incremental chunk's reply also names the earlier findings the new changes address (by their ids). */
export const incrementalReviewSchema = chunkReviewSchema.extend({
  addressed: z
    .array(z.string())
    .meta({ description: 'Ids of the earlier findings listed in the prompt that these changes fix; empty when none or unsure.' }),
});

export type Finding = z.infer<typeof findingSchema>;

/** A finding of the reply that was left out, and why: listed in the review body and the job summary, never posted inline. */
export interface DroppedFinding {
  /** Its place in the reply's `findings` list (0-based). */
  index: number;
  reason: string;
  /** What the model said, as far as it could be read. */
  title: string | undefined;
  severity: Severity | undefined;
}

/** One chunk's usable findings, plus the ones left out; `addressed` only in incremental turns shown earlier findings. */
export interface ChunkReview {
  summary: string;
  findings: Finding[];
  dropped: DroppedFinding[];
  addressed?: string[];
}

/** The parts of the derived schema code and tests read. */
interface StrictSchema {
  type: 'object';
  additionalProperties: false;
  required: string[];
  properties: {
    summary: { type: 'string'; description: string };
    findings: {
      type: 'array';
      items: { type: 'object'; additionalProperties: false; required: string[]; properties: Record<keyof Finding, { type: string | string[]; description?: string; enum?: string[] }> };
    };
  };
}

const STRICT_KEYWORDS = new Set(['type', 'properties', 'required', 'additionalProperties', 'items', 'enum', 'description', 'anyOf']);

/** zod's JSON Schema in the dialect of strict structured outputs: `anyOf [T, null]` as `type: [T, "null"]`. */
function strictJsonSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(strictJsonSchema);
  if (node === null || typeof node !== 'object') return node;
  const source = node as Record<string, unknown>;
  const anyOf = source.anyOf as Array<Record<string, unknown>> | undefined;
  if (anyOf?.length === 2 && anyOf.some((a) => a.type === 'null')) {
    const other = strictJsonSchema(anyOf.find((a) => a.type !== 'null')) as Record<string, unknown>;
    const rest = Object.fromEntries(Object.entries(source).filter(([key]) => key !== 'anyOf'));
    return { ...other, ...(strictJsonSchema(rest) as object), type: [other.type, 'null'] };
  }
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(source)) {
    if (!STRICT_KEYWORDS.has(key)) continue;
    out[key] = key === 'properties' ? Object.fromEntries(Object.entries(value as object).map(([k, v]) => [k, strictJsonSchema(v)])) : strictJsonSchema(value);
  }
  return out;
}

/**
 * The same shape as JSON Schema for `outputSchema`, derived from chunkReviewSchema. The Responses API runs it in
 * strict mode: every property required, no extra properties, "optional" spelled as a null type, and no keywords
 * strict mode does not know (zod's safe-integer bounds are left out).
 */
export const CHUNK_REVIEW_JSON_SCHEMA = strictJsonSchema(z.toJSONSchema(chunkReviewSchema, { target: 'draft-2020-12' })) as StrictSchema;

/** The chunk schema plus `addressed`, for incremental turns that are shown earlier findings (derived the same way). */
export const INCREMENTAL_REVIEW_JSON_SCHEMA = strictJsonSchema(z.toJSONSchema(incrementalReviewSchema, { target: 'draft-2020-12' })) as StrictSchema & {
  properties: { addressed: { type: 'array'; items: { type: 'string' }; description: string } };
};

/** Rank of a severity: 0 for critical … 4 for info. */
export function severityRank(s: Severity): number {
  return SEVERITIES.indexOf(s);
}

/** True when `s` is as severe as `threshold` or more. */
export function atLeast(s: Severity, threshold: Severity): boolean {
  return severityRank(s) <= severityRank(threshold);
}

/** A title as the fingerprint sees it: case and runs of whitespace do not make a finding new. */
export function normaliseTitle(title: string): string {
  return title.toLowerCase().replace(/\s+/g, ' ').trim();
}

/** A stable id of a finding from its path, line and (normalised) title. */
export function fingerprint(f: Pick<Finding, 'path' | 'line' | 'title'>): string {
  return createHash('sha256').update(`${f.path}\n${f.line}\n${normaliseTitle(f.title)}`).digest('hex').slice(0, 16);
}

/**
 * Parses a model reply (JSON, maybe inside a ``` fence) into a ChunkReview, or says what is wrong with its envelope
 * (not JSON, no summary, no findings list): only that is worth asking the model again. Each finding is then read on
 * its own: one with the wrong shape or an impossible location is left out with the reason, and its siblings stay.
 * `paths` are the files of the pull request; a finding elsewhere is impossible. `rules` are the rules files the turn
 * was shown: a finding that names another keeps its place but not the name (it cannot rest on a file it never saw).
 */
export function parseChunkReview(
  text: string | null,
  paths: readonly string[],
  schema: typeof chunkReviewSchema | typeof incrementalReviewSchema = chunkReviewSchema,
  rules: ReadonlySet<string> = new Set(),
): { ok: true; review: ChunkReview } | { ok: false; error: string } {
  const reply = readJsonReply(text);
  if (!reply.ok) return reply;
  const envelope = envelopeOf(schema).safeParse(reply.json);
  if (!envelope.success) return { ok: false, error: z.prettifyError(envelope.error) };
  const known = new Set(paths);
  const review: ChunkReview = { summary: envelope.data.summary, findings: [], dropped: [] };
  if ('addressed' in envelope.data) review.addressed = envelope.data.addressed as string[];
  envelope.data.findings.forEach((raw, index) => {
    const read = readFinding(raw, known);
    if (read.ok) review.findings.push(read.finding.rule !== null && !rules.has(read.finding.rule) ? { ...read.finding, rule: null } : read.finding);
    else review.dropped.push({ index, reason: read.reason, title: textField(raw, 'title'), severity: severityOf(raw) });
  });
  return { ok: true, review };
}

/** One finding of a reply: its shape, then whether its location can exist in this pull request. */
export function readFinding(raw: unknown, paths: ReadonlySet<string>): { ok: true; finding: Finding } | { ok: false; reason: string } {
  const parsed = findingSchema.safeParse(raw);
  if (!parsed.success) {
    return { ok: false, reason: parsed.error.issues.map((i) => `${i.path.map(String).join('.') || 'finding'}: ${i.message}`).join('; ') };
  }
  const f = parsed.data;
  const reason = locationProblem(f, paths);
  if (reason) return { ok: false, reason };
  if (f.title.trim() === '') return { ok: false, reason: 'title is empty' };
  return {
    ok: true,
    finding: {
      ...f,
      // A one-line range is that line.
      start_line: f.start_line === f.line ? null : f.start_line,
      // An empty or blank suggestion is no suggestion: rendered, it would replace the lines with an empty line,
      // which is never what a reviewer means. (Deleting lines is described in the body instead.)
      suggestion: f.suggestion !== null && f.suggestion.trim() === '' ? null : f.suggestion,
    },
  };
}

function locationProblem(f: Finding, paths: ReadonlySet<string>): string | undefined {
  const path = JSON.stringify(f.path.length > 200 ? `${f.path.slice(0, 200)}…` : f.path);
  if (f.path === '') return 'path is empty';
  if (f.path.startsWith('/') || /^[a-z]:/i.test(f.path) || f.path.split(/[\\/]/).some((s) => s === '..' || s === '.')) {
    return `path ${path} is not a path inside the repository (absolute, or with '.' or '..')`;
  }
  if (!paths.has(f.path)) return `path ${path} is not a file this pull request changes`;
  if (f.line < 1) return `line ${f.line} does not exist (lines start at 1)`;
  if (f.start_line !== null && f.start_line < 1) return `start_line ${f.start_line} does not exist (lines start at 1)`;
  if (f.start_line !== null && f.start_line > f.line) return `start_line ${f.start_line} comes after line ${f.line}`;
  return undefined;
}

function textField(raw: unknown, key: string): string | undefined {
  const value = raw !== null && typeof raw === 'object' ? (raw as Record<string, unknown>)[key] : undefined;
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

function severityOf(raw: unknown): Severity | undefined {
  const parsed = severity.safeParse(raw !== null && typeof raw === 'object' ? (raw as Record<string, unknown>).severity : undefined);
  return parsed.success ? parsed.data : undefined;
}
