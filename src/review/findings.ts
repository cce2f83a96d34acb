// The findings schema: one shape from the model's outputSchema, through zod, to the `findings` output.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { SEVERITIES, type Severity } from '../inputs.js';

/** A finding's severity, most severe first (the order of SEVERITIES). */
export const severity = z.enum(SEVERITIES);

/** One finding as the model reports it and as the `findings` output lists it. */
export const findingSchema = z.object({
  path: z.string().min(1),
  line: z.number().int().min(1),
  start_line: z.number().int().min(1).nullable(),
  side: z.enum(['RIGHT', 'LEFT']),
  severity,
  title: z.string().min(1),
  body: z.string(),
  // An empty or blank suggestion is no suggestion: rendered, it would replace the lines with an empty line, which
  // is never what a reviewer means. (Deleting lines is described in the body instead; see the schema below.)
  suggestion: z
    .string()
    .nullable()
    .transform((s) => (s !== null && s.trim() === '' ? null : s)),
});

/** The model's whole reply for one chunk. */
export const chunkReviewSchema = z.object({
  summary: z.string(),
  findings: z.array(findingSchema),
});

/** An incremental chunk's reply also names the earlier findings the new changes address (by their ids). */
export const incrementalReviewSchema = chunkReviewSchema.extend({ addressed: z.array(z.string()) });

export type Finding = z.infer<typeof findingSchema>;
/** A chunk's reply; `addressed` only in incremental turns that were shown earlier findings. */
export type ChunkReview = z.infer<typeof chunkReviewSchema> & { addressed?: string[] };

const nullable = (type: string) => ({ type: [type, 'null'] });

/**
 * The same shape as JSON Schema for `outputSchema`. The Responses API runs it in strict mode: every property
 * is required, no extra properties, and "optional" is spelled as a null type.
 */
export const CHUNK_REVIEW_JSON_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['summary', 'findings'],
  properties: {
    summary: { type: 'string', description: 'Two or three sentences on what this part of the change does and its main risks.' },
    findings: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['path', 'line', 'start_line', 'side', 'severity', 'title', 'body', 'suggestion'],
        properties: {
          path: { type: 'string', description: 'File path exactly as in the diff header.' },
          line: { type: 'integer', description: 'The (last) line the finding is about: an R number for side RIGHT, an L number for side LEFT.' },
          start_line: { ...nullable('integer'), description: 'First line of a multi-line range on the same side, else null.' },
          side: { type: 'string', enum: ['RIGHT', 'LEFT'], description: 'RIGHT = new version (R numbers), LEFT = old version (L numbers, removed lines).' },
          severity: { type: 'string', enum: [...SEVERITIES] },
          title: { type: 'string', description: 'One line, under 80 characters.' },
          body: { type: 'string', description: 'What is wrong, why it matters, and how to fix it (Markdown).' },
          suggestion: {
            ...nullable('string'),
            description:
              'Replacement text for lines start_line..line (or line) on the RIGHT side, exactly as it should read, without diff markers; else null. An empty suggestion counts as null: to suggest deleting lines, say so in body.',
          },
        },
      },
    },
  },
} as const;

/** The chunk schema plus `addressed`, for incremental turns that are shown earlier findings. */
export const INCREMENTAL_REVIEW_JSON_SCHEMA = {
  ...CHUNK_REVIEW_JSON_SCHEMA,
  required: [...CHUNK_REVIEW_JSON_SCHEMA.required, 'addressed'],
  properties: {
    ...CHUNK_REVIEW_JSON_SCHEMA.properties,
    addressed: {
      type: 'array',
      items: { type: 'string' },
      description: 'Ids of the earlier findings listed in the prompt that these changes fix; empty when none or unsure.',
    },
  },
} as const;

/** Rank of a severity: 0 for critical … 4 for info. */
export function severityRank(s: Severity): number {
  return SEVERITIES.indexOf(s);
}

/** True when `s` is as severe as `threshold` or more. */
export function atLeast(s: Severity, threshold: Severity): boolean {
  return severityRank(s) <= severityRank(threshold);
}

/** The hidden marker each posted finding carries, so a re-run can tell what was already said. */
export const FINGERPRINT_PREFIX = 'codex-ci-action:fp:';

/** A title as the fingerprint sees it: case and runs of whitespace do not make a finding new. */
export function normaliseTitle(title: string): string {
  return title.toLowerCase().replace(/\s+/g, ' ').trim();
}

/** A stable id of a finding from its path, line and (normalised) title. */
export function fingerprint(f: Pick<Finding, 'path' | 'line' | 'title'>): string {
  return createHash('sha256').update(`${f.path}\n${f.line}\n${normaliseTitle(f.title)}`).digest('hex').slice(0, 16);
}

/**
 * The HTML comment that carries the fingerprints of what a posted body reports: one for an inline comment, every
 * finding of a review body. It is always the body's last line, the only place a re-run reads it from.
 */
export function fingerprintMarker(fps: string | readonly string[]): string {
  return `<!-- ${FINGERPRINT_PREFIX}${(typeof fps === 'string' ? [fps] : fps).join(' ')} -->`;
}

const MARKER_LINE = /^<!-- codex-ci-action:fp:([0-9a-f]{16}(?: [0-9a-f]{16})*) -->$/;

/**
 * The fingerprints of a body this action posted, read from its final line only: markers anywhere else (quoted by
 * someone, or smuggled in through model or pull request text) do not count. Undefined when there is no marker line.
 */
export function fingerprintsIn(text: string): string[] | undefined {
  const last = text.trimEnd().split('\n').at(-1)?.trim() ?? '';
  const match = MARKER_LINE.exec(last);
  return match ? match[1]!.split(' ') : undefined;
}

/** Parses a model reply (JSON, maybe inside a ``` fence) into a ChunkReview, or says what is wrong with it. */
export function parseChunkReview(
  text: string | null,
  schema: typeof chunkReviewSchema | typeof incrementalReviewSchema = chunkReviewSchema,
): { ok: true; review: ChunkReview } | { ok: false; error: string } {
  if (text === null || text.trim() === '') return { ok: false, error: 'The reply was empty.' };
  const unfenced = text.trim().replace(/^```(?:json)?\s*\n([\s\S]*?)\n```$/, '$1');
  let json: unknown;
  try {
    json = JSON.parse(unfenced);
  } catch (error) {
    return { ok: false, error: `The reply is not valid JSON (${(error as Error).message}).` };
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) return { ok: false, error: z.prettifyError(parsed.error) };
  return { ok: true, review: parsed.data };
}
